import type { FastifyInstance, FastifyRequest } from 'fastify';
import { MwError } from '../../core/errors.ts';
import type { Store } from '../../storage/client.ts';
import { chDateTime } from '../../storage/datetime.ts';
import { rollupSource } from '../../storage/levels.ts';
import { levelForStep } from '../../storage/levels-read.ts';
import { modelSummaries, parseTimeParam } from './read-routes.ts';

/** Options of the series API. */
export interface SeriesRoutesOptions {
  store: Store;
  /** The analyzer window in minutes: what "recent" means in the overview (default 60). */
  windowMinutes?: number;
}

/** At most this many buckets per series: a chart is a few hundred pixels wide. */
export const MAX_POINTS = 720;
const MAX_RANGE_MS = 31 * 24 * 3600_000;
const NAME = { type: 'string', minLength: 1, maxLength: 256 } as const;
const rangeQuery = {
  from: { type: 'string', maxLength: 64 },
  to: { type: 'string', maxLength: 64 },
  step: { type: 'integer', minimum: 60, maximum: 86_400 },
} as const;

/** The query range [from, to): `to` defaults to now, `from` to an hour before `to`. */
export function rangeOf(q: { from?: string; to?: string }, now = new Date()): { from: Date; to: Date } {
  const to = parseTimeParam('to', q.to, now);
  const from = parseTimeParam('from', q.from, new Date(to.getTime() - 3600_000));
  if (from >= to) throw new MwError('MW_ERR_BAD_QUERY_PARAM', 'from must be before to');
  if (to.getTime() - from.getTime() > MAX_RANGE_MS) throw new MwError('MW_ERR_BAD_QUERY_PARAM', 'the range may span at most 31 days');
  return { from, to };
}

/**
 * Bucket length in seconds: a whole number of minutes (the finest rollup is per minute), the
 * requested one when given, else the smallest that keeps the series within MAX_POINTS buckets.
 */
export function stepSeconds(rangeMs: number, requested?: number): number {
  const minimum = Math.ceil(rangeMs / 1000 / MAX_POINTS / 60) * 60;
  const wanted = requested ? Math.ceil(requested / 60) * 60 : 60;
  return Math.max(60, minimum, wanted);
}

/**
 * Bucket starts (epoch seconds) covering [from, to), aligned to multiples of the step so a chart
 * keeps its buckets across refreshes; the first and last may be partly outside the range (only
 * minutes inside it are counted).
 */
export function bucketStarts(from: Date, to: Date, step: number): number[] {
  const out: number[] = [];
  const last = Math.ceil(to.getTime() / 1000) - 1;
  for (let t = Math.floor(from.getTime() / 1000 / step) * step; t <= last; t += step) out.push(t);
  return out;
}

/** ClickHouse DateTime text (whole seconds, UTC) of an epoch in seconds. */
const chSeconds = (epochSeconds: number): string => chDateTime(epochSeconds * 1000);

/**
 * The rollup rows of `signal` for a series over [from, to) with buckets of `step` seconds: each
 * stretch from the coarsest level that holds it whole and fits the step (storage/levels.ts), the
 * time column named `period`. A range starting mid-minute counts that minute, as the series always did.
 */
function seriesSource(store: Store, signal: 'latency' | 'gpu', from: Date, to: Date, step?: number) {
  const start = new Date(Math.floor(from.getTime() / 60_000) * 60_000);
  return rollupSource(store, signal, { from: start, to }, { coarsest: step === undefined ? 'day' : levelForStep(step) });
}

/** Which models the caller may see (set by the auth hook; absent when auth is off). */
interface ModelScope {
  unrestricted: boolean;
  allows(model: string): boolean;
}

function scopeOf(req: FastifyRequest): ModelScope | null {
  return (req as unknown as { modelScope?: ModelScope | null }).modelScope ?? null;
}

const num = (v: unknown): number | null => {
  if (v === null || v === undefined) return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
};

