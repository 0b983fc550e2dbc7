// Puts the gateway together from a Config: database, Redis, partners, the national portal (or its
// simulator in development), then the roles this process plays (api, worker, simulators).
// server.ts calls it for `npm start`; tests call it with their own Config and real servers.
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { NationalPortalClient, startNationalPortalSimulator, type PortalSimulator, type TranslateContext } from '../adapters/national-portal/index.js';
import { buildApp, paymentDeps, type AppDeps } from './app.js';
import { DailyReconciliation } from './payments/daily-reconciliation.js';
import { mismatchAlert } from './payments/mismatch-alert.js';
import { PendingPayments } from './payments/pending.js';
import { setUpPayments } from './payments/payment-setup.js';
import type { Config } from './config/config.js';
import { DEV_PORTAL_ACCOUNT, portalDefaults } from './config/startup-check.js';
import type { Destination } from './delivery/destination.js';
import { NationalPortalDestination } from './delivery/portal-destination.js';
import { DeliveryProcessor } from './delivery/processor.js';
import { EDXML, NATIONAL_PORTAL, POSTAL, WEBHOOK } from './delivery/destination-names.js';
import { WebhookDestination } from './delivery/webhook-destination.js';
import { FileLinkSigner } from './files/signed-url.js';
import { startRedisServer, type RedisServer } from './infra/redis-server.js';
import { warnAboutRedisSettings } from './infra/redis-settings.js';
import { waitForDatabase, waitForRedis } from './infra/wait-reachable.js';
import { GatewayMetrics } from './observability/metrics.js';
import { startOpsListener } from './observability/ops-listener.js';
import { ensureDevRegistry } from './partners/dev-registry.js';
import { PartnerRegistry } from './partners/registry.js';
import { DeliveryQueues } from './queue/delivery-queue.js';
import { DeliveryWorkers } from './queue/delivery-workers.js';
import { Sweeper } from './queue/sweeper.js';
import { pruneBodies } from './audit/bodies.js';
import { CertificateCatalog } from './audit/certificates.js';
import { parseCosignatureVerifierKey } from './audit/cosignature.js';
import { ensureDevLogKey, loadLogKey } from './audit/log-key.js';
import { AuditLogWriter } from './audit/log-writer.js';
import { jwsChecker } from './crypto/jws-checker.js';
import { OutboundSigner } from './crypto/outbound-signer.js';
import { loadSigningMaterial } from './crypto/signing-setup.js';
import { PostalDestination } from './delivery/postal-destination.js';
import { PostalPoller } from './postal/poller.js';
import { setUpPostal } from './postal/postal-setup.js';
import { CatalogueRefresher, refreshCatalogues } from './portal-compatible/catalogues.js';
import { openDatabase, type Db } from './store/db.js';
import { migrate } from './store/migrations.js';
import { EdxmlDestination } from './delivery/edxml-destination.js';
import { setUpEdxml } from './edxml/setup.js';
import { devSecret } from './config/dev-secrets.js';

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
  /** The mTLS listener's address, when MTLS_PORT is set. */
  mtlsUrl: string | undefined;
  /** A worker-only process's /metrics and health listener, when METRICS_PORT is set. */
  metricsUrl: string | undefined;
  simulator: PortalSimulator | undefined;
  /** Stops accepting, lets in-flight requests and deliveries finish, then closes every connection. */
  close(): Promise<void>;
}


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

  const gatewayRoles = config.roles.has('api') || config.roles.has('worker');
  const signing = gatewayRoles || dev ? await loadSigningMaterial(config, logger) : undefined;

  let simulator: PortalSimulator | undefined;
  let portalUrl = config.nationalPortal.url;
  if (config.roles.has('simulators') && (dev || !portalUrl)) {
    simulator = await startNationalPortalSimulator({
      // Like a partner that insists on signatures: in development the gateway's own are checked.
      ...(signing ? { checkSignature: jwsChecker(signing.trust) } : {}),
      host: dev ? '127.0.0.1' : config.host,
      port: config.nationalPortal.simulatorPort,
      accounts: [dev ? DEV_PORTAL_ACCOUNT : { username: config.nationalPortal.username ?? 'lgsp', password: config.nationalPortal.password ?? 'lgsp-dev' }],
      loginPath: config.nationalPortal.loginPath,
      integrationPath: config.nationalPortal.integrationPath,
      sharingPath: config.nationalPortal.sharingPath,
    });
    closers.push(() => simulator!.close());
    portalUrl ??= simulator.url;
    logger.info({ url: simulator.url }, 'national portal simulator listening');
  }
  if (!gatewayRoles || !signing) return { config, simulator, close } as unknown as Gateway;
  const trustReload = setInterval(() => {
    signing.trust.reload().catch((err) => logger.error({ err: { message: (err as Error).message } }, 'trust store reload failed; keeping the previous CRLs'));
  }, config.signing.trustReloadMs);
  trustReload.unref();
  closers.push(async () => clearInterval(trustReload));

  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  closers.push(() => db.close());
  if (config.databaseUrl) await waitForDatabase(db, config.databaseUrl, config.connectTimeoutMs);
  await migrate(db);
  logger.info({ engine: db.engine }, 'database ready');

  const redisUrl = config.redisUrl ?? (await embeddedRedis(config, logger, closers)).url;
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null, enableReadyCheck: true });
  redis.on('error', (err) => logger.warn({ err: { message: err.message } }, 'redis connection error'));
  closers.push(() => redis.quit());
  await waitForRedis(redis, redisUrl, config.connectTimeoutMs);
  await warnAboutRedisSettings(redis, logger);

  const registry = await loadRegistry(config, logger, dev, signing.devPkiDir);
  const logKey = config.auditLog.keyFile ? await loadLogKey(config.auditLog.keyFile, config.auditLog.origin) : await ensureDevLogKey(config.dataDir, config.auditLog.origin);
  const witnesses = config.auditLog.witnessKeys.map(parseCosignatureVerifierKey);
  const outbound = await OutboundSigner.create(signing.keyRing.active, new CertificateCatalog(db));
  const queues = new DeliveryQueues(redis, config.redisPrefix);
  closers.push(() => queues.close());
  // Requests (and metric scrapes) never wait for Redis: while it is down their commands fail at once
  // (no offline queue) or after REDIS_COMMAND_TIMEOUT_MS, and a request is answered 503 or, once its
  // data is committed, accepted with the sweeper queuing it later (docs/faults.md). Workers and the
  // sweeper keep the patient connection above, which waits for Redis to come back.
  const apiRedis = new Redis(redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: config.redisCommandTimeoutMs, lazyConnect: true });
  apiRedis.on('error', (err) => logger.debug({ err: { message: err.message } }, 'redis connection error (API)'));
  await apiRedis.connect();
  closers.push(() => apiRedis.quit());
  const apiQueues = new DeliveryQueues(apiRedis, config.redisPrefix);
  closers.push(() => apiQueues.close());

  const publicBaseUrl = config.publicBaseUrl ?? `http://127.0.0.1:${config.port}`;
  const fileLinks = new FileLinkSigner(config.fileUrlSecret ?? (await devSecret(config.dataDir, 'file-url-secret')), publicBaseUrl, config.fileUrlTtlSeconds);

  const destinations = new Map<string, Destination>();
  let portalClient: NationalPortalClient | undefined;
  if (portalUrl) {
    const client = (portalClient = new NationalPortalClient({
      baseUrl: portalUrl,
      loginPath: config.nationalPortal.loginPath,
      integrationPath: config.nationalPortal.integrationPath,
      sharingPath: config.nationalPortal.sharingPath,
      timeoutMs: config.nationalPortal.timeoutMs,
      ...(config.nationalPortal.dstcode ? { dstcode: config.nationalPortal.dstcode } : {}),
      sign: (body) => outbound.jws(body),
    }));
    const attachments: TranslateContext = { attachmentUrl: (ref) => (ref.fileId ? fileLinks.url(ref.fileId) : ref.url) };
    destinations.set(NATIONAL_PORTAL, new NationalPortalDestination(client, registry, attachments, outbound));
  }
  destinations.set(WEBHOOK, new WebhookDestination(registry, config.delivery.webhookTimeoutMs, outbound));
  const edxml = await setUpEdxml(config, db, registry, signing.trust, signing.keyRing.active);
  destinations.set(EDXML, new EdxmlDestination(db, edxml.directory, edxml.attachmentDir, outbound, config.delivery.webhookTimeoutMs));
  const postal = await setUpPostal(config, outbound, signing.devPkiDir, logger);
  if (postal) {
    destinations.set(POSTAL, new PostalDestination(db, postal.client, outbound, postal.allocateItemCode));
    closers.push(async () => {
      await postal.client.close();
      await postal.simulator?.close();
    });
  }
  closers.push(async () => {
    for (const d of destinations.values()) await d.close?.();
  });
  const payments = await setUpPayments(config, outbound, logger);
  closers.push(() => payments.close());
  const metrics = new GatewayMetrics();
  metrics.watch(db, apiQueues);
  metrics.watchValidity(signing.trust, () => signing.keyRing.active.certificateChain);
  const processor = new DeliveryProcessor({ db, destinations, registry, delivery: config.delivery, queue: queues, logger, metrics });

  let sweeper: Sweeper | undefined;
  if (config.roles.has('worker')) {
    if (!portalUrl) throw new Error('The worker needs NATIONAL_PORTAL_URL (or the simulators role in development)');
    const workerRedis = redis.duplicate();
    closers.push(() => workerRedis.quit());
    // Closers run in reverse: the workers finish their deliveries before the audit writer's last checkpoint.
    const auditWriter = new AuditLogWriter(db, { key: logKey, ...config.auditLog }, logger);
    auditWriter.start();
    closers.push(() => auditWriter.stop());
    const workers = new DeliveryWorkers(workerRedis, config.redisPrefix, processor, config.delivery, logger);
    workers.start();
    closers.push(() => workers.close());
    if (config.auditLog.bodyRetentionDays !== undefined) startRetention(db, config.auditLog.bodyRetentionDays, logger, closers);
    if (postal) {
      const accept = { db, registry, attachmentUrlAllowlist: config.attachmentUrlAllowlist };
      const poller = new PostalPoller(workerRedis, config.redisPrefix, db, accept, postal.client, config.postal.pollIntervalMs, queues, logger);
      poller.start();
      closers.push(() => poller.close());
    }
    const pending = new PendingPayments(
      paymentDeps({ accept: { db, registry, attachmentUrlAllowlist: config.attachmentUrlAllowlist }, queue: queues, logger, metrics }),
      payments.providers,
      { queryAfterMs: config.payments.queryAfterMs, intervalMs: config.payments.checkIntervalMs },
      logger,
    );
    pending.start();
    closers.push(async () => pending.stop());
    const daily = new DailyReconciliation(db, payments.providers, mismatchAlert(metrics, logger), logger);
    daily.start();
    closers.push(async () => daily.stop());
    const catalogueAccount = registry.defaultPortalAccount();
    if (portalClient && catalogueAccount) {
      const client = portalClient;
      const refresher = new CatalogueRefresher(() => refreshCatalogues(db, client, catalogueAccount, logger), config.portalCompatible.catalogueRefreshMs, logger);
      refresher.start();
      closers.push(() => refresher.stop());
    } else {
      logger.warn('no default national portal account (NATIONAL_PORTAL_USERNAME/PASSWORD): the portal catalogues are not copied, portal-compatible look-ups answer 503');
    }
    sweeper = new Sweeper(db, queues, config.delivery.sweepIntervalMs, logger);
    sweeper.start();
    closers.push(() => sweeper!.stop());
    void sweeper.sweep().catch(() => 0);
    logger.info('delivery workers started');
  }

  let app: FastifyInstance | undefined;
  let url: string | undefined;
  let mtlsUrl: string | undefined;
  if (config.roles.has('api')) {
    const appDeps: AppDeps = {
      accept: { db, registry, attachmentUrlAllowlist: config.attachmentUrlAllowlist, grouping: config.acceptGroup },
      queue: apiQueues,
      fileLinks,
      trust: signing.trust,
      audit: { origin: logKey.origin, verifierKey: logKey.verifierKey, witnesses },
      postalEnabled: postal !== undefined,
      payments: { providers: payments.providers, expiryMinutes: config.payments.expiryMinutes },
      maxFileBytes: config.maxFileBytes,
      pingRedis: () => apiRedis.ping(),
      redis: apiRedis,
      protection: { redisPrefix: config.redisPrefix, ...config.protection },
      logger,
      metrics,
      signer: signing.keyRing.active,
      dashboardQueues: Object.values(apiQueues.queues),
      portalCompatible: { sessionTtlSeconds: config.portalCompatible.sessionTtlSeconds },
      edxml,
      soap: config.soap,
    };
    app = await buildApp(appDeps);
    closers.push(() => app!.close());
    url = await app.listen({ host: config.host, port: config.port });
    if (config.tls.mtlsPort !== undefined) {
      if (!signing.tls) throw new Error('MTLS_PORT needs TLS_CERT_FILE and TLS_KEY_FILE');
      const [key, cert] = await Promise.all([readFile(signing.tls.keyFile), readFile(signing.tls.certificateFile)]);
      const mtlsApp = await buildApp(appDeps, { key, cert, ca: signing.trust.caCertificatesPem() });
      closers.push(() => mtlsApp.close());
      mtlsUrl = await mtlsApp.listen({ host: config.host, port: config.tls.mtlsPort });
      logger.info({ url: mtlsUrl }, 'mTLS listener ready');
    }
  }

  let metricsUrl: string | undefined;
  if (!app && config.metricsPort !== undefined) {
    const ops = await startOpsListener({ db, registry, metrics, pingRedis: () => apiRedis.ping(), logger, refusalsLoggedPerMinute: config.protection.refusalsLoggedPerMinute }, config.host, config.metricsPort);
    closers.push(() => ops.app.close());
    metricsUrl = ops.url;
    logger.info({ url: metricsUrl }, 'metrics listener ready');
  }

  return { config, db, registry, queues, processor, sweeper, app, url, mtlsUrl, metricsUrl, simulator, close };
}

