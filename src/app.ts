// Builds the Fastify app from its parts; starting it is server.ts's job, so tests use app.inject or
// listen on a random port. Plugins load in a fixed order: body parsing, errors, auth, docs, routes.
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Logger } from 'pino';
import type { AcceptContext } from './dossiers/accept.js';
import type { Enqueuer } from './delivery/processor.js';
import type { FileLinkSigner } from './files/signed-url.js';
import type { TrustChecker } from './crypto/trust.js';
import type { Redis } from 'ioredis';
import auth from './plugins/auth.js';
import protection, { type ProtectionOptions } from './plugins/protection.js';
import signatures from './plugins/signatures.js';
import docs from './plugins/docs.js';
import metricsPlugin from './plugins/metrics.js';
import queueDashboard, { QUEUE_DASHBOARD_PATH } from './plugins/queue-dashboard.js';
import type { Queue } from 'bullmq';
import type { GatewayMetrics } from './observability/metrics.js';
import jsonBody from './plugins/json-body.js';
import tracing from './plugins/tracing.js';
import problems, { clientErrorHandler, frameworkErrors } from './plugins/problems.js';
import type { CosignatureVerifier } from './audit/cosignature.js';
import { RefusalLog } from './audit/refusal-log.js';
import { ReplayGuard } from './callbacks/replay-guard.js';
import adminRoutes from './routes/admin.js';
import auditRoutes from './routes/audit.js';
import postalRoutes from './routes/postal.js';
import paymentRoutes from './routes/payments.js';
import { mismatchAlert } from './payments/mismatch-alert.js';
import type { PaymentDeps } from './payments/notifications.js';
import type { PaymentProvider } from './payments/provider.js';
import consoleRoutes from './routes/console.js';
import dossierRoutes from './routes/dossiers.js';
import fileRoutes from './routes/files.js';
import healthRoutes from './routes/health.js';
import soapFrontDoor from './soap/routes.js';
import type { Signer } from './crypto/signer.js';
import portalCompatibleRoutes from './portal-compatible/routes.js';
import edxmlRoutes from './routes/edxml.js';
import type { EdxmlContext } from './edxml/receive.js';
import type { FreshnessRules } from './soap/freshness.js';

export interface AppDeps {
  accept: AcceptContext;
  queue: Enqueuer;
  fileLinks: FileLinkSigner;
  trust: TrustChecker;
  audit: { origin: string; verifierKey: string; witnesses: readonly CosignatureVerifier[] };
  /** Whether a postal operator (or its simulator) is configured. */
  postalEnabled: boolean;
  payments: { providers: ReadonlyMap<string, PaymentProvider>; expiryMinutes: number };
  maxFileBytes: number;
  pingRedis: () => Promise<unknown>;
  /** Where request-rate counters live, shared by every API instance. */
  redis: Redis | undefined;
  protection: Omit<ProtectionOptions, 'redis'> & HostileInputOptions;
  logger: Logger;
  metrics: GatewayMetrics;
  /** The gateway's active signing key, for responses it signs itself (SOAP). */
  signer: Signer;
  /** The BullMQ queues the admin dashboard shows. */
  dashboardQueues: readonly Queue[];
  portalCompatible: { sessionTtlSeconds: number };
  /** The edXML hand-over road (docs/edxml.md). */
  edxml?: EdxmlContext;
  /** WS-Security Timestamp and Nonce rules of the SOAP front door. */
  soap: FreshnessRules;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The sampled record of refusals; tests flush it to see the summary records. */
    refusals: RefusalLog;
  }
}

export const JSON_BODY_LIMIT = 1024 * 1024;

/**
 * Bodies stay exactly as sent (no coercion, no removal). allErrors lists every problem of a refused
 * request; its cost on hostile input is bounded by the body limits, the schemas' maxItems/maxLength
 * and their linear patterns, and the answer lists at most MAX_LISTED_ERRORS (validation-errors.ts).
 */
export const AJV_OPTIONS = { removeAdditional: false, coerceTypes: false, useDefaults: true, allErrors: true } as const;

/** Limits on what arrives from outside, beyond rates (config.ts protection: MAX_HEADER_BYTES, CALLBACK_*, REFUSALS_*). */
export interface HostileInputOptions {
  maxHeaderBytes: number;
  callbackWindowSeconds: number;
  callbackClockSkewSeconds: number;
  refusalsLoggedPerMinute: number;
  /** Node's requestTimeout: a request whose headers and body have not all arrived by then is answered 408 and closed. */
  requestTimeoutMs: number;
}

/** The mTLS listener: HTTPS that asks every client for a certificate and judges it with the trust store. */
export interface MutualTls {
  key: Buffer;
  cert: Buffer;
  /** CA certificates named in the certificate request, so clients pick the right certificate. */
  ca: (string | Buffer)[];
}

