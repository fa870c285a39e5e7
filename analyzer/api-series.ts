import type { FastifyInstance, FastifyReply } from 'fastify';
import { isMwError, MwError } from '../core/errors.ts';
import type { Store } from '../storage/client.ts';
import type { DriftOptions } from './drift/compute.ts';
import { compareSources } from './drift/compute.ts';
import { DATASET_SUBJECT, jobSources } from './drift/job.ts';
import { PREDICTION_SUBJECT } from './drift/profile.ts';
import { parseReference } from './drift/reference.ts';
import { modelsInWindow } from './results.ts';
import { alignedWindow, chSeconds, parseChTime, type Window } from './window.ts';

/** Options of the drift history and histogram endpoints (the same as the drift endpoint's). */
export interface DriftSeriesRoutesOptions {
  store: Store;
  referenceDir?: string;
  windowMinutes?: number;
  driftOptions?: DriftOptions;
}

const ISO = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|[+-]\\d{2}:\\d{2})$';
const NAME = { type: 'string', minLength: 1, maxLength: 256 } as const;
const MAX_RANGE_MS = 31 * 24 * 3600_000;
/** At most this many windows are returned by the history (a month of 10-minute passes fits). */
export const MAX_HISTORY_POINTS = 5000;
const params = { type: 'object', required: ['model'], properties: { model: NAME } } as const;

function badParam(msg: string): MwError {
  return new MwError('MW_ERR_BAD_QUERY_PARAM', msg);
}

function rangeOf(q: { from?: string; to?: string }, dfltMs: number): Window {
  const to = q.to ? new Date(q.to) : new Date();
  const from = q.from ? new Date(q.from) : new Date(to.getTime() - dfltMs);
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) throw badParam('from/to must be ISO 8601 times');
  if (from >= to) throw badParam('from must be before to');
  if (to.getTime() - from.getTime() > MAX_RANGE_MS) throw badParam('the range may span at most 31 days');
  return { from, to };
}

/** At most this many bars per histogram; smaller categories are summed into one. */
export const MAX_BINS = 30;

/** Keeps the `max - 1` largest categories (by reference + current share) and sums the rest as "(other)"; numeric bins pass as they are. */
export function topBins(b: { labels: string[]; reference: number[]; current: number[] }, max: number): { labels: string[]; reference: number[]; current: number[] } {
  if (b.labels.length <= max) return b;
  const order = b.labels.map((_, i) => i).sort((x, y) => b.reference[y] + b.current[y] - (b.reference[x] + b.current[x]) || (b.labels[x] < b.labels[y] ? -1 : 1));
  const keep = order.slice(0, max - 1);
  const rest = order.slice(max - 1);
  const sum = (v: number[]) => rest.reduce((a, i) => a + v[i], 0);
  return {
    labels: [...keep.map((i) => b.labels[i]), `(other ${rest.length})`],
    reference: [...keep.map((i) => b.reference[i]), sum(b.reference)],
    current: [...keep.map((i) => b.current[i]), sum(b.current)],
  };
}

function sendError(reply: FastifyReply, err: unknown): FastifyReply {
  if (isMwError(err)) return reply.code(err.statusCode).send({ error: err.code, message: err.message });
  throw err;
}

function parseDetails(s: string): Record<string, unknown> {
  try {
    const v = JSON.parse(s);
    return v && typeof v === 'object' ? v : {};
  } catch {
    return {};
  }
}

