// The dossier API: one-stop and specialised systems push dossiers and progress; they read back what
// the gateway knows, including how far each message got toward the national portal.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { Dossier, DossierCode, DossierEvent } from '../../schemas/dossier.js';
import { Problem } from '../core/problems.js';
import { NATIONAL_PORTAL, acceptDossier, acceptEvent, type AcceptContext, type AcceptRequest, type Accepted } from '../dossiers/accept.js';
import { deliveryView, DeliveryView } from '../dossiers/delivery-view.js';
import type { Enqueuer } from '../delivery/processor.js';
import { partnerOf, requireRole } from '../plugins/auth.js';
import { messagesOfDossier } from '../store/messages.js';
import { ProblemResponse } from './problem-schema.js';
import { BODY_LIMITS } from '../core/body-limits.js';

export interface DossierRouteOptions {
  accept: AcceptContext;
  queue: Enqueuer;
}

const WriteHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ pattern: '^[\\x21-\\x7e]{1,200}$', description: 'Makes a retried request safe' })),
  'x-sync-lane': Type.Optional(Type.Union([Type.Literal('live'), Type.Literal('bulk')], { description: 'bulk: a re-sync on the low-priority, rate-limited lane' })),
});

const AcceptedResponse = Type.Object({
  dossierCode: Type.String(),
  messageId: Type.Union([Type.String(), Type.Null()]),
  change: Type.Union([Type.Literal('create'), Type.Literal('update'), Type.Literal('event'), Type.Literal('unchanged')]),
  links: Type.Object({ dossier: Type.String() }),
});

const EventView = Type.Intersect([DossierEvent, Type.Object({ delivery: Type.Union([DeliveryView, Type.Null()]) })]);
const DossierView = Type.Object({
  dossier: Dossier,
  status: Type.String(),
  events: Type.Array(EventView),
  deliveries: Type.Array(DeliveryView, { description: 'Every message toward the national portal, in order' }),
});

/** What the acceptance rules need to know about a write request, besides its body. */
function writeOf(request: FastifyRequest, endpoint: string): AcceptRequest {
  const headers = request.headers as Static<typeof WriteHeaders>;
  return {
    partner: partnerOf(request),
    endpoint,
    rawBodySha256: request.rawBodySha256!,
    rawBody: request.rawBody!,
    traceparent: request.traceparent,
    signature: request.signature,
    idempotencyKey: headers['idempotency-key'],
    lane: headers['x-sync-lane'] ?? 'live',
  };
}

const dossierRoutes: FastifyPluginAsyncTypebox<DossierRouteOptions> = async (app, { accept, queue }) => {
  const enqueueAfterCommit = async (accepted: Accepted) => {
    for (const m of accepted.enqueue) {
      // The 202 stands even if Redis is down: the message is committed and the sweeper will queue it.
      await queue.enqueue(m.id, m.lane).catch((err) => app.log.warn({ err: { message: (err as Error).message }, messageId: m.id }, 'enqueue failed; the sweeper will retry'));
    }
  };

  app.post(
    '/v1/dossiers',
    {
      preParsing: requireRole('one-stop', 'agency-system'),
      schema: {
        tags: ['dossiers'],
        summary: 'Create or update a dossier',
        description: 'Stores the dossier and queues its sync to the national portal. 202 means committed. Status changes go through events.',
        headers: WriteHeaders,
        body: Dossier,
        response: { 202: AcceptedResponse, '4xx': ProblemResponse },
      },
    },
    async (request, reply) => {
      const accepted = await acceptDossier(accept, writeOf(request, 'POST /v1/dossiers'), request.body);
      await enqueueAfterCommit(accepted);
      return reply.code(accepted.statusCode).send(accepted.body as never);
    },
  );

  app.post(
    '/v1/dossiers/:code/events',
    {
      bodyLimit: BODY_LIMITS.event,
      preParsing: requireRole('one-stop', 'agency-system'),
      schema: {
        tags: ['dossiers'],
        summary: 'Report a progress event',
        description: 'Events of one dossier must come with sequence 1, 2, 3…; the status machine refuses impossible transitions with 409.',
        params: Type.Object({ code: DossierCode }),
        headers: WriteHeaders,
        body: DossierEvent,
        response: { 202: AcceptedResponse, '4xx': ProblemResponse },
      },
    },
    async (request, reply) => {
      const accepted = await acceptEvent(accept, writeOf(request, 'POST /v1/dossiers/{code}/events'), request.params.code, request.body);
      await enqueueAfterCommit(accepted);
      return reply.code(accepted.statusCode).send(accepted.body as never);
    },
  );

  app.get(
    '/v1/dossiers/:code',
    {
      preParsing: requireRole('one-stop', 'agency-system', 'admin'),
      schema: {
        tags: ['dossiers'],
        summary: 'Read a dossier, its events and their delivery state',
        params: Type.Object({ code: DossierCode }),
        response: { 200: DossierView, '4xx': ProblemResponse },
      },
    },
    async (request) => {
      const partner = partnerOf(request);
      const { code } = request.params;
      const [row] = await accept.db.query<{ agency_code: string; status: string; body: Dossier }>('SELECT agency_code, status, body FROM dossiers WHERE code = $1', [code]);
      if (!row || (!partner.roles.has('admin') && !accept.registry.actsFor(partner, row.agency_code))) {
        throw new Problem('dossier-not-found', `No dossier ${code} among the agencies you act for`);
      }
      const events = await accept.db.query<{ body: DossierEvent; message_id: string }>(
        'SELECT body, message_id FROM dossier_events WHERE dossier_code = $1 ORDER BY sequence',
        [code],
      );
      const deliveries = (await messagesOfDossier(accept.db, NATIONAL_PORTAL, code)).map(deliveryView);
      const byMessage = new Map(deliveries.map((d) => [d.messageId, d]));
      return {
        dossier: row.body,
        status: row.status,
        events: events.map((e) => ({ ...e.body, delivery: byMessage.get(e.message_id) ?? null })),
        deliveries,
      };
    },
  );
};

export default dossierRoutes;
