// Puts the gateway together from a Config: database, Redis, partners, the national portal (or its
// simulator in development), then the roles this process plays (api, worker, simulators).
// server.ts calls it for `npm start`; tests call it with their own Config and real servers.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { NationalPortalClient, startNationalPortalSimulator, type PortalSimulator } from '../adapters/national-portal/index.js';
import { buildApp } from './app.js';
import type { Config } from './config/config.js';
import type { Destination } from './delivery/destination.js';
import { NationalPortalDestination } from './delivery/portal-destination.js';
import { DeliveryProcessor, WEBHOOK } from './delivery/processor.js';
import { WebhookDestination } from './delivery/webhook-destination.js';
import { NATIONAL_PORTAL } from './dossiers/accept.js';
import { FileLinkSigner } from './files/signed-url.js';
import { startRedisServer, type RedisServer } from './infra/redis-server.js';
import { GatewayMetrics } from './observability/metrics.js';
import { ensureDevRegistry } from './partners/dev-registry.js';
import { PartnerRegistry } from './partners/registry.js';
import { DeliveryQueues } from './queue/delivery-queue.js';
import { DeliveryWorkers } from './queue/delivery-workers.js';
import { Sweeper } from './queue/sweeper.js';
import { openDatabase, type Db } from './store/db.js';
import { migrate } from './store/migrations.js';

export interface Gateway {
  config: Config;
  db: Db;
  registry: PartnerRegistry;
  queues: DeliveryQueues;
  processor: DeliveryProcessor;
  sweeper: Sweeper | undefined;
  app: FastifyInstance | undefined;
  /** The address the API listens on, when this process serves it. */
  url: string | undefined;
  simulator: PortalSimulator | undefined;
  /** Stops accepting, lets in-flight requests and deliveries finish, then closes every connection. */
  close(): Promise<void>;
}

/** The simulator's development account; the dev gateway logs in with it. */
const DEV_PORTAL_ACCOUNT = { username: 'lgsp', password: 'lgsp-dev' };

export async function startGateway(config: Config, logger: Logger): Promise<Gateway> {
  const closers: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const fn of closers.reverse()) await fn().catch((err) => logger.warn({ err: { message: (err as Error).message } }, 'error while closing'));
  };
  try {
    return await assemble(config, logger, closers, close);
  } catch (error) {
    await close();
    throw error;
  }
}

async function assemble(config: Config, logger: Logger, closers: (() => Promise<unknown>)[], close: () => Promise<void>): Promise<Gateway> {
  const dev = config.mode === 'development';
  await mkdir(config.dataDir, { recursive: true });

  let simulator: PortalSimulator | undefined;
  let portalUrl = config.nationalPortal.url;
  if (config.roles.has('simulators') && (dev || !portalUrl)) {
    simulator = await startNationalPortalSimulator({
      host: dev ? '127.0.0.1' : config.host,
      port: config.nationalPortal.simulatorPort,
      accounts: [dev ? DEV_PORTAL_ACCOUNT : { username: config.nationalPortal.username ?? 'lgsp', password: config.nationalPortal.password ?? 'lgsp-dev' }],
      loginPath: config.nationalPortal.loginPath,
      integrationPath: config.nationalPortal.integrationPath,
    });
    closers.push(() => simulator!.close());
    portalUrl ??= simulator.url;
    logger.info({ url: simulator.url }, 'national portal simulator listening');
  }
  const gatewayRoles = config.roles.has('api') || config.roles.has('worker');
  if (!gatewayRoles) return { config, simulator, close } as unknown as Gateway;

  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  closers.push(() => db.close());
  await migrate(db);
  logger.info({ engine: db.engine }, 'database ready');

  const redisUrl = config.redisUrl ?? (await embeddedRedis(config, logger, closers)).url;
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null, enableReadyCheck: true });
  redis.on('error', (err) => logger.warn({ err: { message: err.message } }, 'redis connection error'));
  closers.push(() => redis.quit());
  await warnAboutRedisSettings(redis, logger);

  const registry = await loadRegistry(config, logger, dev);
  const queues = new DeliveryQueues(redis, config.redisPrefix);
  closers.push(() => queues.close());

  const publicBaseUrl = config.publicBaseUrl ?? `http://127.0.0.1:${config.port}`;
  const signer = new FileLinkSigner(config.fileUrlSecret ?? (await devSecret(config.dataDir, 'file-url-secret')), publicBaseUrl, config.fileUrlTtlSeconds);

  const destinations = new Map<string, Destination>();
  if (portalUrl) {
    const client = new NationalPortalClient({
      baseUrl: portalUrl,
      loginPath: config.nationalPortal.loginPath,
      integrationPath: config.nationalPortal.integrationPath,
      timeoutMs: config.nationalPortal.timeoutMs,
      ...(config.nationalPortal.dstcode ? { dstcode: config.nationalPortal.dstcode } : {}),
    });
    destinations.set(NATIONAL_PORTAL, new NationalPortalDestination(client, registry, { attachmentUrl: (ref) => (ref.fileId ? signer.url(ref.fileId) : ref.url) }));
  }
  destinations.set(WEBHOOK, new WebhookDestination(registry, config.delivery.webhookTimeoutMs));
  closers.push(async () => {
    for (const d of destinations.values()) await d.close?.();
  });
  const metrics = new GatewayMetrics();
  metrics.watch(db, queues);
  const processor = new DeliveryProcessor({ db, destinations, registry, delivery: config.delivery, queue: queues, logger, metrics });

  let sweeper: Sweeper | undefined;
  if (config.roles.has('worker')) {
    if (!portalUrl) throw new Error('The worker needs NATIONAL_PORTAL_URL (or the simulators role in development)');
    const workerRedis = redis.duplicate();
    closers.push(() => workerRedis.quit());
    const workers = new DeliveryWorkers(workerRedis, config.redisPrefix, processor, config.delivery, logger);
    workers.start();
    closers.push(() => workers.close());
    sweeper = new Sweeper(db, queues, config.delivery.sweepIntervalMs, logger);
    sweeper.start();
    closers.push(() => sweeper!.stop());
    void sweeper.sweep().catch(() => 0);
    logger.info('delivery workers started');
  }

  let app: FastifyInstance | undefined;
  let url: string | undefined;
  if (config.roles.has('api')) {
    app = await buildApp({
      accept: { db, registry, attachmentUrlAllowlist: config.attachmentUrlAllowlist },
      queue: queues,
      signer,
      maxFileBytes: config.maxFileBytes,
      pingRedis: () => redis.ping(),
      logger,
      metrics,
    });
    closers.push(() => app!.close());
    url = await app.listen({ host: config.host, port: config.port });
  }

  return { config, db, registry, queues, processor, sweeper, app, url, simulator, close };
}

