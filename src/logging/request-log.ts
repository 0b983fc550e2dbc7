// One log line per request at info, written when the answer has gone: method, the loggable URL, status,
// response time and partner, with the request id and trace id the request's logger carries (reqId from
// Fastify, traceId from plugins/tracing.ts). Fastify's own pair (incoming request, then request
// completed) cost two lines per request; its other lines (an answer that failed to stream, its default
// error handler's) stay as Fastify writes them. Errors answered 5xx are logged at error level with the
// error by the error handlers (plugins/problems.ts, the portal-compatible and SOAP routes); 4xx
// refusals are recorded, sampled, by the refusal log, and here only as this line.
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import { loggableUrl } from './logger.js';

export class RequestLogController extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = { method: request.method, url: loggableUrl(request.url), statusCode: reply.statusCode, responseTime: reply.elapsedTime, partner: request.partner?.id };
    // request.log, not reply.log: the latter was made before the tracing hook added the trace id.
    if (error) request.log.error({ ...line, err: error }, 'request errored');
    else request.log.info(line, 'request completed');
  }
}
