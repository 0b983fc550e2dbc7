// The payment core's collaborators, as the API (notifications) and the worker (pending payments) both
// build them: double payments are counted for the operator and logged as errors.
import type { Logger } from 'pino';
import type { Enqueuer } from '../delivery/enqueuer.js';
import type { AcceptContext } from '../dossiers/accept.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { PartnerRegistry } from '../partners/registry.js';
import type { Db } from '../store/db.js';
import type { PaymentDeps } from './notifications.js';

export function paymentDeps(parts: { db: Db; registry: PartnerRegistry; accept: AcceptContext; queue: Enqueuer; logger: Logger; metrics: GatewayMetrics }): PaymentDeps {
  return {
    db: parts.db,
    registry: parts.registry,
    accept: parts.accept,
    queue: parts.queue,
    logger: parts.logger,
    onAlert: (kind, detail) => {
      parts.metrics.paymentAlerts.inc({ kind });
      if (kind === 'double-payment') parts.logger.error(detail, 'double payment');
    },
  };
}
