// The worker role: delivery workers and the sweeper, the audit-log writer and body retention, the
// postal poller, pending payments, the daily reconciliation and the portal catalogue refresher.
import type { Logger } from 'pino';
import { pruneBodies } from '../audit/bodies.js';
import { AuditLogWriter } from '../audit/log-writer.js';
import { DailyReconciliation } from '../payments/daily-reconciliation.js';
import { paymentDeps } from '../payments/deps.js';
import { mismatchAlert } from '../payments/mismatch-alert.js';
import { PendingPayments } from '../payments/pending.js';
import { ReconciliationRunner } from '../payments/reconciliation-runner.js';
import { CatalogueRefresher, refreshCatalogues } from '../portal-compatible/catalogues.js';
import { PostalPoller } from '../postal/poller.js';
import { DeliveryWorkers } from '../queue/delivery-workers.js';
import { Sweeper } from '../queue/sweeper.js';
import type { Db } from '../store/db.js';
import type { Closers } from './closers.js';
import type { Core } from './core.js';
import type { Wings } from './wings.js';

export async function startWorker(core: Core, wings: Wings): Promise<Sweeper> {
  const { config, db, registry, queues, logger, closers } = core;
  const { portalClient, postal, payments } = wings;
  if (!portalClient) throw new Error('The worker needs NATIONAL_PORTAL_URL (or the simulators role in development)');
  const workerRedis = core.redis.duplicate();
  closers.add(() => workerRedis.quit());
  // Closers run in reverse: the workers finish their deliveries before the audit writer's last checkpoint.
  const auditWriter = new AuditLogWriter(db, { key: core.logKey, ...config.auditLog }, logger);
  auditWriter.start();
  closers.add(() => auditWriter.stop());
  const workers = new DeliveryWorkers(workerRedis, config.redisPrefix, wings.processor, config.delivery, logger);
  workers.start();
  closers.add(() => workers.close());
  if (config.auditLog.bodyRetentionDays !== undefined) startRetention(db, config.auditLog.bodyRetentionDays, logger, closers);
  if (postal) {
    const poller = new PostalPoller(workerRedis, config.redisPrefix, db, registry, wings.accept, postal.operator, config.postal.pollIntervalMs, queues, logger);
    poller.start();
    closers.add(() => poller.close());
  }
  const pending = new PendingPayments(
    paymentDeps({ db, registry, accept: wings.accept, queue: queues, logger, metrics: core.metrics }),
    payments.providers,
    { queryAfterMs: config.payments.queryAfterMs, intervalMs: config.payments.checkIntervalMs },
    logger,
  );
  pending.start();
  closers.add(async () => pending.stop());
  const daily = new DailyReconciliation(db, payments.providers, mismatchAlert(core.metrics, logger), logger);
  daily.start();
  closers.add(async () => daily.stop());
  const reconciliations = new ReconciliationRunner(db, payments.providers, mismatchAlert(core.metrics, logger), logger);
  reconciliations.start();
  closers.add(() => reconciliations.stop());
  const catalogueAccount = registry.defaultPortalAccount();
  if (catalogueAccount) {
    const refresher = new CatalogueRefresher(() => refreshCatalogues(db, portalClient, catalogueAccount, logger), config.portalCompatible.catalogueRefreshMs, logger);
    refresher.start();
    closers.add(() => refresher.stop());
  } else {
    logger.warn('no default national portal account (NATIONAL_PORTAL_USERNAME/PASSWORD): the portal catalogues are not copied, portal-compatible look-ups answer 503');
  }
  const sweeper = new Sweeper(db, queues, config.delivery.sweepIntervalMs, logger);
  sweeper.start();
  closers.add(() => sweeper.stop());
  void sweeper.sweep().catch(() => 0);
  logger.info('delivery workers started');
  return sweeper;
}

/** Prunes message bodies past the retention period, hourly; the leaves and every proof stay valid. */
function startRetention(db: Db, days: number, logger: Logger, closers: Closers): void {
  const prune = () =>
    pruneBodies(db, new Date(Date.now() - days * 86_400_000))
      .then((n) => n > 0 && logger.info({ pruned: n, retentionDays: days }, 'message bodies pruned'))
      .catch((err) => logger.warn({ err: { message: (err as Error).message } }, 'body pruning failed'));
  void prune();
  const timer = setInterval(prune, 3_600_000);
  timer.unref();
  closers.add(async () => clearInterval(timer));
}