/** Fastify plugin: time series over the rollups (minute, hour and day levels), for the web UI and scripts. */
export async function seriesRoutes(app: FastifyInstance, opts: SeriesRoutesOptions): Promise<void> {
  const { store } = opts;
  const windowMinutes = opts.windowMinutes ?? 60;

  // Every model with its traffic over the analyzer window before `to` (default now) and its latest dataset drift verdict.
  app.get<{ Querystring: { to?: string } }>('/api/v1/overview', {
    schema: { querystring: { type: 'object', additionalProperties: false, properties: { to: rangeQuery.to } } },
  }, async (req) => {
    // Without `to` the minute in progress counts too: a model that just started sending is not "no data".
    const end = req.query.to ? Math.floor(parseTimeParam('to', req.query.to, new Date()).getTime() / 60_000) * 60 : Math.floor(Date.now() / 60_000) * 60 + 60;
    const params = {
      end: chSeconds(end),
      // The newest drift window per model and version within two windows (or two hours) back.
      lookback: chSeconds(end - Math.max(2 * windowMinutes, 120) * 60),
    };
    const recentSrc = rollupSource(store, 'latency', { from: new Date((end - windowMinutes * 60) * 1000), to: new Date(end * 1000) });
    const recent = new Map((await store.query<{ model: string; n: string; e: string; wl: string; q: number[] }>(
      `SELECT model, sum(predictions) AS n, sum(errors) AS e, sum(with_latency) AS wl,
              quantilesDDMerge(0.01, 0.5, 0.95, 0.99)(latency_sketch) AS q
       FROM ${recentSrc.sql} GROUP BY model`,
      recentSrc.params,
    )).map((r) => [r.model, r]));
    const traffic = await modelSummaries(store, new Date(end * 1000));
    const drift = await store.query<{ model: string; version: string; r: [number, string, string] }>(
      `SELECT model, version, argMax(tuple(value, status, toString(window_end)), tuple(window_end, computed_at)) AS r
       FROM ${store.t('analysis_results')}
       WHERE analyzer = 'drift' AND subject = '__dataset__' AND metric = 'drift_share' AND segment = ''
         AND window_end > {lookback:DateTime('UTC')} AND window_end <= {end:DateTime('UTC')}
       GROUP BY model, version`,
      params,
    );
    // A key limited to some models sees only those.
    const scope = scopeOf(req);
    return {
      window_minutes: windowMinutes,
      window_start: new Date((end - windowMinutes * 60) * 1000).toISOString(),
      window_end: new Date(end * 1000).toISOString(),
      models: traffic.filter((t) => !scope || scope.allows(t.model)).map((t) => {
        const r = recent.get(t.model);
        const n = Number(r?.n ?? 0);
        const wl = Number(r?.wl ?? 0);
        const versions = drift.filter((d) => d.model === t.model);
        // A model drifts when any of its versions does; the share shown is the largest.
        const worst = versions.sort((a, b) => (a.r[1] === 'drift' ? 0 : 1) - (b.r[1] === 'drift' ? 0 : 1) || b.r[0] - a.r[0])[0];
        return {
          model: t.model,
          versions: t.versions,
          predictions_total: t.predictions,
          predictions: n,
          errors: Number(r?.e ?? 0),
          error_rate: n > 0 ? Number(r!.e) / n : null,
          latency_p50: wl > 0 ? num(r!.q[0]) : null,
          latency_p95: wl > 0 ? num(r!.q[1]) : null,
          latency_p99: wl > 0 ? num(r!.q[2]) : null,
          last_seen: new Date(t.lastSeen - 1).toISOString(),
          drift: worst ? { version: worst.version, share: Number(worst.r[0]), status: worst.r[1], window_end: new Date(worst.r[2].replace(' ', 'T') + 'Z').toISOString() } : null,
        };
      }),
    };
  });

  app.get<{ Params: { model: string }; Querystring: { from?: string; to?: string; step?: number; version?: string } }>(
    '/api/v1/models/:model/series',
    {
      schema: {
        params: { type: 'object', required: ['model'], properties: { model: NAME } },
        querystring: { type: 'object', additionalProperties: false, properties: { ...rangeQuery, version: NAME } },
      },
    },
    async (req) => {
      const { from, to } = rangeOf(req.query);
      const step = stepSeconds(to.getTime() - from.getTime(), req.query.step);
      const buckets = bucketStarts(from, to, step);
      const key = { model: req.params.model, version: req.query.version ?? '' };
      const keyWhere = "model = {model:String} AND ({version:String} = '' OR version = {version:String})";
      // Points read no level coarser than their step; the totals take whole days where the range has them.
      const bySteps = seriesSource(store, 'latency', from, to, step);
      const rows = await store.query<{ t: string; n: string; e: string; wl: string; s: number; q: number[] }>(
        `SELECT intDiv(toUnixTimestamp(period), {step:UInt32}) * {step:UInt32} AS t,
                sum(predictions) AS n, sum(errors) AS e, sum(with_latency) AS wl, sum(latency_sum) AS s,
                quantilesDDMerge(0.01, 0.5, 0.95, 0.99)(latency_sketch) AS q
         FROM ${bySteps.sql}
         WHERE ${keyWhere}
         GROUP BY t ORDER BY t`,
        { ...bySteps.params, ...key, step },
      );
      const whole = seriesSource(store, 'latency', from, to);
      const [total] = await store.query<{ n: string; e: string; wl: string; q: number[] }>(
        `SELECT sum(predictions) AS n, sum(errors) AS e, sum(with_latency) AS wl,
                quantilesDDMerge(0.01, 0.5, 0.95, 0.99)(latency_sketch) AS q
         FROM ${whole.sql}
         WHERE ${keyWhere}`,
        { ...whole.params, ...key },
      );
      const tn = Number(total?.n ?? 0);
      const twl = Number(total?.wl ?? 0);
      const totals = {
        predictions: tn,
        errors: Number(total?.e ?? 0),
        error_rate: tn > 0 ? Number(total!.e) / tn : null,
        latency_p50: twl > 0 ? num(total!.q[0]) : null,
        latency_p95: twl > 0 ? num(total!.q[1]) : null,
        latency_p99: twl > 0 ? num(total!.q[2]) : null,
      };
      const byT = new Map(rows.map((r) => [Number(r.t), r]));
      // Buckets without rows are minutes without traffic: zero predictions, no latency.
      const points = buckets.map((t) => {
        const r = byT.get(t);
        const n = r ? Number(r.n) : 0;
        const wl = r ? Number(r.wl) : 0;
        return {
          t: new Date(t * 1000).toISOString(),
          predictions: n,
          errors: r ? Number(r.e) : 0,
          error_rate: n > 0 ? Number(r!.e) / n : null,
          latency_mean: wl > 0 ? Number(r!.s) / wl : null,
          latency_p50: wl > 0 ? num(r!.q[0]) : null,
          latency_p95: wl > 0 ? num(r!.q[1]) : null,
          latency_p99: wl > 0 ? num(r!.q[2]) : null,
        };
      });
      return { model: req.params.model, from: from.toISOString(), to: to.toISOString(), step_seconds: step, totals, points };
    },
  );

  app.get<{ Querystring: { from?: string; to?: string; step?: number } }>(
    '/api/v1/gpu/series',
    { schema: { querystring: { type: 'object', additionalProperties: false, properties: rangeQuery } } },
    async (req) => {
      const { from, to } = rangeOf(req.query);
      const step = stepSeconds(to.getTime() - from.getTime(), req.query.step);
      const buckets = bucketStarts(from, to, step);
      // GPUs belong to hosts, not models: a key limited to some models sees none.
      const scope = scopeOf(req);
      if (scope && !scope.unrestricted) return { from: from.toISOString(), to: to.toISOString(), step_seconds: step, gpus: [] };
      const src = seriesSource(store, 'gpu', from, to, step);
      const rows = await store.query<{ host: string; gpu_id: string; gpu_name: string; t: string; u: number | null; m: number | null; l: number | null }>(
        `SELECT host, gpu_id, any(gpu_name) AS gpu_name, intDiv(toUnixTimestamp(period), {step:UInt32}) * {step:UInt32} AS t,
                sumIf(sum, metric = 'hw.gpu.utilization') / nullIf(sumIf(samples, metric = 'hw.gpu.utilization'), 0) AS u,
                sumIf(sum, metric = 'hw.gpu.memory.usage') / nullIf(sumIf(samples, metric = 'hw.gpu.memory.usage'), 0) AS m,
                if(sumIf(samples, metric = 'hw.gpu.memory.limit') > 0, maxIf(max, metric = 'hw.gpu.memory.limit'), NULL) AS l
         FROM ${src.sql}
         WHERE metric IN ('hw.gpu.utilization', 'hw.gpu.memory.usage', 'hw.gpu.memory.limit')
         GROUP BY host, gpu_id, t ORDER BY host, gpu_id, t`,
        { ...src.params, step },
      );
      const gpus = new Map<string, { host: string; gpu_id: string; gpu_name: string; rows: Map<number, (typeof rows)[number]> }>();
      for (const r of rows) {
        const key = `${r.host}/${r.gpu_id}`;
        let g = gpus.get(key);
        if (!g) gpus.set(key, (g = { host: r.host, gpu_id: r.gpu_id, gpu_name: r.gpu_name, rows: new Map() }));
        g.rows.set(Number(r.t), r);
      }
      return {
        from: from.toISOString(),
        to: to.toISOString(),
        step_seconds: step,
        gpus: [...gpus.values()].map((g) => ({
          host: g.host,
          gpu_id: g.gpu_id,
          gpu_name: g.gpu_name,
          points: buckets.map((t) => {
            const r = g.rows.get(t);
            return { t: new Date(t * 1000).toISOString(), utilization: num(r?.u), memory_used_bytes: num(r?.m), memory_limit_bytes: num(r?.l) };
          }),
        })),
      };
    },
  );
}
