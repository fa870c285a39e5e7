import type { FastifyInstance } from 'fastify';
import type { Store } from '../../storage/client.ts';
import { MwError } from '../../core/errors.ts';
import { rollupSource } from '../../storage/levels.ts';
import { seenByKey, seenEdges } from '../../storage/levels-read.ts';

/** Parses an ISO-8601 or epoch-millisecond query value; `fallback` when absent. */
export function parseTimeParam(name: string, v: unknown, fallback: Date): Date {
  if (v === undefined || v === '') return fallback;
  const s = String(v);
  const d = /^\d+$/.test(s) ? new Date(Number(s)) : new Date(s);
  if (Number.isNaN(d.getTime())) throw new MwError('MW_ERR_BAD_QUERY_PARAM', `${name}=${JSON.stringify(s)} is not an ISO-8601 time or epoch milliseconds`);
  return d;
}

/** ClickHouse DateTime64 text for a Date (UTC). */
export function chTime(d: Date): string {
  return d.toISOString().replace('T', ' ').replace('Z', '');
}

/** A model's traffic over its whole history (before some end). */
export interface ModelSummary {
  model: string;
  versions: string[];
  predictions: number;
  /** Start of the earliest rollup bucket with traffic, epoch ms (minute-accurate while minutes are kept, else hour or day). */
  firstSeen: number;
  /** End of the latest rollup bucket with traffic, epoch ms exclusive (minute-accurate while minutes are kept). */
  lastSeen: number;
}

/** Beyond any stored time: "all history" as a window. */
const END_OF_HISTORY = new Date(Date.UTC(2100, 0, 1));

/**
 * Every model with traffic before `end` (default: all of it), in model order: versions and
 * predictions summed over the rollup levels (whole days from the day level, which outlives the
 * minutes), first and last seen from the finest level that still holds them.
 */
export async function modelSummaries(store: Store, end: Date = END_OF_HISTORY): Promise<ModelSummary[]> {
  const src = rollupSource(store, 'latency', { from: new Date(0), to: end });
  const totals = await store.query<{ model: string; versions: string[]; predictions: string }>(
    `SELECT model, arraySort(groupUniqArray(version)) AS versions, sum(predictions) AS predictions
     FROM ${src.sql} GROUP BY model ORDER BY model`,
    src.params,
  );
  const edges = seenEdges(store, 'latency', { keys: ['model'], window: { to: end } });
  const seen = seenByKey(await store.query<{ model: string; level: string; first: number; last: number }>(edges.sql, edges.params), (r) => r.model);
  return totals.flatMap((t) => {
    const s = seen.get(t.model);
    return s ? [{ model: t.model, versions: t.versions, predictions: Number(t.predictions), firstSeen: s.first, lastSeen: s.last }] : [];
  });
}

/** The read API over ingested data: models and their recent predictions. */
export async function readRoutes(app: FastifyInstance, opts: { store: Store }): Promise<void> {
  const { store } = opts;

  app.get('/api/v1/models', async (req) => {
    const rows = await modelSummaries(store);
    // A key limited to some models lists only those.
    const scope = req.modelScope;
    return rows.filter((r) => !scope || scope.allows(r.model)).map((r) => ({
      model: r.model,
      versions: r.versions,
      predictions: r.predictions,
      first_seen: new Date(r.firstSeen).toISOString(),
      // Rollups are per minute: the last prediction fell within the last minute seen.
      last_seen: new Date(r.lastSeen - 1).toISOString(),
    }));
  });

  app.get<{ Params: { model: string }; Querystring: { from?: string; to?: string; limit?: number; version?: string } }>(
    '/api/v1/models/:model/predictions',
    {
      schema: {
        params: { type: 'object', properties: { model: { type: 'string', minLength: 1, maxLength: 256 } }, required: ['model'] },
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            from: { type: 'string' },
            to: { type: 'string' },
            version: { type: 'string' },
            limit: { type: 'integer', minimum: 1, maximum: 10000, default: 100 },
          },
        },
      },
    },
    async (req) => {
      const now = new Date();
      const to = parseTimeParam('to', req.query.to, now);
      const from = parseTimeParam('from', req.query.from, new Date(to.getTime() - 3600_000));
      const rows = await store.query(
        `SELECT toString(ts) AS time, model, version, environment, prediction_id AS id, prediction_value AS prediction,
                prediction_label AS label, score, latency_ms, error_type AS error,
                features_num, features_cat, features_null, attributes, trace_id, span_id
         FROM ${store.t('predictions')}
         WHERE model = {model:String} AND ts >= {from:DateTime64(3)} AND ts < {to:DateTime64(3)}
           AND ({version:String} = '' OR version = {version:String})
         ORDER BY ts DESC LIMIT {limit:UInt32}`,
        { model: req.params.model, from: chTime(from), to: chTime(to), version: req.query.version ?? '', limit: req.query.limit ?? 100 },
      );
      return rows.map((r: any) => ({
        ...r,
        ts: new Date(r.time.replace(' ', 'T') + 'Z').toISOString(),
        time: undefined,
        features: { ...r.features_num, ...r.features_cat, ...Object.fromEntries((r.features_null as string[]).map((f) => [f, null])) },
        features_num: undefined,
        features_cat: undefined,
        features_null: undefined,
      }));
    },
  );
}
