// Every refusal on our routes becomes application/problem+json with a stable code, and refusals of
// writes are recorded in the message log as metadata only (never the hostile body).
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { appendLog } from '../audit/message-log.js';
import { Problem, type ProblemCode } from '../core/problems.js';
import { isConnectionError } from '../store/connection-errors.js';
import type { Db } from '../store/db.js';

export function sendProblem(reply: FastifyReply, problem: Problem, instance?: string): FastifyReply {
  return reply.code(problem.status).type('application/problem+json').send(problem.toJSON(instance));
}

/** Any error as the problem it stands for; unknown errors are internal-error. */
export function toProblem(error: FastifyError): Problem {
  if (error instanceof Problem) return error;
  if (error.validation) {
    const errors = error.validation.slice(0, 20).map((v) => ({ path: v.instancePath || '/', message: v.message ?? 'is invalid', keyword: v.keyword }));
    return new Problem('invalid-request', `The ${error.validationContext ?? 'request'} does not match the schema`, { errors });
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
  if (isConnectionError(error)) return new Problem('unavailable', 'The database is unreachable; nothing was accepted, retry later');
  return new Problem('internal-error');
}

async function logRefusal(db: Db, request: FastifyRequest, problem: Problem): Promise<void> {
  if (request.method !== 'POST' || !request.url.startsWith('/v1/') || problem.status >= 500) return;
  const code = (request.params as { code?: unknown } | undefined)?.code;
  await appendLog(db, {
    direction: 'in',
    partnerId: request.partner?.id,
    endpoint: `${request.method} ${request.routeOptions.url ?? request.url.split('?')[0]}`,
    dossierCode: typeof code === 'string' && code.length <= 64 ? code : undefined,
    outcome: 'refused',
    errorCode: problem.code,
  });
}

export default fp<{ db: Db }>(
  async (app: FastifyInstance, { db }) => {
    app.setErrorHandler(async (error: FastifyError, request, reply) => {
      const problem = toProblem(error);
      if (problem.code === 'unavailable') request.log.warn({ err: { message: error.message } }, 'request refused: a dependency is unreachable');
      else if (problem.status >= 500) request.log.error({ err: error }, 'request failed');
      await logRefusal(db, request, problem).catch((err) => request.log.warn({ err: { message: (err as Error).message } }, 'could not log a refusal'));
      return sendProblem(reply, problem, request.url.split('?')[0]);
    });
    app.setNotFoundHandler(async (request, reply) => sendProblem(reply, new Problem('not-found', `No route ${request.method} ${request.url.split('?')[0]}`)));
  },
  { name: 'problems', dependencies: [] },
);
