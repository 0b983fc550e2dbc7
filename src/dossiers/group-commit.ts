// Group commit for acceptances: concurrent requests gather for a short window (or until enough wait)
// and are decided and written in one transaction (acceptGroup), with one commit and one bulk enqueue.
// Each request is answered with its own outcome only after that commit (promise 1).
import type { FastifyBaseLogger } from 'fastify';
import type { Enqueuer } from '../delivery/enqueuer.js';
import { acceptGroup, type AcceptContext, type AcceptItem, type Accepted, type GroupSettings } from './accept.js';
import { enqueueAfterCommit } from '../delivery/enqueue-after-commit.js';

/** ACCEPT_GROUP_WINDOW_MS, ACCEPT_GROUP_MAX, ACCEPT_GROUP_IN_FLIGHT (README, configuration). */
export const GROUP_DEFAULTS: GroupSettings = { windowMs: 2, maxSize: 64, maxInFlight: 4 };

interface Waiting {
  item: AcceptItem;
  resolve: (accepted: Accepted) => void;
  reject: (error: unknown) => void;
}

export class AcceptanceGroups {
  private readonly settings: GroupSettings;
  private waiting: Waiting[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight = 0;

  constructor(
    private readonly ctx: AcceptContext,
    private readonly queue: Enqueuer,
    private readonly log: FastifyBaseLogger,
  ) {
    this.settings = { ...GROUP_DEFAULTS, ...ctx.grouping };
  }

  /** Resolves after the request's group committed and its messages were offered to the queue; rejects with its refusal. */
  submit(item: AcceptItem): Promise<Accepted> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (this.waiting.length >= this.settings.maxSize) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.settings.windowMs);
    });
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    // At the limit the requests keep gathering; the group that ends next sends them.
    if (this.waiting.length === 0 || this.inFlight >= this.settings.maxInFlight) return;
    const group = this.waiting.splice(0, this.settings.maxSize);
    this.inFlight++;
    void this.commit(group).finally(() => {
      this.inFlight--;
      if (this.waiting.length >= this.settings.maxSize || (this.waiting.length > 0 && !this.timer)) this.flush();
    });
  }

  private async commit(group: Waiting[]): Promise<void> {
    let outcomes;
    try {
      outcomes = await acceptGroup(this.ctx, group.map((w) => w.item));
    } catch (error) {
      // One request's bytes the database refuses (or any other failure of the transaction) must not
      // answer for the others: a group that failed is tried again one request at a time, in arrival
      // order, so that only the request that fails alone is refused with it.
      if (group.length === 1) group[0]!.reject(error);
      else for (const w of group) await this.commit([w]);
      return;
    }
    const accepted = outcomes.flatMap((o) => ('accepted' in o ? [o.accepted] : []));
    await enqueueAfterCommit(this.queue, accepted.flatMap((a) => a.enqueue), this.log);
    outcomes.forEach((o, i) => ('accepted' in o ? group[i]!.resolve(o.accepted) : group[i]!.reject(o.refused)));
  }
}
