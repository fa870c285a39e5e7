import type { FastifyInstance, FastifyRequest } from 'fastify';
import { MwError } from '../core/errors.ts';
import type { Store } from '../storage/client.ts';
import type { AlertsEngine } from './engine.ts';
import { buildSilence, silenceState, silenceView, type Silence, type SilenceInput } from './silences.ts';
import type { Matcher } from './types.ts';

/** Which models the caller may see: set on the request by the collector's auth hook; absent when auth is off. */
interface ModelScope {
  unrestricted: boolean;
  allows(model: string): boolean;
}

function scopeOf(req: FastifyRequest): ModelScope | null {
  return (req as unknown as { modelScope?: ModelScope | null }).modelScope ?? null;
}

// A key limited to some models sees the alerts labelled with one of them, and nothing unlabelled.
function labelAllowed(scope: ModelScope | null, labels: Record<string, string> | undefined): boolean {
  return !scope || scope.unrestricted || (typeof labels?.model === 'string' && scope.allows(labels.model));
}

// A limited key may see and manage only silences pinned to one of its models by a model="..." matcher.
function silenceAllowed(scope: ModelScope | null, matchers: readonly Matcher[]): boolean {
  return !scope || scope.unrestricted || matchers.some((m) => m.name === 'model' && m.type === '=' && scope.allows(m.value));
}

function forbidSilence(): MwError {
  return new MwError('MW_ERR_FORBIDDEN', 'this key is limited to some models: a silence needs a model="..." matcher naming one of them');
}

/** Options of the alerts API plugin. */
export interface AlertsRoutesOptions {
  store: Store;
  engine: AlertsEngine;
}

function intParam(v: unknown, name: string, dflt: number | undefined): number | undefined {
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new MwError('MW_ERR_BAD_QUERY_PARAM', `${name}: expected a whole number, got ${JSON.stringify(v)}`);
  return n;
}

function timeParam(v: unknown, name: string): number | undefined {
  if (v === undefined || v === '') return undefined;
  const t = /^\d+$/.test(String(v)) ? Number(v) : Date.parse(String(v));
  if (!Number.isFinite(t)) throw new MwError('MW_ERR_BAD_QUERY_PARAM', `${name}: expected an ISO time or epoch milliseconds, got ${JSON.stringify(v)}`);
  return t;
}

/** Fastify plugin: active alerts, their history, and silences under /api/v1. */
export async function alertsRoutes(app: FastifyInstance, opts: AlertsRoutesOptions): Promise<void> {
  const { engine } = opts;

  app.get('/api/v1/alerts', async (req) => {
    const q = req.query as Record<string, string | undefined>;
    let alerts = await engine.activeAlerts();
    if (q.state) alerts = alerts.filter((a) => a.state === q.state);
    if (q.rule) alerts = alerts.filter((a) => a.rule === q.rule);
    if (q.model) alerts = alerts.filter((a) => a.labels.model === q.model);
    const scope = scopeOf(req);
    return { alerts: alerts.filter((a) => labelAllowed(scope, a.labels)) };
  });

  app.get('/api/v1/alerts/history', async (req) => {
    const q = req.query as Record<string, string | undefined>;
    const history = await engine.history({ rule: q.rule || undefined, since: timeParam(q.since, 'since'), limit: intParam(q.limit, 'limit', 100) });
    const scope = scopeOf(req);
    return { history: history.filter((h) => labelAllowed(scope, h.labels as Record<string, string> | undefined)) };
  });

  app.get('/api/v1/silences', async (req) => {
    const q = req.query as Record<string, string | undefined>;
    const now = Date.now();
    const scope = scopeOf(req);
    let list = (await engine.listSilences()).filter((s: Silence) => silenceAllowed(scope, s.matchers));
    if (q.state) list = list.filter((s) => silenceState(s, now) === q.state);
    return { silences: list.map((s) => silenceView(s, now)) };
  });

  app.post('/api/v1/silences', async (req, reply) => {
    const body = (req.body ?? {}) as SilenceInput;
    if (typeof body !== 'object' || Array.isArray(body)) throw new MwError('MW_ERR_SILENCE_INVALID', 'expected a JSON object');
    const scope = scopeOf(req);
    if (scope && !scope.unrestricted && !silenceAllowed(scope, buildSilence(body, Date.now()).matchers)) throw forbidSilence();
    const s = await engine.createSilence(body);
    reply.code(201);
    return { silenceID: s.id, silence: silenceView(s, Date.now()) };
  });

  app.delete('/api/v1/silences/:id', async (req) => {
    const { id } = req.params as { id: string };
    const scope = scopeOf(req);
    if (scope && !scope.unrestricted) {
      const existing = (await engine.listSilences()).find((s: Silence) => s.id === id);
      if (existing && !silenceAllowed(scope, existing.matchers)) throw forbidSilence();
    }
    const s = await engine.expireSilence(id);
    return { silence: silenceView(s, Date.now()) };
  });
}
