import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { Config } from '../core/config/schema.ts';
import { MwError } from '../core/errors.ts';
import type { Store } from '../storage/client.ts';
import { migrationsApplied } from '../storage/migrate.ts';
import { BatchWriter } from '../storage/writer.ts';
import { spoolOptionsFrom } from '../storage/spool.ts';
import { Ingestor } from './ingest.ts';
import { DecodePool } from './decode/pool.ts';
import { ingestRoutes } from './http/otlp-routes.ts';
import { readRoutes } from './http/read-routes.ts';
import { installAuth } from './auth/hook.ts';
import { AuthKeys } from './auth/key-source.ts';
import { checkExposure, isLoopback, tlsOptions } from './auth/exposure.ts';
import { compilePrivacy, withKeyRead } from './privacy/policy.ts';
import { RequestLogController } from './request-log.ts';

/** The running collector: the fastify app and what it writes through. */
export interface Collector {
  app: FastifyInstance;
  writer: BatchWriter;
  ingestor: Ingestor;
  registry: Registry;
}

/**
 * Builds the collector's HTTP server: OTLP/HTTP and prediction ingest, health, readiness,
 * Prometheus metrics and the read API. Other parts add their routes to `app` before listen().
 */
export function buildCollector(opts: { store: Store; config: Config; logger: Logger; registry?: Registry }): Collector {
  const { store, config } = opts;
  // Start-up checks first: an exposed collector without keys, a bad TLS file, or a hash rule
  // without its key stop here, before anything listens or writes.
  checkExposure(config);
  const https = tlsOptions(config);
  const privacy = compilePrivacy(config.privacy);
  const authKeys = new AuthKeys(config.auth, store, opts.logger);
  if (!https && !isLoopback(config.server.host)) opts.logger.warn({ host: config.server.host }, 'serving plain HTTP on a non-loopback address: API keys and data cross the network in clear; set server.tls or put a TLS proxy in front');
  const registry = opts.registry ?? new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'modelwatch_process_' });
  const writer = new BatchWriter(store, { ...config.writer, spool: spoolOptionsFrom(config), registry, log: opts.logger });
  const threads = config.server.decodeThreads;
  const pool = threads > 0 ? new DecodePool(threads, { retentionDays: config.storage.retentionDays, privacy: withKeyRead(config.privacy) }, opts.logger) : null;
  const ingestor = new Ingestor(writer, registry, { retentionDays: config.storage.retentionDays, privacy, pool });
  const app: FastifyInstance = Fastify({
    ...(https ? { https } : {}),
    loggerInstance: opts.logger as unknown as FastifyBaseLogger,
    // Request-by-request lines at debug only: at info they would outnumber everything else.
    logController: new RequestLogController(),
    bodyLimit: config.server.bodyLimitBytes,
    // Give in-flight requests time to finish on shutdown, then cut idle keep-alives.
    forceCloseConnections: 'idle',
  });

  app.setErrorHandler((err: any, req, reply) => {
    if (err instanceof MwError) {
      return reply.code(err.statusCode).send({ error: err.code, message: err.message });
    }
    if (err.validation) return reply.code(400).send({ error: 'MW_ERR_BAD_QUERY_PARAM', message: err.message });
    const status = typeof err.statusCode === 'number' && err.statusCode >= 400 ? err.statusCode : 500;
    if (status >= 500) req.log.error({ err }, 'request failed');
    return reply.code(status).send({ error: err.code ?? 'internal', message: status >= 500 ? 'internal error' : err.message });
  });

  // While shutting down, answer on kept-alive connections with 503 + Connection: close and drop
  // idle ones, so close() waits only for requests already in flight (whose rows then flush).
  let closing = false;
  app.addHook('onRequest', async (_req, reply) => {
    if (closing) {
      reply.header('Connection', 'close').header('Retry-After', '2');
      return reply.code(503).send({ error: 'MW_ERR_SHUTTING_DOWN', message: 'the server is shutting down' });
    }
  });
  app.addHook('preClose', async () => {
    closing = true;
    const timer = setInterval(() => app.server.closeIdleConnections(), 50);
    app.server.once('close', () => clearInterval(timer));
  });

  // After the server has closed: requests in flight have had their answers.
  if (pool) app.addHook('onClose', () => pool.close());

  installAuth(app, { keys: authKeys });

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const reachable = await store.ping();
    const migrated = reachable && (await migrationsApplied(store));
    const ready = reachable && migrated;
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', clickhouse: reachable, migrations: migrated, queued_rows: writer.queuedRows, spool_bytes: writer.spoolBytes });
  });
  app.get('/metrics', async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()));

  // No route log level of their own: the log controller keeps per-request lines at debug, so
  // `--log-level debug` shows ingest and reads too.
  app.register(ingestRoutes, { ingestor, bodyLimitBytes: config.server.bodyLimitBytes, maxRssBytes: config.server.maxRssBytes });
  app.register(readRoutes, { store });
  return { app, writer, ingestor, registry };
}
