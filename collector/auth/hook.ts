import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MwError, type ErrorCode } from '../../core/errors.ts';
import { encodeStatus } from '../otlp/codec.ts';
import type { AuthKeys } from './key-source.ts';
import { keyFromHeaders } from './keys.ts';
import { OPEN_SCOPE, type ModelScope, type Principal } from './scope.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller's key, when auth is on and the route needs one. */
    principal: Principal | null;
    /** Which models the caller may touch (everything when auth is off). */
    modelScope: ModelScope | null;
  }
}

/** What a route needs: nothing, a key with read access, or a key with write access. */
export type RouteNeed = 'open' | 'read' | 'write';

/**
 * Paths open without a key: liveness and readiness (probers have no key), and the built-in UI's
 * page. None carries data: the UI asks for a key on its first 401 from /api and sends it.
 */
export const OPEN_PATHS = new Set(['/healthz', '/readyz', '/']);
/** Path prefixes open without a key: the UI's script and stylesheet. */
export const OPEN_PREFIXES = ['/ui'];

/**
 * Classifies a request path. Ingest (`/v1/*`) needs write; everything else, the read API, the
 * Prometheus metrics and any route added later, needs read: a new route is closed until it is
 * deliberately opened, by `config: { auth: 'open' }` on the route (the UI's static files, which
 * carry no data) or by `openPrefixes`.
 */
export function routeNeed(path: string, openPrefixes: readonly string[] = OPEN_PREFIXES): RouteNeed {
  if (OPEN_PATHS.has(path)) return 'open';
  if (path.startsWith('/v1/')) return 'write';
  if (openPrefixes.some((p) => path === p || path.startsWith(p.endsWith('/') ? p : p + '/'))) return 'open';
  return 'read';
}

// gRPC status codes for OTLP error bodies: UNAUTHENTICATED and PERMISSION_DENIED.
const GRPC: Record<number, number> = { 401: 16, 403: 7 };

/** Sends a 401/403 in the shape the route family uses: OTLP Status under /v1/, `{error, message}` elsewhere. */
export function sendDenied(req: FastifyRequest, reply: FastifyReply, code: ErrorCode, detail: string): FastifyReply {
  const err = new MwError(code, detail);
  reply.code(err.statusCode);
  if (err.statusCode === 401) reply.header('WWW-Authenticate', 'Bearer realm="modelwatch"');
  if (req.url.startsWith('/v1/')) {
    const protobuf = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase() === 'application/x-protobuf';
    if (protobuf) return reply.type('application/x-protobuf').send(Buffer.from(encodeStatus(GRPC[err.statusCode], err.message)));
    return reply.type('application/json').send({ code: GRPC[err.statusCode], message: err.message, error: code });
  }
  return reply.type('application/json').send({ error: code, message: err.message });
}

/** Options of the auth hook. */
export interface AuthHookOptions {
  keys: AuthKeys;
  /** Path prefixes served without a key (default OPEN_PREFIXES). */
  openPrefixes?: string[];
}

/**
 * Installs authentication on the root app (so every plugin's routes are covered): the key is
 * checked before the body is read; routes with a `:model` parameter answer 403 for a model
 * outside the key's scope. Keys are never logged; only their id is.
 */
export function installAuth(app: FastifyInstance, opts: AuthHookOptions): void {
  const { keys } = opts;
  app.decorateRequest('principal', null);
  app.decorateRequest('modelScope', null);
  if (!keys.enabled) {
    app.addHook('onRequest', async (req) => {
      req.modelScope = OPEN_SCOPE;
    });
    return;
  }
  app.addHook('onReady', async () => keys.start());
  app.addHook('onClose', async () => keys.stop());
  app.addHook('onRequest', async (req, reply) => {
    // Classify by the route that matched, not the raw URL, so no spelling of a path (encoded
    // characters, dot segments) can reach a data route through an open prefix.
    const q = req.url.indexOf('?');
    const path = req.routeOptions.url ?? (q < 0 ? req.url : req.url.slice(0, q));
    const declared = (req.routeOptions.config as { auth?: RouteNeed } | undefined)?.auth;
    const need = declared ?? routeNeed(path, opts.openPrefixes);
    if (need === 'open') return;
    const key = keyFromHeaders(req.headers);
    if (!key) return sendDenied(req, reply, 'MW_ERR_UNAUTHORIZED', 'send the key as "Authorization: Bearer <key>" or "x-api-key: <key>"');
    const p = await keys.authenticate(key);
    if (!p) {
      req.log.warn('request with an unknown API key refused');
      return sendDenied(req, reply, 'MW_ERR_UNAUTHORIZED', 'the key matches no configured key (unknown, revoked or mistyped)');
    }
    if (!p.access.has(need)) {
      return sendDenied(req, reply, 'MW_ERR_FORBIDDEN', `key "${p.keyId}" has no ${need} access (it has ${[...p.access].join(', ')})`);
    }
    const model = (req.params as Record<string, unknown> | undefined)?.model;
    if (typeof model === 'string' && !p.allows(model)) {
      return sendDenied(req, reply, 'MW_ERR_FORBIDDEN', `model ${JSON.stringify(model)} is outside the scope of key "${p.keyId}"`);
    }
    req.log.debug({ key: p.keyId }, 'authenticated');
    req.principal = p;
    req.modelScope = p;
  });
}
