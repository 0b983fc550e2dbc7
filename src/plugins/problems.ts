// Every refusal on our routes becomes application/problem+json with a stable code, and refusals of
// writes are recorded in the message log as metadata only (never the hostile body), sampled so that a
// flood of them stays a bounded number of records (src/audit/refusal-log.ts).
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Socket } from 'node:net';
import fp from 'fastify-plugin';
import { refusalSource, type RefusalLog } from '../audit/refusal-log.js';
import { Problem, type ProblemCode } from '../core/problems.js';
import { isConnectionError } from '../store/connection-errors.js';
import { isDataError } from '../store/data-errors.js';
import { validationErrors } from './validation-errors.js';

export function sendProblem(reply: FastifyReply, problem: Problem, instance?: string): FastifyReply {
  return reply.code(problem.status).type('application/problem+json').send(problem.toJSON(instance));
}

/** Any error as the problem it stands for; unknown errors are internal-error. */
export function toProblem(error: FastifyError): Problem {
  if (error instanceof Problem) return error;
  if (error.validation) {
    return new Problem('invalid-request', `The ${error.validationContext ?? 'request'} does not match the schema`, { errors: validationErrors(error.validation) });
  }
  const byFastifyCode: Record<string, ProblemCode> = {
    FST_ERR_CTP_BODY_TOO_LARGE: 'payload-too-large',
    FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported-media-type',
    FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid-request',
    FST_ERR_CTP_EMPTY_JSON_BODY: 'malformed-json',
    FST_ERR_CTP_INVALID_JSON_BODY: 'malformed-json',
    FST_ERR_RATE_LIMIT_EXCEEDED: 'rate-limited',
  };
  const code = error.code ? byFastifyCode[error.code] : undefined;
  if (code) return new Problem(code);
  if (error.statusCode === 429) return new Problem('rate-limited');
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) return new Problem('invalid-request', 'The request was refused');
  // Nothing was acknowledged: the client may retry, and an idempotent retry is answered as the first.
  if (isConnectionError(error)) return new Problem('unavailable', 'The database or Redis is unreachable; nothing was accepted, retry later');
  // The transaction rolled back on a value the database cannot hold: the client's to fix.
  if (isDataError(error)) return new Problem('unstorable-value');
  return new Problem('internal-error');
}

/**
 * What Node's HTTP parser refuses before any route runs (headers over maxHeaderSize, a NUL or a space
 * in the request line, a broken chunk) is answered as a problem too, then the connection is closed:
 * after a parse error the rest of the stream cannot be trusted to frame a next request.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable) {
    const problem =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? new Problem('headers-too-large')
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? new Problem('request-timeout')
          : new Problem('malformed-http', `The HTTP parser refused the request (${error.code ?? 'error'})`);
    const body = JSON.stringify(problem.toJSON());
    socket.write(
      `HTTP/1.1 ${problem.status} ${problem.title}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

/** What the router refuses before a route is chosen: a path that is not percent-encoded UTF-8, an over-long parameter. */
export function frameworkErrors(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const problem =
    error.code === 'FST_ERR_BAD_URL'
      ? new Problem('invalid-request', 'The path is not valid percent-encoded UTF-8')
      : error.code === 'FST_ERR_MAX_PARAM_LENGTH'
        ? new Problem('uri-too-long')
        : new Problem('internal-error');
  // No `instance`: the path is exactly what could not be read, and is not echoed.
  return sendProblem(reply, problem);
}

async function logRefusal(refusals: RefusalLog, request: FastifyRequest, problem: Problem): Promise<void> {
  if (request.method !== 'POST' || !request.url.startsWith('/v1/') || problem.status >= 500) return;
  const code = (request.params as { code?: unknown } | undefined)?.code;
  await refusals.recordOrWarn({
    source: refusalSource(request.partner?.id, request.ip),
    partnerId: request.partner?.id,
    endpoint: `${request.method} ${request.routeOptions.url ?? request.url.split('?')[0]}`,
    dossierCode: typeof code === 'string' && code.length <= 64 ? code : undefined,
    errorCode: problem.code,
  }, request.log);
}

export default fp<{ refusals: RefusalLog }>(
  async (app: FastifyInstance, { refusals }) => {
    app.setErrorHandler(async (error: FastifyError, request, reply) => {
      const problem = toProblem(error);
      if (problem.code === 'unavailable') request.log.warn({ err: { message: error.message } }, 'request refused: a dependency is unreachable');
      else if (problem.code === 'internal-error') request.log.error({ err: error }, 'request failed');
      await logRefusal(refusals, request, problem);
      return sendProblem(reply, problem, request.url.split('?')[0]);
    });
    app.setNotFoundHandler(async (request, reply) => sendProblem(reply, new Problem('not-found', `No route ${request.method} ${request.url.split('?')[0]}`)));
  },
  { name: 'problems', dependencies: [] },
);
