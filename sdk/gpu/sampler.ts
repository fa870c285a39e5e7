/**
 * The GPU sampler: polls nvidia-smi (or a DCGM-exporter endpoint) on a timer, keeps the latest
 * samples, and reports them through observable gauges at each metric collection.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import path from 'node:path';
import type { Attributes, BatchObservableResult, Meter, ObservableGauge } from '@opentelemetry/api';
import {
  ATTR_GPU_INDEX,
  ATTR_HW_ID,
  ATTR_HW_NAME,
  ATTR_HW_VENDOR,
  METRIC_GPU_CLOCK_EVENT_REASONS,
  METRIC_GPU_MEMORY_LIMIT,
  METRIC_GPU_MEMORY_USAGE,
  METRIC_GPU_POWER_DRAW,
  METRIC_GPU_TEMPERATURE,
  METRIC_GPU_THROTTLED,
  METRIC_GPU_UTILIZATION,
  RES_HOST_NAME,
} from '../semconv.ts';
import { parseDcgmMetrics } from './dcgm.ts';
import { LEGACY_REASONS_FIELD, REASONS_FIELD, nvidiaSmiArgs, parseNvidiaSmiCsv, rejectsField } from './nvidia-smi.ts';
import type { GpuParseResult, GpuSample } from './types.ts';

/** GPU sampler settings. */
export interface GpuSamplerOptions {
  /** Where readings come from. Default `nvidia-smi`. */
  source?: 'nvidia-smi' | 'dcgm';
  /** Poll interval in ms. Default 10,000. */
  intervalMs?: number;
  /** nvidia-smi executable. Default: `nvidia-smi` looked up on PATH; absent means the sampler is off. */
  nvidiaSmiPath?: string;
  /** DCGM-exporter metrics URL. Default `http://127.0.0.1:9400/metrics`. */
  dcgmUrl?: string;
  /** Limit for one nvidia-smi run or DCGM fetch, ms. Default 5,000. */
  timeoutMs?: number;
}

export type DiagnosticLevel = 'info' | 'warn';
export type DiagnosticSink = (level: DiagnosticLevel, message: string) => void;

/** Result of running a command: exit code (null if it could not start), output, start error. */
export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
  errorCode?: string;
}

