// The payment API: one-stop systems ask for payments and read them; providers notify at
// /v1/payments/notifications/{provider}, answered in each provider's own terms (their signature, not
// an API key, authenticates them); operators run reconciliations.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { PaymentRequest } from '../../schemas/payment.js';
import { BODY_LIMITS } from '../core/body-limits.js';
import { Problem } from '../core/problems.js';
import { partnerOf, requireRole } from '../plugins/auth.js';
import type { CallbackGuards } from '../callbacks/replay-guard.js';
import { receiveNotification, type PaymentDeps } from './notifications.js';
import type { PaymentProvider } from './provider.js';
import { reconciliationCsv } from './reconciliation.js';
import { findReconciliation, requestReconciliation } from './reconciliation-jobs.js';
import { ReconciliationJobSchema } from './reconciliation-schema.js';
import { ownPayment, paymentView, requestPayment } from './requests.js';
import { paymentsOfDossier } from './store.js';
import { ProblemResponse } from '../routes/problem-schema.js';
import type { Db } from '../store/db.js';
import type { PartnerRegistry } from '../partners/registry.js';

export interface PaymentRouteOptions {
  db: Db;
  registry: PartnerRegistry;
  deps: PaymentDeps;
  guards: CallbackGuards;
  providers: ReadonlyMap<string, PaymentProvider>;
  expiryMinutes: number;
}

const Id = Type.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' });
const View = Type.Record(Type.String(), Type.Unknown());
const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'A day in Vietnam time (UTC+7)' });

