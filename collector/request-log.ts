/**
 * fastify's per-request log lines ("incoming request", "request completed", 4xx errors, unknown
 * routes) one level down: debug and trace instead of info, so a busy collector logs only what
 * matters at the default level, and `--log-level debug` shows every request. Lines about
 * failures (5xx, a broken response stream) keep their levels.
 */
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

/** The collector's fastify log controller: request-by-request lines at debug (incoming ones at trace). */
export class RequestLogController extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    request.log.trace({ req: request }, 'incoming request');
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
    // The request is repeated here: at debug this is the only line a request gets.
    else reply.log.debug({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }

  override defaultErrorLog(error: Error, request: FastifyRequest, reply: FastifyReply): void {
    if (reply.statusCode >= 500) reply.log.error({ req: request, res: reply, err: error }, error?.message);
    else reply.log.debug({ req: request, res: reply, err: error }, error?.message);
  }

  override streamError(error: Error & { code?: string }, request: FastifyRequest, reply: FastifyReply): void {
    if (error.code === 'ERR_STREAM_PREMATURE_CLOSE') reply.log.debug({ req: request, res: reply }, 'stream closed prematurely');
    else super.streamError(error, request, reply);
  }

  override routeNotFound(request: FastifyRequest): void {
    request.log.debug({ req: request }, 'route not found');
  }

  override serviceUnavailable(...args: Parameters<LogController['serviceUnavailable']>): void {
    // One per request refused while closing; the shutdown itself is logged once by the CLI.
    args[0].debug({ res: { statusCode: 503 } }, 'request refused: the server is closing');
  }
}
