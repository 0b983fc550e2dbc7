// The postal API: one-stop systems request pickups and deliveries and read their progress; postal
// operators push status reports to /v1/postal/callbacks (signed; the partner registry makes them
// mustSign). Reports learned by polling go through the same application as pushed ones; a push is
// checked against the replay rule first (src/postal/callback.ts).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { readVnpostPush, VnpostPushBody } from '../../adapters/postal-bcci/index.js';
import type { CallbackGuards } from '../callbacks/replay-guard.js';
import { ShipmentRequest } from '../../schemas/shipment.js';
import { BODY_LIMITS } from '../core/body-limits.js';
import { Problem } from '../core/problems.js';
import type { Enqueuer } from '../delivery/enqueuer.js';
import { enqueueAfterCommit } from '../delivery/enqueue-after-commit.js';
import type { AcceptContext } from '../dossiers/accept.js';
import { partnerOf, requireRole } from '../plugins/auth.js';
import { receivePush } from './callback.js';
import { requestCancel, requestShipment, shipmentView, type WriteContext } from './shipments.js';
import type { Logger } from 'pino';
import { ProblemResponse } from '../routes/problem-schema.js';
import type { Db } from '../store/db.js';
import type { PartnerRegistry } from '../partners/registry.js';

export interface PostalRouteOptions {
  db: Db;
  registry: PartnerRegistry;
  accept: AcceptContext;
  queue: Enqueuer;
  /** Without a postal operator, requests are refused rather than queued for nobody. */
  enabled: boolean;
  guards: CallbackGuards;
}

const ShipmentId = Type.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' });
const Accepted = Type.Object({ id: Type.String(), messageId: Type.String(), links: Type.Object({ shipment: Type.String() }) });

const PushAnswer = Type.Object({
  received: Type.Integer(),
  applied: Type.Integer(),
  duplicate: Type.Integer(),
  stale: Type.Integer(),
  contradicting: Type.Integer(),
});

const postalRoutes: FastifyPluginAsyncTypebox<PostalRouteOptions> = async (app, { db, registry, accept, queue, enabled, guards }) => {
  const tags = ['postal'];

  app.post(
    '/v1/postal/shipments',
    {
      bodyLimit: BODY_LIMITS.request,
      preParsing: requireRole('one-stop'),
      schema: { tags, summary: 'Request a pickup of application papers or a delivery of results', body: ShipmentRequest, response: { 202: Accepted, '4xx': ProblemResponse } },
    },
    async (request, reply) => {
      if (!enabled) throw new Problem('unavailable', 'No postal operator is configured (POSTAL_URL)');
      const { id, messageId } = await requestShipment(db, registry, writeContext(request, 'POST /v1/postal/shipments'), request.body);
      await enqueueAfterCommit(queue, [{ id: messageId, lane: 'live' }], request.log);
      return reply.code(202).send({ id, messageId, links: { shipment: `/v1/postal/shipments/${id}` } });
    },
  );

  app.get(
    '/v1/postal/shipments/:id',
    {
      preParsing: requireRole('one-stop', 'admin'),
      schema: {
        tags,
        summary: "A shipment: the operator's item code, its status, and every report in the trail",
        params: Type.Object({ id: ShipmentId }),
        response: { 200: Type.Record(Type.String(), Type.Unknown()), '4xx': ProblemResponse },
      },
    },
    async (request) => shipmentView(db, partnerOf(request), request.params.id),
  );

  app.post(
    '/v1/postal/shipments/:id/cancel',
    {
      bodyLimit: BODY_LIMITS.command,
      preParsing: requireRole('one-stop'),
      schema: { tags, summary: 'Cancel a shipment at the operator', params: Type.Object({ id: ShipmentId }), response: { 202: Type.Object({ messageId: Type.String() }), '4xx': ProblemResponse } },
    },
    async (request, reply) => {
      const { messageId } = await requestCancel(db, writeContext(request, 'POST /v1/postal/shipments/{id}/cancel'), request.params.id);
      await enqueueAfterCommit(queue, [{ id: messageId, lane: 'live' }], request.log);
      return reply.code(202).send({ messageId });
    },
  );

  app.post(
    '/v1/postal/callbacks',
    {
      bodyLimit: BODY_LIMITS.postalPush,
      preParsing: requireRole('postal-operator'),
      schema: {
        tags,
        summary: "An operator's signed status report (push); duplicates are acknowledged and applied once",
        body: VnpostPushBody,
        response: { 200: PushAnswer, '4xx': ProblemResponse },
      },
    },
    async (request) => {
      const push = readVnpostPush(request.body);
      if ('unreadableEventId' in push) throw new Problem('invalid-request', `Unknown status code or event time in event ${push.unreadableEventId}`.trim());
      return receivePush(
        { db, registry, accept, queue, guards, logger: request.log as unknown as Logger },
        { ctx: writeContext(request, 'POST /v1/postal/callbacks'), rawBodySha256: request.rawBodySha256!, orderNumber: push.orderNumber, reports: push.reports },
      );
    },
  );

  function writeContext(request: FastifyRequest, endpoint: string): WriteContext {
    return {
      partner: partnerOf(request),
      endpoint,
      rawBody: request.rawBody ?? Buffer.alloc(0),
      signature: request.signature,
      traceparent: request.traceparent,
    };
  }
};

export default postalRoutes;