const paymentRoutes: FastifyPluginAsyncTypebox<PaymentRouteOptions> = async (app, { db, registry, deps, guards, providers, expiryMinutes }) => {
  const tags = ['payments'];

  // Providers may notify with a form body; its bytes are kept for the record like JSON's.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer', bodyLimit: 64 * 1024 }, (request, body, done) => {
    request.rawBody = body as Buffer;
    done(null, {});
  });

  app.post(
    '/v1/payments',
    {
      bodyLimit: BODY_LIMITS.request,
      preParsing: requireRole('one-stop'),
      schema: { tags, summary: "Ask for a payment of a dossier's fees; answers the payer's URL", body: PaymentRequest, response: { 201: View, '4xx': ProblemResponse, '5xx': ProblemResponse } },
    },
    async (request, reply) => {
      const row = await requestPayment(db, providers, { partner: partnerOf(request), rawBody: request.rawBody ?? Buffer.alloc(0), signature: request.signature }, request.body, { expiryMinutes, registry });
      return reply.code(201).send(paymentView(row));
    },
  );

  app.get(
    '/v1/payments/:id',
    { preParsing: requireRole('one-stop', 'admin'), schema: { tags, summary: 'One payment', params: Type.Object({ id: Id }), response: { 200: View, '4xx': ProblemResponse } } },
    async (request) => paymentView(await ownPayment(db, partnerOf(request), request.params.id)),
  );

  app.get(
    '/v1/payments/:id/receipt',
    { preParsing: requireRole('one-stop', 'admin'), schema: { tags, summary: "The provider's electronic receipt (PDF), once paid", params: Type.Object({ id: Id }) } },
    async (request, reply) => {
      const row = await ownPayment(db, partnerOf(request), request.params.id);
      if (!row.receipt) throw new Problem('not-found', 'No receipt for this payment (yet)');
      return reply.type('application/pdf').header('content-disposition', `attachment; filename="bien-lai-${row.id}.pdf"`).send(Buffer.from(row.receipt));
    },
  );

  app.get(
    '/v1/payments',
    {
      preParsing: requireRole('one-stop', 'admin'),
      schema: {
        tags,
        summary: "A dossier's payments",
        querystring: Type.Object({ dossierCode: Type.String({ minLength: 1, maxLength: 64 }) }),
        response: { 200: Type.Object({ payments: Type.Array(View) }), '4xx': ProblemResponse },
      },
    },
    async (request) => ({ payments: (await paymentsOfDossier(db, partnerOf(request), request.query.dossierCode)).map(paymentView) }),
  );

  const notification = {
    bodyLimit: BODY_LIMITS.notification,
    schema: {
      tags,
      summary: "A provider's payment notification, answered in the provider's protocol",
      params: Type.Object({ provider: Type.String({ pattern: '^[a-z0-9-]{1,30}$' }) }),
      // Any provider's own parameters (vnp_*), each text: an object with no named properties, so that
      // the OpenAPI document lists no parameters rather than the schema's keywords as parameters.
      querystring: Type.Object({}, { additionalProperties: Type.String({ maxLength: 2000 }), maxProperties: 64 }),
    },
    // What is refused before the provider's adapter reads it (too large, not UTF-8, a duplicated
    // query key, another content type) is still answered in the provider's protocol; other errors
    // (rate limits, failures) go on to the gateway's handler.
    errorHandler: async (error: FastifyError, request: FastifyRequest<{ Params: { provider: string } }>, reply: FastifyReply) => {
      const provider = providers.get(request.params.provider);
      const status = error instanceof Problem ? error.status : error.statusCode;
      if (!provider || (status !== 400 && status !== 413 && status !== 415)) throw error;
      await guards.refusals.record({ source: `provider:${provider.id}`, partnerId: undefined, endpoint: `payment:${provider.id}:notification`, errorCode: error instanceof Problem ? error.code : 'malformed' });
      const answer = provider.answer('malformed', undefined);
      return reply.code(answer.status).type(answer.contentType).send(answer.body);
    },
  };
  const notify = async (request: FastifyRequest<{ Params: { provider: string }; Querystring: Record<string, string> }>, reply: FastifyReply) => {
    const provider = providers.get(request.params.provider);
    if (!provider) throw new Problem('not-found', `No payment provider "${request.params.provider}"`);
    const answer = await receiveNotification(deps, guards, provider, {
      method: request.method === 'POST' ? 'POST' : 'GET',
      query: request.query,
      body: request.rawBody ?? Buffer.alloc(0),
      contentType: request.headers['content-type'],
    });
    return reply.code(answer.status).type(answer.contentType).send(answer.body);
  };
  app.get('/v1/payments/notifications/:provider', notification, notify);
  app.post('/v1/payments/notifications/:provider', notification, notify);

  // A reconciliation is a job the worker runs (docs/payments.md): asking answers at once with where to
  // watch it; asking again for a provider's day while its job is queued or running answers that job.
  app.post(
    '/v1/admin/reconciliations',
    {
      bodyLimit: BODY_LIMITS.command,
      preParsing: requireRole('admin'),
      schema: {
        tags,
        summary: "Reconcile a day's payments with the provider's transactions (đối soát), as a job",
        description:
          'Answers 202 with the job and its Location; the worker runs it. While a job for the same provider and day is queued or running, the same job is answered (same id) instead of a new one.',
        body: Type.Object({ provider: Type.String({ minLength: 1, maxLength: 30 }), day: Day }, { additionalProperties: false }),
        response: { 202: ReconciliationJobSchema, '4xx': ProblemResponse, '5xx': ProblemResponse },
      },
    },
    async (request, reply) => {
      if (!providers.has(request.body.provider)) throw new Problem('invalid-request', `No payment provider "${request.body.provider}"`);
      const { id } = await requestReconciliation(db, { ...request.body, requestedBy: partnerOf(request).id });
      const job = (await findReconciliation(db, id))!;
      return reply.code(202).header('location', `/v1/admin/reconciliations/${id}`).send(job);
    },
  );

  app.get(
    '/v1/admin/reconciliations/:id',
    {
      preParsing: requireRole('admin'),
      schema: {
        tags,
        summary: "A reconciliation job: its state and progress, and once done its report; format=csv gives the report as a spreadsheet",
        params: Type.Object({ id: Id }),
        querystring: Type.Object({ format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')])) }),
        response: { 200: ReconciliationJobSchema, '4xx': ProblemResponse },
      },
    },
    async (request, reply) => {
      const job = await findReconciliation(db, request.params.id);
      if (!job) throw new Problem('reconciliation-not-found', `No reconciliation ${request.params.id}`);
      if (request.query.format !== 'csv') return reply.type('application/json').send(job);
      if (!job.result) throw new Problem('reconciliation-not-done', `Reconciliation ${job.id} is ${job.state}`, { state: job.state });
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="doi-soat-${job.provider}-${job.day}.csv"`)
        .send(reconciliationCsv(job.result) as never);
    },
  );
};

export default paymentRoutes;
