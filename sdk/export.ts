/**
 * A LogRecordExporter wrapper that tells the monitor when each batch is finished and whether it
 * was delivered. The monitor uses it to bound how many records are inside the OpenTelemetry
 * pipeline (so the batch processor never drops silently) and to count `export_failed` drops.
 */
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';

type ResultCallback = Parameters<LogRecordExporter['export']>[1];
type ExportResult = Parameters<ResultCallback>[0];

/** OpenTelemetry's ExportResultCode.SUCCESS / FAILED (numeric enum in @opentelemetry/core). */
const SUCCESS = 0;
const FAILED = 1;

export class TrackingLogExporter implements LogRecordExporter {
  /**
   * @param inner the real exporter
   * @param onDone called once per batch with its size and whether it was delivered
   * @param guardMs a batch whose exporter never answers is counted failed after this long
   */
  constructor(
    private readonly inner: LogRecordExporter,
    private readonly onDone: (count: number, delivered: boolean) => void,
    private readonly guardMs: number,
  ) {}

  export(records: ReadableLogRecord[], resultCallback: ResultCallback): void {
    const count = records.length;
    let finished = false;
    const finish = (result: ExportResult): void => {
      if (finished) return;
      finished = true;
      clearTimeout(guard);
      try {
        this.onDone(count, result.code === SUCCESS);
      } finally {
        resultCallback(result);
      }
    };
    const guard = setTimeout(() => finish({ code: FAILED, error: new Error(`log export did not finish within ${this.guardMs} ms`) }), this.guardMs);
    guard.unref?.();
    try {
      this.inner.export(records, finish);
    } catch (error) {
      finish({ code: FAILED, error: error instanceof Error ? error : new Error(String(error)) });
    }
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush ? this.inner.forceFlush() : Promise.resolve();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}
