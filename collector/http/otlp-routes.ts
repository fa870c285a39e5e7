import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MwError } from '../../core/errors.ts';
import { decodeRequest, encodeResponse, encodeStatus, jsonResponse, type Signal } from '../otlp/codec.ts';
import { parsePredictionsBody } from '../predictions/json.ts';
import { partialMessage, type Ingestor } from '../ingest.ts';
import { decodeContentEncoding } from './decompress.ts';

const PROTOBUF = 'application/x-protobuf';
const JSON_TYPES = ['application/json', 'application/x-ndjson', 'application/ndjson', 'text/plain'];

/** Options of the ingest routes. */
export interface IngestRouteOptions {
  ingestor: Ingestor;
  bodyLimitBytes: number;
  retryAfterSeconds?: number;
}

function isProtobuf(req: FastifyRequest): boolean {
  return (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase() === PROTOBUF;
}

// gRPC status codes used in google.rpc.Status bodies.
const GRPC = { 400: 3, 413: 3, 415: 3, 429: 8, 500: 13, 503: 14 } as Record<number, number>;

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

  app.addHook('preParsing', async (req, _reply, payload) => {
    return decodeContentEncoding(payload, req.headers['content-encoding'] as string | undefined, opts.bodyLimitBytes) as typeof payload;
  });

  app.setErrorHandler((err: any, req, reply) => {
    if (err instanceof MwError) {
      const retry = err.code === 'MW_ERR_QUEUE_FULL' || err.code === 'MW_ERR_WRITE_FAILED' || err.code === 'MW_ERR_CLICKHOUSE_UNAVAILABLE' || err.code === 'MW_ERR_SHUTTING_DOWN';
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

  const otlp = (signal: Signal) => async (req: FastifyRequest, reply: FastifyReply) => {
    const body = (req.body as Buffer | undefined) ?? Buffer.alloc(0);
    const proto = isProtobuf(req);
    let decoded: unknown;
    try {
      decoded = proto ? decodeRequest(signal, body) : body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
    } catch (err) {
      throw new MwError('MW_ERR_BODY_UNDECODABLE', `${proto ? 'protobuf' : 'JSON'}: ${(err as Error).message}`);
    }
    if (!proto && (typeof decoded !== 'object' || decoded === null || Array.isArray(decoded))) {
      throw new MwError('MW_ERR_BODY_UNDECODABLE', 'JSON: the body must be an object');
    }
    const result = await (signal === 'logs' ? opts.ingestor.logs(decoded) : signal === 'metrics' ? opts.ingestor.metrics(decoded) : opts.ingestor.traces(decoded));
    const message = partialMessage(result);
    if (proto) return reply.type(PROTOBUF).send(Buffer.from(encodeResponse(signal, result.rejected, message)));
    return reply.type('application/json').send(jsonResponse(signal, result.rejected, message));
  };

  app.post('/v1/logs', otlp('logs'));
  app.post('/v1/metrics', otlp('metrics'));
  app.post('/v1/traces', otlp('traces'));

  app.post('/v1/predictions', async (req, reply) => {
    if (isProtobuf(req)) throw new MwError('MW_ERR_UNSUPPORTED_MEDIA_TYPE', 'send JSON or NDJSON to /v1/predictions');
    const body = (req.body as Buffer | undefined) ?? Buffer.alloc(0);
    let parsed;
    try {
      parsed = parsePredictionsBody(body.toString('utf8'));
    } catch (err) {
      throw new MwError('MW_ERR_BODY_UNDECODABLE', (err as Error).message);
    }
    const result = await opts.ingestor.predictions(parsed.rows, parsed.rejected, parsed.errors);
    return reply.type('application/json').send({
      accepted: result.accepted,
      rejected: result.rejected,
      ...(result.rejected ? { partialSuccess: { rejectedPredictions: result.rejected, errorMessage: partialMessage(result) } } : {}),
    });
  });
}
