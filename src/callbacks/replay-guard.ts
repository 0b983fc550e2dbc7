// Replay protection for inbound callbacks (postal pushes, payment notifications). The rule, in
// docs/callbacks.md: a callback's own time must lie between now − window − skew and now + skew, and
// its message id must not have been seen within the window. Seen ids live in Redis with a TTL, so
// every API instance shares one memory and it forgets exactly what the window already refuses.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { RefusalLog } from '../audit/refusal-log.js';

export interface ReplayRule {
  windowSeconds: number;
  clockSkewSeconds: number;
}

/** What guards an inbound callback endpoint: the replay memory and the sampled refusal record. */
export interface CallbackGuards {
  replay: ReplayGuard;
  refusals: RefusalLog;
}

export type TimeVerdict = 'in-window' | 'too-old' | 'in-future';

export class ReplayGuard {
  readonly #ttlSeconds: number;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly rule: ReplayRule,
    private readonly logger: Logger,
  ) {
    // A callback dated `skew` ahead is acceptable until window + skew after its time: remember it as long.
    this.#ttlSeconds = rule.windowSeconds + 2 * rule.clockSkewSeconds;
  }

  judgeTime(at: Date, now: Date = new Date()): TimeVerdict {
    const skewMs = this.rule.clockSkewSeconds * 1000;
    if (at.getTime() > now.getTime() + skewMs) return 'in-future';
    if (at.getTime() < now.getTime() - this.rule.windowSeconds * 1000 - skewMs) return 'too-old';
    return 'in-window';
  }

  /** What the gateway answered the first time it saw this message, if it did within the window. */
  async seen(kind: string, messageId: string): Promise<string | undefined> {
    try {
      return (await this.redis.get(this.#key(kind, messageId))) ?? undefined;
    } catch (error) {
      // Redis unavailable: the database's own idempotency (payment row locks, postal event keys)
      // still makes a replay change nothing, so callbacks keep flowing rather than being refused.
      this.logger.warn({ err: { message: (error as Error).message } }, 'replay memory unavailable; relying on idempotency');
      return undefined;
    }
  }

  /** Remembers a message once it was acted on; the first verdict stands if two raced. */
  async remember(kind: string, messageId: string, verdict: string): Promise<void> {
    await this.redis.set(this.#key(kind, messageId), verdict, 'EX', this.#ttlSeconds, 'NX').catch((error: Error) => {
      this.logger.warn({ err: { message: error.message } }, 'replay memory unavailable; this callback is not remembered');
    });
  }

  #key(kind: string, messageId: string): string {
    return `${this.prefix}:replay:${kind}:${createHash('sha256').update(messageId).digest('hex')}`;
  }
}
