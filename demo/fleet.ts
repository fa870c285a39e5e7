/**
 * The simulated model servers: one SDK monitor per model version, sending predictions at a steady
 * rate and GPU readings through the SDK's GPU sampler, all stamped in demo time (clock.ts).
 */
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { createModelMonitor, type ModelMonitor } from '../sdk/index.ts';
import { DEMO_LAG_MS, demoNow, demoTimeExporter } from './clock.ts';
import { createRng, type Rng } from './random.ts';
import { DRIFTED_MODEL, FLEET, REGRESSED, type Faults, type SimServer } from './scenario.ts';
import { checkoutFeatures, fraudScore, latencyMs, recommendation } from './traffic.ts';

/** Traffic is generated in ticks of this length. */
const TICK_MS = 100;
/** Share of requests that fail (they show in the error rate, far below any alert). */
const ERROR_SHARE = 0.002;

/** Counters over the whole fleet. */
export interface FleetStats {
  sent: number;
  exported: number;
  dropped: number;
}

/** The running fleet. */
export interface Fleet {
  /** Sends `seconds` of steady traffic stamped just before demo time now, at once (history for the first windows). */
  backfill(seconds: number): Promise<void>;
  /** Starts live traffic; `faults` is read on every tick. */
  play(faults: () => Faults): void;
  stats(): FleetStats;
  /** Stops traffic and flushes what is queued. */
  stop(): Promise<void>;
}

/** Options of {@link startFleet}. */
export interface FleetOptions {
  /** OTLP/HTTP base URL of `serve`. */
  endpoint: string;
  /** DCGM exporter URL of a host (the demo's sink serves them). */
  dcgmUrl(host: string): string;
  /** The SDK's warnings (export failures and the like). */
  onWarning(message: string): void;
}

interface Server {
  spec: SimServer;
  monitor: ModelMonitor;
  rng: Rng;
  carry: number;
  seq: number;
}

function predict(s: Server, faults: Faults, ts: number): void {
  const { spec, rng } = s;
  const drifted = faults.drift && spec.model === DRIFTED_MODEL;
  const features = checkoutFeatures(rng, drifted);
  const regressed = faults.latency && spec.model === REGRESSED.model && spec.version === REGRESSED.version;
  const latency = latencyMs(rng, regressed ? REGRESSED.medianLatencyMs : spec.medianLatencyMs);
  const id = `${spec.host}-${++s.seq}`;
  const error = rng.next() < ERROR_SHARE ? 'TimeoutError' : undefined;
  if (spec.model === 'recommender') {
    const r = recommendation(rng);
    s.monitor.logPrediction({ id, features, prediction: r.label, score: r.score, latencyMs: latency, error, timestamp: ts });
  } else {
    const score = fraudScore(rng, features);
    s.monitor.logPrediction({ id, features, prediction: score, label: score >= 0.5 ? 'fraud' : 'legit', latencyMs: latency, error, timestamp: ts });
  }
}

/** Creates one monitor per simulated server; GPU sampling starts at once. */
export function startFleet(opts: FleetOptions): Fleet {
  const servers: Server[] = FLEET.map((spec, i) => ({
    spec,
    rng: createRng(1000 + i),
    carry: 0,
    seq: 0,
    monitor: createModelMonitor({
      model: spec.model,
      version: spec.version,
      endpoint: opts.endpoint,
      environment: 'demo',
      hostName: spec.host,
      gpu: { source: 'dcgm', dcgmUrl: opts.dcgmUrl(spec.host), intervalMs: 1000, timeoutMs: 5000 },
      exportDelayMs: 250,
      metricExportIntervalMs: 1000,
      maxQueue: 50_000,
      exporters: { metrics: demoTimeExporter(new OTLPMetricExporter({ url: `${opts.endpoint}/v1/metrics`, timeoutMillis: 5000 })) },
      onDiagnostic: (level, message) => {
        if (level === 'warn') opts.onWarning(`${spec.model} ${spec.version}: ${message}`);
      },
    }),
  }));
  let timer: NodeJS.Timeout | undefined;
  let sent = 0;

  return {
    async backfill(seconds) {
      const end = demoNow();
      const steady = { drift: false, latency: false, idleGpu: false };
      for (const s of servers) {
        const n = Math.round(s.spec.rate * seconds);
        for (let i = 0; i < n; i++) {
          predict(s, steady, end - seconds * 1000 + (i * seconds * 1000) / n);
          // Let the event loop breathe: the sink answering the GPU samplers lives in this process too.
          if (i % 500 === 499) await new Promise((r) => setImmediate(r));
        }
        sent += n;
      }
      await Promise.all(servers.map((s) => s.monitor.forceFlush()));
    },
    play(faults) {
      let last = Date.now();
      timer = setInterval(() => {
        const now = Date.now();
        const dt = Math.min(now - last, 5 * TICK_MS);
        last = now;
        const f = faults();
        for (const s of servers) {
          s.carry += (s.spec.rate * dt) / 1000;
          const n = Math.floor(s.carry);
          s.carry -= n;
          // Spread the tick's requests over the tick, in demo time.
          for (let i = 0; i < n; i++) predict(s, f, now - DEMO_LAG_MS - dt + ((i + 1) * dt) / n);
          sent += n;
        }
      }, TICK_MS);
    },
    stats() {
      let exported = 0;
      let dropped = 0;
      for (const s of servers) {
        const st = s.monitor.stats();
        exported += st.exported;
        dropped += Object.values(st.dropped).reduce((a, b) => a + b, 0);
      }
      return { sent, exported, dropped };
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await Promise.all(servers.map((s) => s.monitor.shutdown()));
    },
  };
}
