// The dossier API: one-stop and specialised systems push dossiers and progress; they read back what
// the gateway knows, including how far each message got toward the national portal.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { Dossier, DossierCode, DossierEvent } from '../../schemas/dossier.js';
import type { AcceptContext, AcceptRequest } from './accept.js';
import { DeliveryView } from './delivery-view.js';
import { AcceptanceGroups } from './group-commit.js';
import { dossierState } from './state.js';
import type { Enqueuer } from '../delivery/enqueuer.js';
import type { PartnerRegistry } from '../partners/registry.js';
import { partnerOf, requireRole } from '../plugins/auth.js';
import { ProblemResponse } from '../routes/problem-schema.js';
import { BODY_LIMITS } from '../core/body-limits.js';
import type { Db } from '../store/db.js';

export interface DossierRouteOptions {
  db: Db;
  registry: PartnerRegistry;
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

const dossierRoutes: FastifyPluginAsyncTypebox<DossierRouteOptions> = async (app, { db, registry, accept, queue }) => {
  // Concurrent writes share one transaction and one enqueue; each is answered after that commit.
  const groups = new AcceptanceGroups(accept, queue, app.log);

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
      const accepted = await groups.submit({ kind: 'dossier', req: writeOf(request, 'POST /v1/dossiers'), dossier: request.body });
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
      const accepted = await groups.submit({ kind: 'event', req: writeOf(request, 'POST /v1/dossiers/{code}/events'), code: request.params.code, event: request.body });
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
    async (request) => dossierState(db, registry, partnerOf(request), request.params.code),
  );
};

export default dossierRoutes;
