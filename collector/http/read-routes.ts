import type { FastifyInstance } from 'fastify';
import type { Store } from '../../storage/client.ts';
import { MwError } from '../../core/errors.ts';

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

/** The read API over ingested data: models and their recent predictions. */
export async function readRoutes(app: FastifyInstance, opts: { store: Store }): Promise<void> {
  const { store } = opts;

  app.get('/api/v1/models', async (req) => {
    const rows = await store.query<{ model: string; versions: string[]; predictions: string; first_seen: string; last_seen: string }>(
      `SELECT model, arraySort(groupUniqArray(version)) AS versions, sum(predictions) AS predictions,
              min(minute) AS first_seen, max(minute) AS last_seen
       FROM ${store.t('latency_1m')} GROUP BY model ORDER BY model`,
    );
    // A key limited to some models lists only those.
    const scope = req.modelScope;
    return rows.filter((r) => !scope || scope.allows(r.model)).map((r) => ({
      model: r.model,
      versions: r.versions,
      predictions: Number(r.predictions),
      first_seen: new Date(r.first_seen + 'Z').toISOString(),
      // Rollups are per minute: the last prediction fell within the last minute seen.
      last_seen: new Date(new Date(r.last_seen + 'Z').getTime() + 59_999).toISOString(),
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
