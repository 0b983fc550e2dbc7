// The worker's side of reconciliation jobs: it looks for a queued (or abandoned) job, runs it with
// its progress written as it goes and its lease kept fresh, and keeps the report. Only the worker
// role starts it, so an API-only process queues jobs and never runs them.
import type { Logger } from 'pino';
import type { Db } from '../store/db.js';
import type { PaymentProvider } from './provider.js';
import { claimReconciliation, failReconciliation, finishReconciliation, JobTakenOver, recordProgress, releaseReconciliation, type Claim } from './reconciliation-jobs.js';
import { compareDay, type ReconciliationProgress, type ReconciliationReport } from './reconciliation.js';

export interface RunnerOptions {
  /** How often an idle worker looks for a job. */
  pollMs: number;
  /** How long a job stays the worker's without a sign of life; then another worker may run it. */
  leaseMs: number;
}

export const RUNNER_DEFAULTS: RunnerOptions = { pollMs: 1_000, leaseMs: 60_000 };

export class ReconciliationRunner {
  private timer: NodeJS.Timeout | undefined;
  private current: { claim: Claim; done: Promise<void> } | undefined;
  private stopped = false;

  constructor(
    private readonly db: Db,
    private readonly providers: ReadonlyMap<string, PaymentProvider>,
    private readonly onReport: (report: ReconciliationReport) => void,
    private readonly logger: Logger,
    private readonly options: RunnerOptions = RUNNER_DEFAULTS,
  ) {}

  start(): void {
    const tick = () => {
      this.timer = undefined;
      void this.runOnce()
        .catch((err) => this.logger.warn({ err: { message: (err as Error).message } }, 'reconciliation job check failed'))
        .then((ran) => {
          if (!this.stopped) this.timer = setTimeout(tick, ran ? 0 : this.options.pollMs);
        });
    };
    tick();
  }

  /** Stops looking; a job in hand is given back to the queue so that the next worker starts it at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    const current = this.current;
    if (!current) return;
    await releaseReconciliation(this.db, current.claim);
    await current.done;
  }

  /** Claims and runs one job; answers whether there was one. */
  async runOnce(): Promise<boolean> {
    if (this.stopped) return false;
    const claim = await claimReconciliation(this.db, this.options.leaseMs);
    if (!claim) return false;
    const done = this.run(claim);
    this.current = { claim, done };
    try {
      await done;
    } finally {
      this.current = undefined;
    }
    return true;
  }

  private async run(claim: Claim): Promise<void> {
    const log = this.logger.child({ reconciliation: claim.id, provider: claim.provider, day: claim.day });
    const provider = this.providers.get(claim.provider);
    if (!provider) {
      await failReconciliation(this.db, claim, `the payment provider "${claim.provider}" is not configured on this worker`);
      return;
    }
    // A slow statement call must not look like a dead worker: the lease is renewed while it waits.
    const heartbeat = setInterval(() => void recordProgress(this.db, claim, this.options.leaseMs).catch(() => undefined), Math.max(1, Math.floor(this.options.leaseMs / 3)));
    heartbeat.unref();
    try {
      log.info('reconciliation started');
      let last: ReconciliationProgress | undefined;
      const report = await compareDay(this.db, provider, claim.day, {
        id: claim.id,
        onProgress: async (progress) => {
          last = progress;
          await recordProgress(this.db, claim, this.options.leaseMs, progress);
        },
      });
      await finishReconciliation(this.db, claim, report, last!);
      log.info({ summary: report.summary }, 'reconciliation done');
      this.onReport(report);
    } catch (error) {
      if (error instanceof JobTakenOver) {
        log.info('reconciliation run stopped: the job was given back or taken over');
        return;
      }
      log.warn({ err: { message: (error as Error).message } }, 'reconciliation failed');
      await failReconciliation(this.db, claim, (error as Error).message);
    } finally {
      clearInterval(heartbeat);
    }
  }
}