/** The payment core's collaborators, as the API and the worker both build them. */
export function paymentDeps(deps: Pick<AppDeps, 'accept' | 'queue' | 'logger' | 'metrics'>): PaymentDeps {
  return {
    accept: deps.accept,
    queue: deps.queue,
    logger: deps.logger,
    onAlert: (kind, detail) => {
      deps.metrics.paymentAlerts.inc({ kind });
      if (kind === 'double-payment') deps.logger.error(detail, 'double payment');
    },
  };
}

/**
 * Node's own limits on a connection. Node looks for requests past their timeout only every
 * connectionsCheckingInterval (30 s by default); checking four times per timeout keeps a short one honest.
 */
function listenerLimits(protection: HostileInputOptions): { maxHeaderSize: number; headersTimeout: number; connectionsCheckingInterval: number } {
  const timeout = protection.requestTimeoutMs;
  return { maxHeaderSize: protection.maxHeaderBytes, headersTimeout: Math.min(60_000, timeout), connectionsCheckingInterval: Math.min(30_000, Math.ceil(timeout / 4)) };
}

export async function buildApp(deps: AppDeps, mtls?: MutualTls): Promise<FastifyInstance> {
  const app = Fastify({
    ...(mtls
      ? { https: { key: mtls.key, cert: mtls.cert, ca: mtls.ca, requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.2' as const, ...listenerLimits(deps.protection) } }
      : { http: listenerLimits(deps.protection) }),
    clientErrorHandler,
    frameworkErrors,
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: JSON_BODY_LIMIT,
    // Its plain-JSON 503 would bypass every road's own terms; the protection plugin answers instead.
    return503OnClosing: false,
    // Without it a partner can hold a connection open for minutes by sending its body a byte at a time.
    requestTimeout: deps.protection.requestTimeoutMs,
    routerOptions: { maxParamLength: 200 },
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(given) ? given : randomUUID();
    },
    ajv: { customOptions: AJV_OPTIONS },
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as FastifyInstance;

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  const { db } = deps.accept;
  const refusals = new RefusalLog(db, deps.metrics, deps.protection.refusalsLoggedPerMinute, deps.logger);
  refusals.start();
  app.decorate('refusals', refusals);
  app.addHook('onClose', () => refusals.stop());
  if (!deps.redis) throw new Error('The API needs Redis: callbacks are checked against a shared replay memory');
  const window = { windowSeconds: deps.protection.callbackWindowSeconds, clockSkewSeconds: deps.protection.callbackClockSkewSeconds };
  const replay = new ReplayGuard(deps.redis, deps.protection.redisPrefix, window, deps.logger);
  await app.register(tracing);
  await app.register(jsonBody);
  await app.register(problems, { refusals });
  await app.register(auth, { registry: deps.accept.registry, ...(mtls ? { clientCertificates: deps.trust } : {}) });
  await app.register(protection, { redis: deps.redis, ...deps.protection });
  await app.register(signatures, { db, trust: deps.trust, registry: deps.accept.registry, metrics: deps.metrics });
  await app.register(docs);
  await app.register(metricsPlugin, { metrics: deps.metrics, registry: deps.accept.registry });
  await app.register(queueDashboard, { prefix: QUEUE_DASHBOARD_PATH, registry: deps.accept.registry, queues: deps.dashboardQueues });
  await app.register(healthRoutes, { db, pingRedis: deps.pingRedis });
  await app.register(dossierRoutes, { accept: deps.accept, queue: deps.queue });
  await app.register(fileRoutes, { db, maxFileBytes: deps.maxFileBytes, fileLinks: deps.fileLinks });
  await app.register(adminRoutes, { db, queue: deps.queue });
  await app.register(auditRoutes, { db, ...deps.audit });
  await app.register(postalRoutes, { accept: deps.accept, queue: deps.queue, enabled: deps.postalEnabled, guards: { replay, refusals } });
  await app.register(paymentRoutes, {
    deps: paymentDeps(deps),
    guards: { replay, refusals },
    providers: deps.payments.providers,
    expiryMinutes: deps.payments.expiryMinutes,
    onMismatch: mismatchAlert(deps.metrics, deps.logger),
  });
  if (deps.edxml) await app.register(edxmlRoutes, { edxml: deps.edxml, queue: deps.queue });
  await app.register(consoleRoutes);
  await app.register(soapFrontDoor, { accept: deps.accept, queue: deps.queue, trust: deps.trust, signer: deps.signer, metrics: deps.metrics, redis: deps.redis, redisPrefix: deps.protection.redisPrefix, freshness: deps.soap, refusals });
  await app.register(portalCompatibleRoutes, { prefix: '/portal-compatible', accept: deps.accept, queue: deps.queue, redis: deps.redis, redisPrefix: deps.protection.redisPrefix, sessionTtlSeconds: deps.portalCompatible.sessionTtlSeconds, fileLinks: deps.fileLinks, trust: deps.trust, metrics: deps.metrics, refusals });
  return app;
}
