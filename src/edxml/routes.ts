// The edXML road (docs/edxml.md): the directory, the package door, the inbox of systems that fetch,
// and each document's trail. Packages arrive as XML streams; the JSON answers are the gateway's own.
import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { Problem } from '../core/problems.js';
import { acknowledgeInboxItem, ownInboxItem, waitingFor } from './inbox.js';
import { outgoingChunks } from './outgoing.js';
import { receivePackage, type EdxmlContext } from './receive.js';
import { documentTrail } from './trail.js';
import type { Enqueuer } from '../delivery/enqueuer.js';
import { enqueueAfterCommit } from '../delivery/enqueue-after-commit.js';
import { partnerOf, requireRole } from '../plugins/auth.js';
import { ProblemResponse } from '../routes/problem-schema.js';

export interface EdxmlRouteOptions {
  edxml: EdxmlContext;
  queue: Enqueuer;
}

const Uuid = Type.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' });
const Str = Type.String();
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);
const XML_TYPES = ['application/xml', 'text/xml', 'application/edxml+xml'];

const DirectoryAnswer = Type.Object({
  agencies: Type.Array(
    Type.Object({
      organId: Str,
      name: Str,
      system: Type.Object({ partnerId: Str, name: Str, delivery: Type.Union([Type.Literal('push'), Type.Literal('inbox')]), endpoint: Type.Optional(Str) }),
      accepts: Type.Array(Str),
      documentTypes: Type.Optional(Type.Array(Str)),
    }),
  ),
});
const Accepted = Type.Object({ packageId: Str, documentId: Str, kind: Str, duplicate: Type.Boolean(), links: Type.Object({ trail: Str }) });
const Delivery = Type.Object({
  organId: Str,
  partnerId: Str,
  mode: Str,
  state: Str,
  attempts: Type.Integer(),
  lastError: Nullable(Str),
  deliveredAt: Nullable(Str),
  acknowledgedAt: Nullable(Str),
});
const Trail = Type.Object({
  documentId: Str,
  sender: Nullable(Str),
  packages: Type.Array(
    Type.Object({
      packageId: Str,
      kind: Str,
      state: Str,
      sentBy: Str,
      from: Nullable(Str),
      to: Type.Array(Str),
      statusCode: Nullable(Str),
      refusal: Type.Union([Type.Object({ code: Str, reason: Str }), Type.Null()]),
      receivedAt: Str,
      hops: Type.Array(Type.Object({ organId: Str, timestamp: Str })),
      deliveries: Type.Array(Delivery),
    }),
  ),
  statuses: Type.Array(
    Type.Object({ from: Str, statusCode: Str, meaning: Str, description: Nullable(Str), timestamp: Str, staff: Nullable(Str), receivedAt: Str }),
  ),
});
const InboxItem = Type.Object({ id: Str, packageId: Str, kind: Str, documentId: Str, from: Str, organId: Str, statusCode: Nullable(Str), receivedAt: Str, links: Type.Object({ package: Str, ack: Str }) });

const edxmlRoutes: FastifyPluginAsyncTypebox<EdxmlRouteOptions> = async (app, { edxml, queue }) => {
  const tags = ['edxml'];
  const members = requireRole('one-stop', 'agency-system', 'admin');
  // The package is read as a stream by the split, under its own size limit; Fastify does not buffer it.
  app.addContentTypeParser(XML_TYPES, (_request, payload, done) => done(null, payload));

  app.get('/v1/directory', { preParsing: members, schema: { tags, summary: 'Agencies on the edXML road and the systems that serve them', response: { 200: DirectoryAnswer, '4xx': ProblemResponse } } }, async () => ({
    agencies: edxml.directory.entries().map((e) => ({
      organId: e.organId,
      name: e.name,
      system: { partnerId: e.partner.id, name: e.partner.name, delivery: e.delivery, ...(e.endpoint ? { endpoint: e.endpoint } : {}) },
      accepts: e.accepts,
      ...(e.documentTypes ? { documentTypes: e.documentTypes } : {}),
    })),
  }));

  app.post(
    '/v1/edxml',
    {
      preParsing: requireRole('one-stop', 'agency-system'),
      config: { signedInBody: true },
      schema: {
        tags,
        summary: 'Send a signed edXML package (document or status message)',
        description: `Body: the package (${XML_TYPES.join(', ')}), signed by the sender (docs/edxml.md).`,
        response: { 200: Accepted, 202: Accepted, '4xx': ProblemResponse },
      },
    },
    async (request, reply) => {
      if (!(request.body instanceof Readable)) throw new Problem('unsupported-media-type', `Send the package as ${XML_TYPES.join(' or ')}`);
      const received = await receivePackage(edxml, partnerOf(request), request.receivedAt, request.body as AsyncIterable<Buffer>);
      await enqueueAfterCommit(queue, received.messageIds.map((id) => ({ id, lane: 'live' as const })), request.log);
      return reply.code(received.duplicate ? 200 : 202).send({
        packageId: received.packageId,
        documentId: received.documentId,
        kind: received.kind,
        duplicate: received.duplicate,
        links: { trail: `/v1/edxml/${encodeURIComponent(received.documentId)}` },
      });
    },
  );

  app.get(
    '/v1/edxml/inbox',
    {
      preParsing: members,
      schema: {
        tags,
        summary: 'Packages waiting for a system that fetches (oldest first)',
        querystring: Type.Object({ limit: Type.String({ pattern: '^([1-9][0-9]?|100)$', default: '50' }) }),
        response: { 200: Type.Object({ items: Type.Array(InboxItem) }), '4xx': ProblemResponse },
      },
    },
    async (request) => ({ items: await waitingFor(edxml.db, partnerOf(request).id, Number(request.query.limit)) }),
  );

  app.get(
    '/v1/edxml/inbox/:id',
    { preParsing: members, schema: { tags, summary: 'One waiting package, as edXML (streamed)', params: Type.Object({ id: Uuid }), response: { '4xx': ProblemResponse } } },
    async (request, reply) => {
      const { row, envelope } = await ownInboxItem(edxml.db, request.params.id, partnerOf(request).id);
      return reply.type('application/xml; charset=utf-8').header('x-edxml-package-id', row.id).send(Readable.from(await outgoingChunks(edxml.db, envelope, row.attachments)) as never);
    },
  );

  app.post(
    '/v1/edxml/inbox/:id/ack',
    {
      preParsing: members,
      schema: { tags, summary: 'Acknowledge a fetched package; it leaves the inbox', params: Type.Object({ id: Uuid }), response: { 200: Type.Object({ acknowledged: Type.Boolean() }), '4xx': ProblemResponse } },
    },
    async (request) => {
      await acknowledgeInboxItem(edxml.db, request.params.id, partnerOf(request).id);
      return { acknowledged: true };
    },
  );

  app.get(
    '/v1/edxml/:documentId',
    {
      preParsing: members,
      schema: { tags, summary: "A document's trail: sender, every hop and delivery, every status", params: Type.Object({ documentId: Type.String({ minLength: 1, maxLength: 300 }) }), response: { 200: Trail, '4xx': ProblemResponse } },
    },
    async (request) => documentTrail(edxml.db, partnerOf(request), request.params.documentId),
  );
};

export default edxmlRoutes;
