// Mismatches found by a reconciliation, whoever ran it, reach the operator the same way: a metric
// to alert on, and a warning in the log naming the report.
import type { Logger } from 'pino';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { ReconciliationReport } from './reconciliation.js';

export function mismatchAlert(metrics: GatewayMetrics, logger: Logger): (report: ReconciliationReport) => void {
  return (report) => {
    if (report.summary.mismatches === 0) return;
    metrics.reconciliationMismatches.inc({ provider: report.provider }, report.summary.mismatches);
    logger.warn({ provider: report.provider, day: report.day, summary: report.summary, reconciliation: report.id }, 'reconciliation found mismatches');
  };
}
