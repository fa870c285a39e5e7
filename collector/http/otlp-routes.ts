import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MwError } from '../../core/errors.ts';
import { encodeResponse, encodeStatus, jsonResponse, type Signal } from '../otlp/codec.ts';
import type { BodyKind } from '../ingest-body.ts';
import { partialMessage, type Ingestor, type IngestResult } from '../ingest.ts';
import { decodeContentEncoding } from './decompress.ts';

const PROTOBUF = 'application/x-protobuf';
const JSON_TYPES = ['application/json', 'application/x-ndjson', 'application/ndjson', 'text/plain'];

/** Options of the ingest routes. */
export interface IngestRouteOptions {
  ingestor: Ingestor;
  bodyLimitBytes: number;
  retryAfterSeconds?: number;
  /** Refuse ingest (503) while the process RSS is above this; 0 or absent: no limit. */
  maxRssBytes?: number;
}

// The request's body, removed from the request (see ingestOtlp below).
function takeBody(req: FastifyRequest): Buffer {
  const body = (req.body as Buffer | undefined) ?? Buffer.alloc(0);
  req.body = undefined;
  return body;
}

function isProtobuf(req: FastifyRequest): boolean {
  return (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase() === PROTOBUF;
}

// gRPC status codes used in google.rpc.Status bodies.
const GRPC = { 400: 3, 401: 16, 403: 7, 413: 3, 415: 3, 429: 8, 500: 13, 503: 14 } as Record<number, number>;

function sendError(req: FastifyRequest, reply: FastifyReply, status: number, message: string, code?: string, retryAfter?: number): FastifyReply {
  if (retryAfter !== undefined) reply.header('Retry-After', String(retryAfter));
  reply.code(status);
  if (isProtobuf(req)) return reply.type(PROTOBUF).send(Buffer.from(encodeStatus(GRPC[status] ?? 2, message)));
  return reply.type('application/json').send({ code: GRPC[status] ?? 2, message, error: code });
}

/**
 * OTLP/HTTP receiver (`/v1/logs`, `/v1/metrics`, `/v1/traces`) and the flat prediction endpoint
 * (`/v1/predictions`), in their own encapsulated context: raw-buffer body parsers, gzip with a
 * cap after decompression, and OTLP-shaped error bodies.
 */
export async function ingestRoutes(app: FastifyInstance, opts: IngestRouteOptions): Promise<void> {
  const retryAfter = opts.retryAfterSeconds ?? 2;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser([PROTOBUF, ...JSON_TYPES], { parseAs: 'buffer', bodyLimit: opts.bodyLimitBytes }, (_req, body, done) => done(null, body));

  // Memory admission, before the body is read: an overloaded collector sheds load instead of growing.
  const maxRss = opts.maxRssBytes ?? 0;
  if (maxRss > 0) {
    app.addHook('onRequest', async () => {
      const rss = process.memoryUsage.rss();
      if (rss > maxRss) throw new MwError('MW_ERR_MEMORY_LIMIT', `resident memory ${rss} bytes, limit ${maxRss}`);
    });
  }

  app.addHook('preParsing', async (req, _reply, payload) => {
    return decodeContentEncoding(payload, req.headers['content-encoding'] as string | undefined, opts.bodyLimitBytes) as typeof payload;
  });

  app.setErrorHandler((err: any, req, reply) => {
    if (err instanceof MwError) {
      // Every 503-class code (queue or spool full, ClickHouse away, shutting down) is retryable.
      const retry = err.statusCode === 503 || err.code === 'MW_ERR_WRITE_FAILED';
      // A failed write is the collector's trouble, not the client's: answer 503 so it retries.
      const status = retry ? 503 : err.statusCode;
      return sendError(req, reply, status, err.message, err.code, retry ? retryAfter : undefined);
    }
    const status = typeof err.statusCode === 'number' ? err.statusCode : 500;
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return sendError(req, reply, 415, `unsupported content type ${JSON.stringify(req.headers['content-type'] ?? '')} (application/x-protobuf or application/json)`, 'MW_ERR_UNSUPPORTED_MEDIA_TYPE');
    }
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || status === 413) {
      return sendError(req, reply, 413, `body exceeds ${opts.bodyLimitBytes} bytes`, 'MW_ERR_BODY_TOO_LARGE');
    }
    if (status >= 400 && status < 500) return sendError(req, reply, status, err.message, err.code);
    req.log.error({ err }, 'ingest failed');
    return sendError(req, reply, 500, 'internal error', 'MW_ERR_WRITE_FAILED');
  });

  // Hands the body to the ingestor (which decodes it here or in a decode thread); the promise holds
  // only the result. Kept out of the async handlers: V8 keeps an async function's locals alive
  // across its awaits, so a decoded body held there would live (and be promoted by the GC) until its
  // rows are flushed. The body is dropped from the request for the same reason: megabytes per
  // request in flight.
  const ingest = (kind: BodyKind, req: FastifyRequest, proto: boolean): Promise<IngestResult> => {
    // With auth on, the key's model scope decides which records may be written.
    return opts.ingestor.body(kind, proto, takeBody(req), req.principal ? { scope: req.principal } : undefined);
  };

  const otlp = (signal: Signal) => async (req: FastifyRequest, reply: FastifyReply) => {
    const proto = isProtobuf(req);
    const result = await ingest(signal, req, proto);
    const message = partialMessage(result);
    if (proto) return reply.type(PROTOBUF).send(Buffer.from(encodeResponse(signal, result.rejected, message)));
    return reply.type('application/json').send(jsonResponse(signal, result.rejected, message));
  };

  app.post('/v1/logs', otlp('logs'));
  app.post('/v1/metrics', otlp('metrics'));
  app.post('/v1/traces', otlp('traces'));

  app.post('/v1/predictions', async (req, reply) => {
    if (isProtobuf(req)) throw new MwError('MW_ERR_UNSUPPORTED_MEDIA_TYPE', 'send JSON or NDJSON to /v1/predictions');
    const result = await ingest('predictions', req, false);
    return reply.type('application/json').send({
      accepted: result.accepted,
      rejected: result.rejected,
      ...(result.rejected ? { partialSuccess: { rejectedPredictions: result.rejected, errorMessage: partialMessage(result) } } : {}),
    });
  });
}