/** Returns the absolute path of an executable named `command` on `searchPath`, or null. */
export function findOnPath(command: string, searchPath: string | undefined = process.env.PATH): string | null {
  if (!searchPath) return null;
  for (const dir of searchPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    try {
      accessSync(candidate, fsConstants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/** Runs a command with a time limit; never rejects. */
export function runCommand(file: string, args: string[], timeoutMs: number): Promise<CommandResult> {
  return new Promise((resolve) => {
    try {
      execFile(file, args, { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024, windowsHide: true }, (err, stdout, stderr) => {
        const e = err as (Error & { code?: number | string | null; killed?: boolean }) | null;
        if (!e) return resolve({ code: 0, stdout: String(stdout), stderr: String(stderr) });
        if (typeof e.code === 'number') return resolve({ code: e.code, stdout: String(stdout), stderr: String(stderr) });
        resolve({ code: null, stdout: String(stdout ?? ''), stderr: String(stderr ?? ''), errorCode: typeof e.code === 'string' ? e.code : e.killed ? 'ETIMEDOUT' : 'EUNKNOWN' });
      });
    } catch (error) {
      resolve({ code: null, stdout: '', stderr: String(error), errorCode: 'ESPAWN' });
    }
  });
}

/**
 * Polls GPUs and exposes `hw.gpu.*` gauges. Create with {@link GpuSampler.start}; it stays off
 * (with one info line) when nvidia-smi is not on PATH.
 */
export class GpuSampler {
  private readonly source: 'nvidia-smi' | 'dcgm';
  private readonly intervalMs: number;
  private readonly timeoutMs: number;
  private readonly dcgmUrl: string;
  private nvidiaSmi: string | null = null;
  private reasonsField = REASONS_FIELD;
  private samples: GpuSample[] = [];
  private sampledAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<GpuSample[]> | null = null;
  private readonly warned = new Set<string>();
  private enabled = false;
  private stopped = false;

  constructor(
    private readonly options: GpuSamplerOptions,
    private readonly hostName: string,
    private readonly diagnostic: DiagnosticSink,
  ) {
    this.source = options.source ?? 'nvidia-smi';
    this.intervalMs = Math.max(100, options.intervalMs ?? 10_000);
    this.timeoutMs = Math.max(100, options.timeoutMs ?? 5_000);
    this.dcgmUrl = options.dcgmUrl ?? 'http://127.0.0.1:9400/metrics';
  }

  /** True while the sampler polls. */
  get active(): boolean {
    return this.enabled && !this.stopped;
  }

  /** The samples of the last successful poll. */
  latest(): readonly GpuSample[] {
    return this.samples;
  }

  /** Registers the gauges on `meter` and starts polling. Returns whether the sampler is on. */
  start(meter: Meter | null): boolean {
    if (this.source === 'nvidia-smi') {
      this.nvidiaSmi = this.options.nvidiaSmiPath ?? findOnPath('nvidia-smi');
      if (!this.nvidiaSmi) {
        this.diagnostic('info', 'GPU sampler off: nvidia-smi is not on PATH');
        return false;
      }
    }
    this.enabled = true;
    if (meter) this.registerGauges(meter);
    void this.pollOnce();
    this.timer = setInterval(() => void this.pollOnce(), this.intervalMs);
    this.timer.unref?.();
    return true;
  }

  /** Stops polling. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Takes one reading now (concurrent calls share one run). Never rejects. */
  pollOnce(): Promise<GpuSample[]> {
    if (!this.polling) {
      this.polling = this.readOnce()
        .catch((error: unknown) => {
          this.warn(`GPU sampling failed: ${String(error)}`);
          return [] as GpuSample[];
        })
        .finally(() => {
          this.polling = null;
        });
    }
    return this.polling;
  }

  private async readOnce(): Promise<GpuSample[]> {
    const result = this.source === 'dcgm' ? await this.readDcgm() : await this.readNvidiaSmi();
    if (!result) return [];
    for (const w of result.warnings) this.warn(w);
    if (result.samples.length > 0) {
      this.samples = result.samples;
      this.sampledAt = Date.now();
      this.warned.clear();
    } else {
      this.samples = [];
    }
    return result.samples;
  }

  private async readNvidiaSmi(): Promise<GpuParseResult | null> {
    const file = this.nvidiaSmi;
    if (!file) return null;
    let res = await runCommand(file, nvidiaSmiArgs(this.reasonsField), this.timeoutMs);
    if (res.code !== 0 && this.reasonsField === REASONS_FIELD && rejectsField(res.stdout + res.stderr, REASONS_FIELD)) {
      this.reasonsField = LEGACY_REASONS_FIELD;
      this.diagnostic('info', `nvidia-smi does not know ${REASONS_FIELD}; using ${LEGACY_REASONS_FIELD}`);
      res = await runCommand(file, nvidiaSmiArgs(this.reasonsField), this.timeoutMs);
    }
    if (res.code === null) {
      if (res.errorCode === 'ENOENT') {
        this.diagnostic('info', `GPU sampler off: ${file} is gone`);
        this.stop();
        return null;
      }
      this.warn(`nvidia-smi did not run (${res.errorCode ?? 'unknown'})`);
      return { samples: [], warnings: [] };
    }
    const parsed = parseNvidiaSmiCsv(res.stdout);
    if (res.code !== 0) {
      // A failing nvidia-smi prints its reason on stdout or stderr; keep rows it still printed.
      const text = (res.stdout.trim() || res.stderr.trim()).split(/\r?\n/)[0] ?? '';
      return { samples: parsed.samples, warnings: [`nvidia-smi exited with code ${res.code}: ${text.slice(0, 300)}`] };
    }
    return parsed;
  }

  private async readDcgm(): Promise<GpuParseResult> {
    const res = await fetch(this.dcgmUrl, { signal: AbortSignal.timeout(this.timeoutMs) });
    if (!res.ok) return { samples: [], warnings: [`DCGM exporter answered HTTP ${res.status}`] };
    return parseDcgmMetrics(await res.text());
  }

  private warn(message: string): void {
    if (this.warned.has(message)) return;
    this.warned.add(message);
    this.diagnostic('warn', message);
  }

  private fresh(): readonly GpuSample[] {
    if (this.samples.length === 0) return this.samples;
    return Date.now() - this.sampledAt <= Math.max(3 * this.intervalMs, 30_000) ? this.samples : [];
  }

  private registerGauges(meter: Meter): void {
    const g = (name: string, unit: string, description: string): ObservableGauge => meter.createObservableGauge(name, { unit, description });
    const util = g(METRIC_GPU_UTILIZATION, '1', 'Share of time a kernel was running on the GPU (0..1)');
    const memUsed = g(METRIC_GPU_MEMORY_USAGE, 'By', 'GPU framebuffer memory in use');
    const memLimit = g(METRIC_GPU_MEMORY_LIMIT, 'By', 'GPU framebuffer memory size');
    const power = g(METRIC_GPU_POWER_DRAW, 'W', 'GPU board power draw');
    const temp = g(METRIC_GPU_TEMPERATURE, 'Cel', 'GPU core temperature');
    const throttled = g(METRIC_GPU_THROTTLED, '1', '1 while the GPU clocks are held down by power or thermal limits, else 0');
    const reasons = g(METRIC_GPU_CLOCK_EVENT_REASONS, '1', 'Raw clock event (throttle) reason bitmask');
    meter.addBatchObservableCallback(
      (obs: BatchObservableResult) => {
        for (const s of this.fresh()) {
          const attrs: Attributes = {
            [ATTR_HW_ID]: s.uuid,
            [ATTR_HW_NAME]: s.name,
            [ATTR_HW_VENDOR]: 'nvidia',
            [RES_HOST_NAME]: s.hostName ?? this.hostName,
          };
          if (s.index !== null) attrs[ATTR_GPU_INDEX] = s.index;
          const put = (o: ObservableGauge, v: number | null): void => {
            if (v !== null) obs.observe(o, v, attrs);
          };
          put(util, s.utilization);
          put(memUsed, s.memoryUsedBytes);
          put(memLimit, s.memoryLimitBytes);
          put(power, s.powerWatts);
          put(temp, s.temperatureCelsius);
          put(throttled, s.throttled === null ? null : s.throttled ? 1 : 0);
          put(reasons, s.clockEventReasons);
        }
      },
      [util, memUsed, memLimit, power, temp, throttled, reasons],
    );
  }
}

