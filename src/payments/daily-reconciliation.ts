// The daily reconciliation: once the provider's statement for yesterday (Vietnam time) should be
// complete, after 02:00, each provider's day is reconciled once; the report is kept and mismatches
// are raised. The hourly check makes a missed night (the worker was down) catch up.
import type { Logger } from 'pino';
import { vietnamRfc3339, vietnamWallClock } from '../core/vietnam-time.js';
import type { Queryable } from '../store/db.js';
import type { PaymentProvider } from './provider.js';
import { reconcile, shiftDay, type ReconciliationReport } from './reconciliation.js';

const HOUR_MS = 3_600_000;
const READY_AFTER_HOUR = 2;

export class DailyReconciliation {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Queryable,
    private readonly providers: ReadonlyMap<string, PaymentProvider>,
    private readonly onReport: (report: ReconciliationReport) => void,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.run().catch((err) => this.logger.warn({ err: { message: (err as Error).message } }, 'daily reconciliation failed; will retry')), HOUR_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Reconciles yesterday for every provider that has no report for it yet; answers the reports made. */
  async run(now = new Date()): Promise<ReconciliationReport[]> {
    if (vietnamWallClock(now).hour < READY_AFTER_HOUR) return [];
    const yesterday = shiftDay(vietnamRfc3339(now).slice(0, 10), -1);
    const reports: ReconciliationReport[] = [];
    for (const provider of this.providers.values()) {
      const done = await this.db.query('SELECT 1 FROM reconciliations WHERE provider = $1 AND day = $2 LIMIT 1', [provider.id, yesterday]);
      if (done.length > 0) continue;
      const report = await reconcile(this.db, provider, yesterday);
      this.onReport(report);
      reports.push(report);
    }
    return reports;
  }
}