/** Prunes message bodies past the retention period, hourly; the leaves and every proof stay valid. */
function startRetention(db: Db, days: number, logger: Logger, closers: (() => Promise<unknown>)[]): void {
  const prune = () =>
    pruneBodies(db, new Date(Date.now() - days * 86_400_000))
      .then((n) => n > 0 && logger.info({ pruned: n, retentionDays: days }, 'message bodies pruned'))
      .catch((err) => logger.warn({ err: { message: (err as Error).message } }, 'body pruning failed'));
  void prune();
  const timer = setInterval(prune, 3_600_000);
  timer.unref();
  closers.push(async () => clearInterval(timer));
}

async function embeddedRedis(config: Config, logger: Logger, closers: (() => Promise<unknown>)[]): Promise<RedisServer> {
  if (config.mode === 'production') logger.warn('REDIS_URL is unset: starting a private redis-server; production should use a managed Redis with AOF');
  const server = await startRedisServer({ dir: path.join(config.dataDir, 'redis'), logger });
  closers.push(() => server.stop());
  logger.info({ url: server.url }, 'embedded redis-server started');
  return server;
}

async function loadRegistry(config: Config, logger: Logger, dev: boolean, devPkiDir: string | undefined): Promise<PartnerRegistry> {
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
  const registry = await PartnerRegistry.fromFile(file, { defaults, allowAnyAgency: dev });
  logger.info({ file }, 'partner registry loaded');
  return registry;
}
