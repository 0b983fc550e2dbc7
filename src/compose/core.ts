// The parts every gateway role shares, made once: database, partner registry, Redis and the delivery
// queues, the outbound signer, metrics, file links and the audit-log key. Wings and roles receive
// what they need from here by name.
import path from 'node:path';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { CertificateCatalog } from '../audit/certificates.js';
import { ensureDevLogKey, loadLogKey, type LogKey } from '../audit/log-key.js';
import type { Config } from '../config/config.js';
import { devSecret } from '../config/dev-secrets.js';
import { portalDefaults } from '../config/startup-check.js';
import { OutboundSigner } from '../crypto/outbound-signer.js';
import type { SigningMaterial } from '../crypto/signing-setup.js';
import { FileLinkSigner } from '../files/signed-url.js';
import { connectRedis, describeRedis, type RedisTarget } from '../infra/redis-connection.js';
import { startRedisServer } from '../infra/redis-server.js';
import { warnAboutRedisSettings } from '../infra/redis-settings.js';
import { waitForDatabase, waitForRedis } from '../infra/wait-reachable.js';
import { GatewayMetrics } from '../observability/metrics.js';
import { ensureDevRegistry } from '../partners/dev-registry.js';
import { PartnerRegistry } from '../partners/registry.js';
import { DeliveryQueues } from '../queue/delivery-queue.js';
import { openDatabase, type Db } from '../store/db.js';
import { migrate } from '../store/migrations.js';
import type { Closers } from './closers.js';

export interface Core {
  config: Config;
  logger: Logger;
  closers: Closers;
  signing: SigningMaterial;
  db: Db;
  registry: PartnerRegistry;
  /** Signs what the gateway sends to partners (JWS, message-log signatures). */
  outbound: OutboundSigner;
  /** The patient connection: workers and the sweeper wait on it for Redis to come back. */
  redis: Redis;
  queues: DeliveryQueues;
  /** The API's connection: never waits for Redis (see below). */
  apiRedis: Redis;
  apiQueues: DeliveryQueues;
  metrics: GatewayMetrics;
  fileLinks: FileLinkSigner;
  logKey: LogKey;
}

export async function buildCore(config: Config, logger: Logger, signing: SigningMaterial, closers: Closers): Promise<Core> {
  const trustReload = setInterval(() => {
    signing.trust.reload().catch((err) => logger.error({ err: { message: (err as Error).message } }, 'trust store reload failed; keeping the previous CRLs'));
  }, config.signing.trustReloadMs);
  trustReload.unref();
  closers.add(async () => clearInterval(trustReload));

  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  closers.add(() => db.close());
  if (config.databaseUrl) await waitForDatabase(db, config.databaseUrl, config.connectTimeoutMs);
  await migrate(db);
  logger.info({ engine: db.engine }, 'database ready');

  const redisTarget: RedisTarget = config.redisSentinel ? { sentinel: config.redisSentinel } : { url: config.redisUrl ?? (await embeddedRedis(config, logger, closers)) };
  // BullMQ's workers need maxRetriesPerRequest null; their own connections are duplicates of this one.
  const redis = connectRedis(redisTarget, { maxRetriesPerRequest: null, enableReadyCheck: true });
  redis.on('error', (err) => logger.warn({ err: { message: err.message } }, 'redis connection error'));
  closers.add(() => redis.quit());
  await waitForRedis(redis, describeRedis(redisTarget), config.connectTimeoutMs);
  await warnAboutRedisSettings(redis, logger);

  const registry = await loadRegistry(config, logger, signing.devPkiDir);
  const logKey = config.auditLog.keyFile ? await loadLogKey(config.auditLog.keyFile, config.auditLog.origin) : await ensureDevLogKey(config.dataDir, config.auditLog.origin);
  const outbound = await OutboundSigner.create(signing.keyRing.active, new CertificateCatalog(db));
  const queues = new DeliveryQueues(redis, config.redisPrefix, config.delivery.batchSize);
  closers.add(() => queues.close());
  // Requests (and metric scrapes) never wait for Redis: while it is down their commands fail at once
  // (no offline queue) or after REDIS_COMMAND_TIMEOUT_MS, and a request is answered 503 or, once its
  // data is committed, accepted with the sweeper queuing it later (docs/faults.md). Workers and the
  // sweeper keep the patient connection above, which waits for Redis to come back.
  const apiRedis = connectRedis(redisTarget, { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: config.redisCommandTimeoutMs, lazyConnect: true });
  apiRedis.on('error', (err) => logger.debug({ err: { message: err.message } }, 'redis connection error (API)'));
  await apiRedis.connect();
  closers.add(() => apiRedis.quit());
  const apiQueues = new DeliveryQueues(apiRedis, config.redisPrefix, config.delivery.batchSize);
  closers.add(() => apiQueues.close());

  const publicBaseUrl = config.publicBaseUrl ?? `http://127.0.0.1:${config.port}`;
  const fileLinks = new FileLinkSigner(config.fileUrlSecret ?? (await devSecret(config.dataDir, 'file-url-secret')), publicBaseUrl, config.fileUrlTtlSeconds);

  const metrics = new GatewayMetrics();
  metrics.watch(db, apiQueues);
  metrics.watchValidity(signing.trust, () => signing.keyRing.active.certificateChain);

  return { config, logger, closers, signing, db, registry, outbound, redis, queues, apiRedis, apiQueues, metrics, fileLinks, logKey };
}

/** A private redis-server when neither REDIS_URL nor REDIS_SENTINELS is set; returns its URL. */
async function embeddedRedis(config: Config, logger: Logger, closers: Closers): Promise<string> {
  if (config.mode === 'production') logger.warn('REDIS_URL is unset: starting a private redis-server; production should use a managed Redis with AOF');
  const server = await startRedisServer({ dir: path.join(config.dataDir, 'redis'), logger });
  closers.add(() => server.stop());
  logger.info({ url: server.url }, 'embedded redis-server started');
  return server.url;
}

async function loadRegistry(config: Config, logger: Logger, devPkiDir: string | undefined): Promise<PartnerRegistry> {
  const defaults = portalDefaults(config);
  let file = config.partnersFile;
  if (!file) {
    const ensured = await ensureDevRegistry(config.dataDir, devPkiDir);
    file = ensured.file;
    if (ensured.created) {
      const lines = Object.entries(ensured.created).map(([role, c]) => `  ${role.padEnd(17)} x-api-key: ${c.apiKey}`);
      // Printed once, on purpose, to the console rather than the JSON log: it is the newcomer's welcome.
      process.stdout.write(`\nDevelopment partners created (also saved to ${path.join(config.dataDir, 'dev-credentials.json')}):\n${lines.join('\n')}\n\n`);
    }
  }
  const registry = await PartnerRegistry.fromFile(file, { defaults, allowAnyAgency: config.mode === 'development' });
  logger.info({ file }, 'partner registry loaded');
  return registry;
}
