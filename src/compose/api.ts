// The api role: the Fastify app (src/app.ts) on the API port, and the same app behind mutual TLS when
// MTLS_PORT is set.
import { readFile } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { buildApp, type AppDeps } from '../app.js';
import { parseCosignatureVerifierKey } from '../audit/cosignature.js';
import type { Core } from './core.js';
import type { Wings } from './wings.js';

export interface ApiListeners {
  app: FastifyInstance;
  url: string;
  /** The mTLS listener's address, when MTLS_PORT is set. */
  mtlsUrl: string | undefined;
}

export async function startApi(core: Core, wings: Wings): Promise<ApiListeners> {
  const { config, signing, logger, closers } = core;
  const deps: AppDeps = {
    db: core.db,
    registry: core.registry,
    queue: core.apiQueues,
    redis: core.apiRedis,
    logger,
    metrics: core.metrics,
    trust: signing.trust,
    signer: signing.keyRing.active,
    fileLinks: core.fileLinks,
    dashboardQueues: Object.values(core.apiQueues.queues),
    limits: { maxFileBytes: config.maxFileBytes, protection: { redisPrefix: config.redisPrefix, ...config.protection } },
    wings: {
      accept: wings.accept,
      audit: { origin: core.logKey.origin, verifierKey: core.logKey.verifierKey, witnesses: config.auditLog.witnessKeys.map(parseCosignatureVerifierKey) },
      postalEnabled: wings.postal !== undefined,
      payments: { providers: wings.payments.providers, expiryMinutes: config.payments.expiryMinutes },
      portalCompatible: { sessionTtlSeconds: config.portalCompatible.sessionTtlSeconds },
      edxml: wings.edxml,
      soap: config.soap,
    },
  };
  const app = await buildApp(deps);
  closers.add(() => app.close());
  const url = await app.listen({ host: config.host, port: config.port });
  let mtlsUrl: string | undefined;
  if (config.tls.mtlsPort !== undefined) {
    if (!signing.tls) throw new Error('MTLS_PORT needs TLS_CERT_FILE and TLS_KEY_FILE');
    const [key, cert] = await Promise.all([readFile(signing.tls.keyFile), readFile(signing.tls.certificateFile)]);
    const mtlsApp = await buildApp(deps, { key, cert, ca: signing.trust.caCertificatesPem() });
    closers.add(() => mtlsApp.close());
    mtlsUrl = await mtlsApp.listen({ host: config.host, port: config.tls.mtlsPort });
    logger.info({ url: mtlsUrl }, 'mTLS listener ready');
  }
  return { app, url, mtlsUrl };
}
