// A live worker keeps what it claimed: while its calls are out (a slow portal, a batch split into
// many calls, answers resent one by one) it renews the lease every third of DELIVERY_LEASE_MS, so no
// other worker claims and sends the same messages meanwhile. Only a dead or stalled worker's lease
// runs out, and then the messages come back through the sweeper.
import type { Logger } from 'pino';
import type { Db } from '../store/db.js';
import { renewLease } from '../store/messages.js';

export class LeaseKeeper {
  private timer: NodeJS.Timeout | undefined;
  private renewing: Promise<void> | undefined;
  /** Until when (ms since epoch) the lease surely holds: from before the last renewal was sent. */
  private holdsUntil: number;

  constructor(
    private readonly db: Db,
    private readonly ids: readonly string[],
    private readonly leaseMs: number,
    private readonly logger: Logger,
    claimedAt: number,
  ) {
    this.holdsUntil = claimedAt + leaseMs;
    this.timer = setInterval(() => void this.renew(), Math.max(1, Math.floor(leaseMs / 3)));
    this.timer.unref();
  }

  /** The end of the lease as far as this worker knows it. */
  get endsAt(): number {
    return this.holdsUntil;
  }

  private renew(): Promise<void> {
    this.renewing ??= (async () => {
      const sentAt = Date.now();
      try {
        if ((await renewLease(this.db, this.ids, this.leaseMs)) > 0) this.holdsUntil = sentAt + this.leaseMs;
      } catch (error) {
        // The database unreachable: the lease runs out on its own, as if this worker had died.
        this.logger.warn({ err: { message: (error as Error).message } }, 'delivery lease not renewed');
      } finally {
        this.renewing = undefined;
      }
    })();
    return this.renewing;
  }

  /** Stops renewing; waits for a renewal under way so none lands after the outcome is recorded. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.renewing;
  }
}
