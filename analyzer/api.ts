import type { FastifyInstance, FastifyReply } from 'fastify';
import { isMwError, MwError } from '../core/errors.ts';
import type { Store } from '../storage/client.ts';
import type { DriftOptions } from './drift/compute.ts';
import { runDrift } from './drift/job.ts';
import { describeReference, parseReference } from './drift/reference.ts';
import { runGpu } from './gpu.ts';
import { runLatency } from './latency.ts';
import { runPerformance } from './performance.ts';
import { runQuality } from './quality.ts';
import { modelsInWindow, readResults, resultToJson, type ResultRow } from './results.ts';
import { alignedWindow, type Window } from './window.ts';

/** Options of the analyzer API. */
export interface AnalyzerRoutesOptions {
  store: Store;
  /** Directory `reference=file:` may read from; file references are refused without it. */
  referenceDir?: string;
  /** Window length when `from`/`to` are absent (default 60 minutes). */
  windowMinutes?: number;
  driftOptions?: DriftOptions;
  positiveClass?: string;
}

const ISO = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|[+-]\\d{2}:\\d{2})$';
const NAME = { type: 'string', minLength: 1, maxLength: 256 } as const;
const MAX_RANGE_MS = 31 * 24 * 3600 * 1000;

const windowQuery = {
  from: { type: 'string', pattern: ISO },
  to: { type: 'string', pattern: ISO },
  version: NAME,
} as const;

const params = { type: 'object', required: ['model'], properties: { model: NAME } } as const;

interface Q { from?: string; to?: string; version?: string; reference?: string; segment?: string }

function badParam(msg: string): MwError {
  return new MwError('MW_ERR_BAD_QUERY_PARAM', msg);
}

function windowOf(q: Q, minutes: number): Window {
  if ((q.from === undefined) !== (q.to === undefined)) throw badParam('from and to must be given together');
  if (q.from === undefined) return alignedWindow(new Date(), minutes);
  const w = { from: new Date(q.from), to: new Date(q.to!) };
  if (Number.isNaN(w.from.getTime()) || Number.isNaN(w.to.getTime())) throw badParam('from/to must be ISO 8601 times');
  if (w.from >= w.to) throw badParam('from must be before to');
  if (w.to.getTime() - w.from.getTime() > MAX_RANGE_MS) throw badParam('the window may span at most 31 days');
  return w;
}

function sendError(reply: FastifyReply, err: unknown): FastifyReply {
  if (isMwError(err)) return reply.code(err.statusCode).send({ error: err.code, message: err.message });
  throw err;
}

/** Stored rows for the window when present; otherwise computes them now (not stored). */
async function storedOrComputed(store: Store, analyzer: string, w: Window, filter: { model?: string; version?: string; segment?: string; reference?: string }, compute: () => Promise<ResultRow[]>) {
  const stored = await readResults(store, { analyzer, window: w, ...filter });
  if (stored.length > 0) return { source: 'stored', results: stored.map(resultToJson) };
  return { source: 'computed', results: (await compute()).map(resultToJson) };
}

/** Fastify plugin: drift, latency, GPU, quality and performance endpoints under /api/v1/models/:model. */
export async function analyzerRoutes(app: FastifyInstance, opts: AnalyzerRoutesOptions): Promise<void> {
  const { store } = opts;
  const minutes = opts.windowMinutes ?? 60;
  const versionsOf = async (model: string, w: Window, version?: string) =>
    version !== undefined ? [version] : (await modelsInWindow(store, w, model)).map((m) => m.version);
  const head = (model: string, w: Window) => ({ model, window_start: w.from.toISOString(), window_end: w.to.toISOString() });

  app.get<{ Params: { model: string }; Querystring: Q }>('/api/v1/models/:model/drift', {
    schema: {
      params,
      querystring: {
        type: 'object', additionalProperties: false,
        properties: { ...windowQuery, reference: { type: 'string', maxLength: 4200 }, segment: { type: 'string', pattern: '^[^=]{1,256}=.{0,1024}$' } },
      },
    },
  }, async (req, reply) => {
    try {
      const w = windowOf(req.query, minutes);
      const reference = parseReference(req.query.reference, { fileRoot: opts.referenceDir || undefined, allowFiles: Boolean(opts.referenceDir) });
      const segment = req.query.segment ? { feature: req.query.segment.split('=')[0], value: req.query.segment.slice(req.query.segment.indexOf('=') + 1) } : undefined;
      const out: Record<string, unknown>[] = [];
      let source = 'stored';
      for (const version of await versionsOf(req.params.model, w, req.query.version)) {
        const r = await storedOrComputed(store, 'drift', w, {
          model: req.params.model, version, segment: req.query.segment ?? '', reference: describeReference(reference, w),
        }, () => runDrift(store, { model: req.params.model, version, window: w, reference, segment, options: opts.driftOptions }));
        if (r.source === 'computed') source = 'computed';
        out.push(...r.results);
      }
      return { ...head(req.params.model, w), reference: describeReference(reference, w), source, results: out };
    } catch (err) {
      return sendError(reply, err);
    }
  });

  app.get<{ Params: { model: string }; Querystring: Q }>('/api/v1/models/:model/latency', {
    schema: { params, querystring: { type: 'object', additionalProperties: false, properties: windowQuery } },
  }, async (req, reply) => {
    try {
      const w = windowOf(req.query, minutes);
      const filter = { model: req.params.model, version: req.query.version };
      const r = await storedOrComputed(store, 'latency', w, filter, async () =>
        (await runLatency(store, w)).filter((x) => x.model === filter.model && (filter.version === undefined || x.version === filter.version)));
      return { ...head(req.params.model, w), ...r };
    } catch (err) {
      return sendError(reply, err);
    }
  });

  app.get<{ Params: { model: string }; Querystring: Q }>('/api/v1/models/:model/gpu', {
    schema: { params, querystring: { type: 'object', additionalProperties: false, properties: { from: windowQuery.from, to: windowQuery.to } } },
  }, async (req, reply) => {
    try {
      const w = windowOf(req.query, minutes);
      return { ...head(req.params.model, w), ...(await storedOrComputed(store, 'gpu', w, {}, () => runGpu(store, w))) };
    } catch (err) {
      return sendError(reply, err);
    }
  });

  for (const kind of ['quality', 'performance'] as const) {
    app.get<{ Params: { model: string }; Querystring: Q }>(`/api/v1/models/:model/${kind}`, {
      schema: { params, querystring: { type: 'object', additionalProperties: false, properties: windowQuery } },
    }, async (req, reply) => {
      try {
        const w = windowOf(req.query, minutes);
        const out: Record<string, unknown>[] = [];
        let source = 'stored';
        for (const version of await versionsOf(req.params.model, w, req.query.version)) {
          const scope = { model: req.params.model, version };
          const r = await storedOrComputed(store, kind, w, scope, () =>
            kind === 'quality' ? runQuality(store, scope, w) : runPerformance(store, scope, w, { positiveClass: opts.positiveClass }));
          if (r.source === 'computed') source = 'computed';
          out.push(...r.results);
        }
        return { ...head(req.params.model, w), source, results: out };
      } catch (err) {
        return sendError(reply, err);
      }
    });
  }
}
