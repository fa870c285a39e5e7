/** The status of a model on the models page, decided from its recent traffic, drift and alerts (pure). */
import type { ActiveAlert } from '../../alerts/engine.ts';

export type ModelStatus = 'alerting' | 'nodata' | 'drifting' | 'healthy';

/** What the overview endpoint says about one model. */
export interface OverviewModel {
  model: string;
  versions: string[];
  predictions_total: number;
  predictions: number;
  errors: number;
  error_rate: number | null;
  latency_p50: number | null;
  latency_p95: number | null;
  latency_p99: number | null;
  last_seen: string;
  drift: { version: string; share: number; status: string; window_end: string } | null;
}

/** An active alert as the alerts API lists it (the server's own type: the UI reads its JSON). */
export type { ActiveAlert };

/** Alert states reported to receivers as firing. */
export const FIRING_STATES: ReadonlySet<string> = new Set(['firing', 'nodata', 'error']);

/** Labels shown for each status. */
export const STATUS_LABEL: Record<ModelStatus, string> = { alerting: 'alerting', nodata: 'no data', drifting: 'drifting', healthy: 'healthy' };

/**
 * Alerting (an unsilenced firing alert names the model) outranks no data (no predictions in the
 * analyzer window), which outranks drifting (the latest dataset drift verdict), else healthy.
 * `alerts` is null when alerting is not configured.
 */
export function modelStatus(m: OverviewModel, alerts: readonly ActiveAlert[] | null): { status: ModelStatus; reason: string } {
  const firing = (alerts ?? []).filter((a) => a.labels.model === m.model && FIRING_STATES.has(a.state) && !a.silenced && !a.inhibited);
  if (firing.length > 0) {
    const names = [...new Set(firing.map((a) => a.rule))];
    return { status: 'alerting', reason: `firing: ${names.join(', ')}` };
  }
  if (m.predictions === 0) return { status: 'nodata', reason: 'no predictions in the analyzer window' };
  if (m.drift?.status === 'drift') return { status: 'drifting', reason: `dataset drift (${Math.round(m.drift.share * 100)}% of features)` };
  return { status: 'healthy', reason: m.drift ? 'no dataset drift' : 'no drift result yet' };
}

/** Alerts whose labels include model=`model`. */
export function alertsOfModel(alerts: readonly ActiveAlert[] | null, model: string): ActiveAlert[] {
  return (alerts ?? []).filter((a) => a.labels.model === model);
}

/** A silence as the API lists it. */
export interface SilenceView {
  id: string;
  matchers: string[];
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
  status: { state: 'pending' | 'active' | 'expired' };
}

/** The matcher text the API writes for an equality matcher (name="value", value JSON-quoted). */
export function equalityMatcher(name: string, value: string): string {
  return `${name}=${JSON.stringify(value)}`;
}

/**
 * The active silence covering these labels, judged on equality matchers only (regex matchers are
 * left to the server, which marks such alerts silenced at its next evaluation).
 */
export function coveringSilence(labels: Record<string, string>, silences: readonly SilenceView[]): SilenceView | undefined {
  const have = new Set(Object.entries(labels).map(([k, v]) => equalityMatcher(k, v)));
  return silences.find((s) => s.status.state === 'active' && s.matchers.length > 0 && s.matchers.every((m) => have.has(m)));
}
