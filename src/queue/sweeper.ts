// The sweeper makes promise 1 hold when Redis forgets: every open message that is ready and not
// leased is put back in the queue. Job ids are message ids, so a message already queued is untouched.
import type { Logger } from 'pino';
import type { Enqueuer } from '../delivery/enqueuer.js';
import type { Db } from '../store/db.js';
import { sweepCandidates } from '../store/messages.js';

export class Sweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(
    private readonly db: Db,
    private readonly queue: Enqueuer,
    private readonly intervalMs: number,
    private readonly logger: Logger,
    private readonly batch = 1000,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.sweep().catch((err) => this.logger.warn({ err: { message: (err as Error).message } }, 'sweep failed')), this.intervalMs);
    this.timer.unref();
  }

  /** One pass; returns how many messages were offered to the queue. */
  sweep(): Promise<number> {
    this.running ??= (async () => {
      try {
        const due = await sweepCandidates(this.db, this.batch);
        for (const m of due) await this.queue.enqueue(m.id, m.lane, m.delayMs);
        return due.length;
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => 0);
  }
}
