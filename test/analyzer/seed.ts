/** Deterministic data for analyzer tests: a seeded PRNG and prediction rows that follow the table schema. */

/** mulberry32: a small seeded PRNG returning floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal variates from a uniform source (Box-Muller). */
export function normal(rand: () => number): () => number {
  return () => {
    const u = 1 - rand();
    const v = rand();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}

/** ClickHouse DateTime64(3) text for a time in ms. */
export function ts(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

/** A predictions row with defaults for every column the analyzers do not look at. */
export function predictionRow(p: {
  ms: number; model?: string; version?: string; id?: string; num?: Record<string, number>; cat?: Record<string, string>; nulls?: string[];
  value?: number | null; label?: string | null; score?: number | null; latency?: number | null; error?: string;
}): Record<string, unknown> {
  return {
    ts: ts(p.ms), model: p.model ?? 'm', version: p.version ?? 'v1', environment: 'test', service: 'svc', host: 'h1',
    prediction_id: p.id ?? '', prediction_value: p.value ?? null, prediction_label: p.label ?? null, score: p.score ?? null,
    latency_ms: p.latency ?? null, error_type: p.error ?? '', features_num: p.num ?? {}, features_cat: p.cat ?? {},
    features_null: p.nulls ?? [], attributes: {}, trace_id: '', span_id: '',
  };
}

export const HOUR = 3600_000;
/** Start of the test data: midnight UTC two days ago (raw tables keep 30 days, so a fixed old date would expire). */
export const T0 = Math.floor(Date.now() / (24 * HOUR)) * 24 * HOUR - 2 * 24 * HOUR;
