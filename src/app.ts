// Builds the Fastify app from its parts; starting it is server.ts's job, so tests use app.inject or
// listen on a random port. Plugins load in a fixed order: body parsing, errors, auth, docs, routes.
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Logger } from 'pino';
import type { AcceptContext } from './dossiers/accept.js';
import type { Db } from './store/db.js';
import type { PartnerRegistry } from './partners/registry.js';
import type { Enqueuer } from './delivery/enqueuer.js';
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
import paymentRoutes from './payments/routes.js';
import postalRoutes from './postal/routes.js';
import { paymentDeps } from './payments/deps.js';
import type { PaymentProvider } from './payments/provider.js';
import consoleRoutes from './routes/console.js';
import dossierRoutes from './dossiers/routes.js';
import fileRoutes from './routes/files.js';
import healthRoutes from './routes/health.js';
import soapFrontDoor from './soap/routes.js';
import type { Signer } from './crypto/signer.js';
import edxmlRoutes from './edxml/routes.js';
import portalCompatibleRoutes from './portal-compatible/routes.js';
import type { EdxmlContext } from './edxml/receive.js';
import type { FreshnessRules } from './soap/freshness.js';
import { RequestLogController } from './logging/request-log.js';

/** The platform parts the plugins and routes receive by name, and each wing's own settings. */
export interface AppDeps {
  db: Db;
  registry: PartnerRegistry;
  queue: Enqueuer;
  /** Where request-rate counters and the callbacks' replay memory live, shared by every API instance. */
  redis: Redis;
  logger: Logger;
  metrics: GatewayMetrics;
  trust: TrustChecker;
  /** The gateway's active signing key, for responses it signs itself (SOAP). */
  signer: Signer;
  fileLinks: FileLinkSigner;
  /** The BullMQ queues the admin dashboard shows. */
  dashboardQueues: readonly Queue[];
  limits: { maxFileBytes: number; protection: Omit<ProtectionOptions, 'redis'> & HostileInputOptions };
  wings: ApiWings;
}

export interface ApiWings {
  accept: AcceptContext;
  audit: { origin: string; verifierKey: string; witnesses: readonly CosignatureVerifier[] };
  /** Whether a postal operator (or its simulator) is configured. */
  postalEnabled: boolean;
  payments: { providers: ReadonlyMap<string, PaymentProvider>; expiryMinutes: number };
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
      ? { https: { key: mtls.key, cert: mtls.cert, ca: mtls.ca, requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.2' as const, ...listenerLimits(deps.limits.protection) } }
      : { http: listenerLimits(deps.limits.protection) }),
    clientErrorHandler,
    frameworkErrors,
    loggerInstance: deps.logger as FastifyBaseLogger,
    logController: new RequestLogController(),
    bodyLimit: JSON_BODY_LIMIT,
    // Its plain-JSON 503 would bypass every road's own terms; the protection plugin answers instead.
    return503OnClosing: false,
    // Without it a partner can hold a connection open for minutes by sending its body a byte at a time.
    requestTimeout: deps.limits.protection.requestTimeoutMs,
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

  const { db, registry, queue, redis, wings } = deps;
  const { protection: limits } = deps.limits;
  const refusals = new RefusalLog(db, deps.metrics, limits.refusalsLoggedPerMinute, deps.logger);
  refusals.start();
  app.decorate('refusals', refusals);
  app.addHook('onClose', () => refusals.stop());
  const window = { windowSeconds: limits.callbackWindowSeconds, clockSkewSeconds: limits.callbackClockSkewSeconds };
  const replay = new ReplayGuard(redis, limits.redisPrefix, window, deps.logger);
  await app.register(tracing);
  await app.register(jsonBody);
  await app.register(problems, { refusals });
  await app.register(auth, { registry, ...(mtls ? { clientCertificates: deps.trust } : {}) });
  await app.register(protection, { redis, ...limits });
  await app.register(signatures, { db, trust: deps.trust, registry, metrics: deps.metrics });
  await app.register(docs);
  await app.register(metricsPlugin, { metrics: deps.metrics, registry });
  await app.register(queueDashboard, { prefix: QUEUE_DASHBOARD_PATH, registry, queues: deps.dashboardQueues });
  await app.register(healthRoutes, { db, pingRedis: () => redis.ping() });
  await app.register(dossierRoutes, { db, registry, accept: wings.accept, queue });
  await app.register(fileRoutes, { db, maxFileBytes: deps.limits.maxFileBytes, fileLinks: deps.fileLinks });
  await app.register(adminRoutes, { db, queue });
  await app.register(auditRoutes, { db, ...wings.audit });
  await app.register(postalRoutes, { db, registry, accept: wings.accept, queue, enabled: wings.postalEnabled, guards: { replay, refusals } });
  await app.register(paymentRoutes, {
    db,
    registry,
    deps: paymentDeps({ db, registry, accept: wings.accept, queue, logger: deps.logger, metrics: deps.metrics }),
    guards: { replay, refusals },
    providers: wings.payments.providers,
    expiryMinutes: wings.payments.expiryMinutes,
  });
  if (wings.edxml) await app.register(edxmlRoutes, { edxml: wings.edxml, queue });
  await app.register(consoleRoutes);
  await app.register(soapFrontDoor, { db, registry, accept: wings.accept, queue, trust: deps.trust, signer: deps.signer, metrics: deps.metrics, redis, redisPrefix: limits.redisPrefix, freshness: wings.soap, refusals });
  await app.register(portalCompatibleRoutes, { prefix: '/portal-compatible', db, registry, accept: wings.accept, queue, redis, redisPrefix: limits.redisPrefix, sessionTtlSeconds: wings.portalCompatible.sessionTtlSeconds, fileLinks: deps.fileLinks, trust: deps.trust, metrics: deps.metrics, refusals });
  return app;
}