async function embeddedRedis(config: Config, logger: Logger, closers: (() => Promise<unknown>)[]): Promise<RedisServer> {
  if (config.mode === 'production') logger.warn('REDIS_URL is unset: starting a private redis-server; production should use a managed Redis with AOF');
  const server = await startRedisServer({ dir: path.join(config.dataDir, 'redis'), logger });
  closers.push(() => server.stop());
  logger.info({ url: server.url }, 'embedded redis-server started');
  return server;
}

/** BullMQ loses jobs under eviction, and without AOF a restart forgets the queue (the sweeper then refills it). */
async function warnAboutRedisSettings(redis: Redis, logger: Logger): Promise<void> {
  try {
    const policy = (await redis.config('GET', 'maxmemory-policy')) as string[];
    const aof = (await redis.config('GET', 'appendonly')) as string[];
    if (policy[1] !== 'noeviction') logger.warn({ policy: policy[1] }, 'Redis maxmemory-policy should be noeviction: evicted job keys are lost jobs');
    if (aof[1] !== 'yes') logger.warn('Redis appendonly is off: after a restart the sweeper must re-queue every open message');
  } catch {
    logger.warn('could not read the Redis configuration (CONFIG GET refused); check noeviction and appendonly by hand');
  }
}

async function loadRegistry(config: Config, logger: Logger, dev: boolean): Promise<PartnerRegistry> {
  const defaults = {
    agencyCode: config.nationalPortal.agencyCode,
    username: config.nationalPortal.username ?? (dev ? DEV_PORTAL_ACCOUNT.username : undefined),
    password: config.nationalPortal.password ?? (dev ? DEV_PORTAL_ACCOUNT.password : undefined),
  };
  let file = config.partnersFile;
  if (!file) {
    const ensured = await ensureDevRegistry(config.dataDir);
    file = ensured.file;
    if (ensured.created) {
      const lines = Object.entries(ensured.created).map(([role, c]) => `  ${role.padEnd(17)} x-api-key: ${c.apiKey}`);
      // Printed once, on purpose, to the console rather than the JSON log: it is the newcomer's welcome.
      process.stdout.write(`\nDevelopment partners created (also saved to ${path.join(config.dataDir, 'dev-credentials.json')}):\n${lines.join('\n')}\n\n`);
    }
  }
  const registry = await PartnerRegistry.fromFile(file, { defaults, allowAnyAgency: dev });
  logger.info({ file }, 'partner registry loaded');
  return registry;
}

/** Development secrets are made once and kept in the data folder, so links survive a restart. */
async function devSecret(dataDir: string, name: string): Promise<string> {
  const file = path.join(dataDir, name);
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    const secret = randomBytes(32).toString('base64url');
    await writeFile(file, secret + '\n', { mode: 0o600 });
    return secret;
  }
}
