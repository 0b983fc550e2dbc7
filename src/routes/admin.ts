// The operator's door: see what is dead-lettered and replay it once the cause is fixed.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { BODY_LIMITS } from '../core/body-limits.js';
import { Problem } from '../core/problems.js';
import { deliveryView, DeliveryView } from '../dossiers/delivery-view.js';
import type { Enqueuer } from '../delivery/enqueuer.js';
import { enqueueAfterCommit } from '../delivery/enqueue-after-commit.js';
import { requireRole } from '../plugins/auth.js';
import type { Db } from '../store/db.js';
import { findDeadLetters, replayDeadLetters } from '../store/dead-letters.js';
import { messagesInState, replayDead, type MessageState, type OutboundMessage } from '../store/messages.js';
import { ProblemResponse } from './problem-schema.js';

export interface AdminRouteOptions {
  db: Db;
  queue: Enqueuer;
}

const MessageId = Type.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' });
const DeadLetter = Type.Object({
  id: Type.String(),
  destination: Type.String(),
  lane: Type.String(),
  dossierCode: Type.Union([Type.String(), Type.Null()]),
  lastError: Type.Union([Type.String(), Type.Null()]),
  diedAt: Type.String({ format: 'date-time' }),
});
const BulkReplay = Type.Object(
  {
    destination: Type.Optional(Type.String({ minLength: 1, maxLength: 50, examples: ['national-portal'] })),
    deadFrom: Type.Optional(Type.String({ format: 'date-time', description: 'Died at or after this instant' })),
    deadTo: Type.Optional(Type.String({ format: 'date-time', description: 'Died before this instant' })),
    errorPrefix: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'The recorded error starts with this text, e.g. "portal unavailable: HTTP 503"' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 1000 })),
    dryRun: Type.Optional(Type.Boolean({ default: false, description: 'Only list what would be replayed' })),
  },
  { additionalProperties: false },
);
const BulkReplayAnswer = Type.Object({ dryRun: Type.Boolean(), count: Type.Integer(), messages: Type.Array(DeadLetter) });
const AdminMessage = Type.Intersect([DeliveryView, Type.Object({ destination: Type.String(), dossierCode: Type.Union([Type.String(), Type.Null()]), partnerId: Type.String() })]);

const adminRoutes: FastifyPluginAsyncTypebox<AdminRouteOptions> = async (app, { db, queue }) => {
  app.addHook('preParsing', requireRole('admin'));
  const view = (m: OutboundMessage) => ({ ...deliveryView(m), destination: m.destination, dossierCode: m.dossierCode, partnerId: m.partnerId });

  app.get(
    '/v1/admin/messages',
    {
      schema: {
        tags: ['admin'],
        summary: 'List messages by delivery state (dead letters first of all)',
        querystring: Type.Object({
          state: Type.Union(['pending', 'failed', 'delivered', 'dead', 'superseded'].map((s) => Type.Literal(s)), { default: 'dead' }),
          limit: Type.String({ pattern: '^([1-9][0-9]?|[1-4][0-9]{2}|500)$', default: '100', description: '1 to 500' }),
        }),
        response: { 200: Type.Object({ messages: Type.Array(AdminMessage) }), '4xx': ProblemResponse },
      },
    },
    async (request) => {
      const rows = await messagesInState(db, request.query.state as MessageState, Number(request.query.limit));
      return { messages: rows.map(view) };
    },
  );

  app.post(
    '/v1/admin/messages/:id/replay',
    {
      bodyLimit: BODY_LIMITS.command,
      schema: {
        tags: ['admin'],
        summary: 'Replay a dead-lettered message',
        description: 'Resets its attempts and queues it again; messages held behind it in the same dossier follow once it is delivered.',
        params: Type.Object({ id: MessageId }),
        response: { 202: AdminMessage, '4xx': ProblemResponse },
      },
    },
    async (request, reply) => {
      const result = await replayDead(db, request.params.id);
      if (result === 'not-found') throw new Problem('message-not-found');
      if (result === 'not-dead') throw new Problem('message-not-dead', 'The message is not dead-lettered; it is delivered or still being retried');
      await enqueueAfterCommit(queue, [result], request.log);
      return reply.code(202).send(view(result));
    },
  );

  app.post(
    '/v1/admin/messages/replay',
    {
      bodyLimit: BODY_LIMITS.command,
      schema: {
        tags: ['admin'],
        summary: 'Replay every dead letter a filter matches (destination, time of death, error), or list them with dryRun',
        description: 'Oldest first, at most `limit` per call; call again for the rest. Each is reset and queued as one replay is.',
        body: BulkReplay,
        response: { 200: BulkReplayAnswer, 202: BulkReplayAnswer, '4xx': ProblemResponse },
      },
    },
    async (request, reply) => {
      const { dryRun = false, limit = 1000, deadFrom, deadTo, ...rest } = request.body;
      const filter = { ...rest, deadFrom: deadFrom ? new Date(deadFrom) : undefined, deadTo: deadTo ? new Date(deadTo) : undefined, limit };
      if (dryRun) {
        const messages = await findDeadLetters(db, filter);
        return reply.code(200).send({ dryRun, count: messages.length, messages });
      }
      const messages = await replayDeadLetters(db, filter);
      await enqueueAfterCommit(queue, messages, request.log);
      request.log.info({ replayed: messages.length, destination: filter.destination, errorPrefix: filter.errorPrefix }, 'dead letters replayed');
      return reply.code(202).send({ dryRun, count: messages.length, messages });
    },
  );
};

export default adminRoutes;