/** Fastify plugin: stored dataset drift over time, and reference vs current histograms of one feature. */
export async function driftSeriesRoutes(app: FastifyInstance, opts: DriftSeriesRoutesOptions): Promise<void> {
  const { store } = opts;
  const minutes = opts.windowMinutes ?? 60;

  // Only what the analyzer stored: one point per window (the newest computation of it).
  app.get<{ Params: { model: string }; Querystring: { from?: string; to?: string; version?: string } }>('/api/v1/models/:model/drift/history', {
    schema: {
      params,
      querystring: {
        type: 'object', additionalProperties: false,
        properties: { from: { type: 'string', pattern: ISO }, to: { type: 'string', pattern: ISO }, version: NAME },
      },
    },
  }, async (req, reply) => {
    try {
      const r = rangeOf(req.query, 24 * 3600_000);
      const rows = await store.query<{ window_start: string; window_end: string; version: string; value: number; threshold: number | null; status: string; reference: string; details: string }>(
        `SELECT window_start, window_end, version,
                argMax(value, computed_at) AS value, argMax(threshold, computed_at) AS threshold, argMax(status, computed_at) AS status,
                argMax(analysis_results.reference, computed_at) AS reference, argMax(details, computed_at) AS details
         FROM ${store.t('analysis_results')} AS analysis_results
         WHERE analyzer = 'drift' AND model = {model:String} AND subject = {subject:String} AND metric = 'drift_share' AND segment = ''
           AND ({version:String} = '' OR version = {version:String})
           AND window_end > {from:DateTime('UTC')} AND window_end <= {to:DateTime('UTC')}
         GROUP BY window_start, window_end, version
         ORDER BY window_end, version
         LIMIT {limit:UInt32}`,
        { model: req.params.model, subject: DATASET_SUBJECT, version: req.query.version ?? '', from: chSeconds(r.from), to: chSeconds(r.to), limit: MAX_HISTORY_POINTS },
      );
      return {
        model: req.params.model,
        from: r.from.toISOString(),
        to: r.to.toISOString(),
        points: rows.map((row) => {
          const d = parseDetails(row.details);
          return {
            window_start: parseChTime(row.window_start).toISOString(),
            window_end: parseChTime(row.window_end).toISOString(),
            version: row.version,
            share: Number(row.value),
            threshold: row.threshold === null ? null : Number(row.threshold),
            status: row.status,
            columns: typeof d.columns === 'number' ? d.columns : null,
            drifted: typeof d.drifted === 'number' ? d.drifted : null,
            drifted_columns: Array.isArray(d.drifted_columns) ? d.drifted_columns : [],
            reference: row.reference,
          };
        }),
      };
    } catch (err) {
      return sendError(reply, err);
    }
  });

  // Recomputes one column with the drift code itself, so the bins match the verdict's method and cuts.
  app.get<{ Params: { model: string }; Querystring: { feature: string; from?: string; to?: string; version?: string; reference?: string } }>('/api/v1/models/:model/drift/histogram', {
    schema: {
      params,
      querystring: {
        type: 'object', additionalProperties: false, required: ['feature'],
        properties: {
          feature: NAME, version: NAME, from: { type: 'string', pattern: ISO }, to: { type: 'string', pattern: ISO },
          reference: { type: 'string', maxLength: 4200 },
        },
      },
    },
  }, async (req, reply) => {
    try {
      const q = req.query;
      if ((q.from === undefined) !== (q.to === undefined)) throw badParam('from and to must be given together');
      const window = q.from === undefined ? alignedWindow(new Date(), minutes) : rangeOf(q, 0);
      const reference = parseReference(q.reference, { fileRoot: opts.referenceDir || undefined, allowFiles: Boolean(opts.referenceDir) });
      const version = q.version ?? (await modelsInWindow(store, window, req.params.model))[0]?.version;
      if (version === undefined) throw new MwError('MW_ERR_NOT_FOUND', `no predictions of ${req.params.model} in the window`);
      const { ref, cur } = jobSources({ model: req.params.model, version, window, reference });
      const report = await compareSources(store, ref, cur, opts.driftOptions, {
        columns: new Set([q.feature]),
        prediction: q.feature === PREDICTION_SUBJECT,
      });
      const col = report.columns.find((c) => c.column === q.feature);
      if (!col) throw new MwError('MW_ERR_NOT_FOUND', `feature ${JSON.stringify(q.feature)} has no values on both sides`);
      return {
        model: req.params.model,
        version,
        feature: col.column,
        type: col.type,
        method: col.method,
        statistic: Number.isFinite(col.statistic) ? col.statistic : null,
        p_value: col.p_value,
        threshold: col.threshold,
        drift: col.drift,
        status: col.status,
        reference_n: col.reference_n,
        current_n: col.current_n,
        window_start: window.from.toISOString(),
        window_end: window.to.toISOString(),
        bins: topBins(col.bins ?? { labels: [], reference: [], current: [] }, MAX_BINS),
      };
    } catch (err) {
      return sendError(reply, err);
    }
  });
}
