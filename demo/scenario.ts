/**
 * The demo's story: the simulated fleet, the phases scaled to the run's duration, and the alerts
 * each phase must raise. Pure data and functions: the runner plays them, the test checks them.
 */
import { DRIFTED_FEATURES } from './traffic.ts';

/** One simulated GPU. */
export interface SimGpu {
  index: number;
  uuid: string;
  name: string;
  /** A spare that holds no model until the idle-GPU phase loads one onto it. */
  spare?: boolean;
}

/** One simulated model server: a model version on its own host. */
export interface SimServer {
  model: string;
  version: string;
  host: string;
  /** Predictions per second. */
  rate: number;
  /** Median inference latency in ms, in steady state. */
  medianLatencyMs: number;
  gpus: SimGpu[];
}

const H100 = 'NVIDIA H100 80GB HBM3';
const L4 = 'NVIDIA L4';

/** The fleet: fraud-detector v1 and v2 (an A/B rollout) and recommender v3, 20 features each. */
export const FLEET: readonly SimServer[] = [
  { model: 'fraud-detector', version: 'v1', host: 'fraud-gpu-01', rate: 40, medianLatencyMs: 12, gpus: [{ index: 0, uuid: 'GPU-6a1f0c2e-11d4-4b7e-9c01-3f5e7a9d0001', name: H100 }] },
  { model: 'fraud-detector', version: 'v2', host: 'fraud-gpu-02', rate: 40, medianLatencyMs: 11, gpus: [{ index: 0, uuid: 'GPU-6a1f0c2e-11d4-4b7e-9c01-3f5e7a9d0002', name: H100 }] },
  {
    model: 'recommender', version: 'v3', host: 'rec-gpu-01', rate: 40, medianLatencyMs: 25,
    gpus: [
      { index: 0, uuid: 'GPU-0b9d4e71-52c8-4f1a-8e22-7c6b5a4d0010', name: L4 },
      { index: 1, uuid: 'GPU-0b9d4e71-52c8-4f1a-8e22-7c6b5a4d0011', name: L4, spare: true },
    ],
  },
];

/** The version whose latency regresses, and its median latency then. */
export const REGRESSED = { model: 'fraud-detector', version: 'v2', medianLatencyMs: 160 } as const;
/** The model whose traffic drifts (both of its versions see the same traffic). */
export const DRIFTED_MODEL = 'fraud-detector';
/** The p99 latency above which HighP99Latency fires, ms. */
export const P99_THRESHOLD_MS = 100;
/** Share of drifted features at which DatasetDrift fires (3 of 20 drift: 0.15). */
export const DRIFT_SHARE_THRESHOLD = 0.1;

/** The idle GPU of the last phase, as the GPU analyzer names it (`<host>/<uuid>`). */
export function idleGpuSubject(): string {
  const server = FLEET.find((s) => s.gpus.some((g) => g.spare))!;
  return `${server.host}/${server.gpus.find((g) => g.spare)!.uuid}`;
}

export type PhaseName = 'steady' | 'drift' | 'latency' | 'gpu_idle';

/** One phase of the scenario, in ms since the scenario started. */
export interface Phase {
  index: number;
  name: PhaseName;
  title: string;
  description: string;
  startMs: number;
  endMs: number;
}

/** What is broken at a point of the scenario: faults add up, each phase keeps the earlier ones. */
export interface Faults {
  drift: boolean;
  latency: boolean;
  idleGpu: boolean;
}

const PHASES: readonly Omit<Phase, 'index' | 'startMs' | 'endMs'>[] = [
  { name: 'steady', title: 'steady traffic', description: 'three model versions serve checkouts; everything matches the training data' },
  { name: 'drift', title: 'data drift', description: `a new market reaches ${DRIFTED_MODEL}: ${DRIFTED_FEATURES.join(', ')} shift` },
  { name: 'latency', title: 'latency regression', description: `${REGRESSED.model} ${REGRESSED.version} slows down (median ${REGRESSED.medianLatencyMs} ms)` },
  { name: 'gpu_idle', title: 'idle GPU', description: `a spare recommender replica loads its model on ${idleGpuSubject()} but gets no traffic` },
];

/** Shortest scenario the phases still fit into: each phase needs a few analyzer passes. */
export const MIN_DURATION_MS = 20_000;

/** The phases of a scenario lasting `durationMs`, in equal parts. */
export function planScenario(durationMs: number): Phase[] {
  const part = durationMs / PHASES.length;
  return PHASES.map((p, i) => ({ ...p, index: i + 1, startMs: Math.round(i * part), endMs: Math.round((i + 1) * part) }));
}

/** The phase playing at `elapsedMs`; past the end, the last phase stays on. */
export function phaseAt(plan: readonly Phase[], elapsedMs: number): Phase {
  return plan.find((p) => elapsedMs < p.endMs) ?? plan[plan.length - 1];
}

/** The faults active during a phase. */
export function faultsOf(phase: PhaseName): Faults {
  const at = PHASES.findIndex((p) => p.name === phase);
  return { drift: at >= 1, latency: at >= 2, idleGpu: at >= 3 };
}

/** An alert the scenario must raise: its rule name and the labels it must carry. */
export interface ExpectedAlert {
  alertname: string;
  labels: Record<string, string>;
  phase: PhaseName;
}

/** Every alert the scenario must raise, by phase. */
export function expectedAlerts(): ExpectedAlert[] {
  const out: ExpectedAlert[] = [];
  const drifted = FLEET.filter((s) => s.model === DRIFTED_MODEL);
  for (const s of drifted) out.push({ alertname: 'DatasetDrift', labels: { model: s.model, version: s.version }, phase: 'drift' });
  for (const s of drifted) {
    for (const feature of DRIFTED_FEATURES) out.push({ alertname: 'FeatureDrift', labels: { model: s.model, version: s.version, feature }, phase: 'drift' });
  }
  out.push({ alertname: 'HighP99Latency', labels: { model: REGRESSED.model, version: REGRESSED.version }, phase: 'latency' });
  out.push({ alertname: 'GpuIdle', labels: { gpu: idleGpuSubject() }, phase: 'gpu_idle' });
  return out;
}

/** True when an alert with these labels is the expected one. */
export function matchesExpected(e: ExpectedAlert, labels: Record<string, string>): boolean {
  return labels.alertname === e.alertname && Object.entries(e.labels).every(([k, v]) => labels[k] === v);
}

/** A short name of an expected alert for the terminal: `FeatureDrift fraud-detector v1 amount`. */
export function describeExpected(e: ExpectedAlert): string {
  return [e.alertname, ...Object.values(e.labels)].join(' ');
}
