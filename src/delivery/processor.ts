// One delivery attempt for a queued message id: claim it (and siblings that can share its call),
// deliver, and record each outcome with its message-log record in one transaction. The database
// decides everything; the queue only says "look at this id now".
import type { Logger } from 'pino';
import { appendLogs } from '../audit/message-log.js';
import type { Config } from '../config/config.js';
import type { PartnerRegistry } from '../partners/registry.js';
import type { Db, Queryable } from '../store/db.js';
import { claimForCall, insertMessages, jobHead, nextInLines, recordAttempts, releaseLease, type AttemptOutcome, type Lane, type NewMessage, type OutboundMessage, type RecordedMessage } from '../store/messages.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import { isConnectionError } from '../store/connection-errors.js';
import { retryDelayMs } from './backoff.js';
import type { Destination, ItemOutcome } from './destination.js';
import type { Enqueuer } from './enqueuer.js';
import { enqueueAfterCommit } from './enqueue-after-commit.js';
import { WEBHOOK } from './destination-names.js';
import { partnerNotification } from './partner-notification.js';
import { LeaseKeeper } from './lease-keeper.js';

export type ProcessResult = { kind: 'done' } | { kind: 'later'; at: Date };

export interface ProcessorDeps {
  db: Db;
  destinations: ReadonlyMap<string, Destination>;
  registry: PartnerRegistry;
  delivery: Config['delivery'];
  queue: Enqueuer;
  logger: Logger;
  metrics?: GatewayMetrics;
}

export class DeliveryProcessor {
  constructor(private readonly deps: ProcessorDeps) {}

  /** `beforeCall`, when given, is awaited just before the outbound call: the bulk lane's pace. */
  async process(messageId: string, beforeCall?: () => Promise<void>): Promise<ProcessResult> {
    const { db, delivery } = this.deps;
    // A job means "look at this message's batch now". Under load its message has usually gone out
    // already as another call's sibling, or is in flight: a plain read tells, and the job then claims
    // what else of the batch is ready, since messages committed together get one job per call
    // (src/delivery/jobs-per-call.ts). A message leased by a worker that then dies comes back through
    // the sweeper once its lease runs out.
    const head = await jobHead(db, messageId);
    const destination = head ? this.deps.destinations.get(head.destination) : undefined;
    if (!head || !destination) return { kind: 'done' };
    // Its own retry, not due yet: the job comes back then.
    if (head.open && !head.leased && !head.blocked && !head.due) return { kind: 'later', at: head.nextAttemptAt };
    const callSize = destination.maxBatch === 1 ? 1 : Math.min(destination.maxBatch, delivery.batchSize);
    // Taken before the claim, so never later than the lease the database grants.
    const claimedAt = Date.now();
    const messages = await claimForCall(db, messageId, head, callSize, delivery.leaseMs);
    if (messages.length === 0) return { kind: 'done' };
    const lease = new LeaseKeeper(db, messages.map((m) => m.id), delivery.leaseMs, this.deps.logger, claimedAt);
    let outcomes: Map<string, ItemOutcome>;
    try {
      await beforeCall?.();
      outcomes = await destination.deliver(messages);
    } catch (error) {
      // A destination bug must not strand the batch under a lease; every item becomes a retry.
      this.deps.logger.error({ err: error, messageId }, 'destination threw; batch will be retried');
      outcomes = new Map(messages.map((m) => [m.id, { result: 'retry', error: 'internal error in the gateway' } as ItemOutcome]));
    } finally {
      // Renewed while the calls were out; recording the outcomes ends the lease.
      await lease.stop();
    }
    let follow: { id: string; lane: Lane; delayMs?: number }[] = [];
    // The calls were made: a database that blinks now must not make us forget their outcome, or the
    // sweeper would send them again. Retry while our lease still keeps other workers away.
    const after = await whileUnreachable(lease.endsAt, () =>
      db.transaction(async (tx) => {
        const recorded = await this.record(tx, destination, messages, outcomes);
        follow = recorded.follow;
        return recorded.after;
      }),
    );
    await this.enqueueFollowing(follow);
    const own = after.find((m) => m.id === messageId);
    return own?.state === 'failed' ? { kind: 'later', at: own.nextAttemptAt } : { kind: 'done' };
  }

  /** Releases leases without counting an attempt (used when shutting down mid-claim). */
  release(ids: string[]): Promise<void> {
    return releaseLease(this.deps.db, ids);
  }

  /**
   * A call's outcome in a constant number of statements, whatever the batch size: the messages'
   * states, their message-log records, the next in each line, and the partners' notifications.
   */
  private async record(
    tx: Queryable,
    destination: Destination,
    messages: readonly OutboundMessage[],
    outcomes: ReadonlyMap<string, ItemOutcome>,
  ): Promise<{ after: RecordedMessage[]; follow: { id: string; lane: Lane; delayMs?: number }[] }> {
    const { delivery } = this.deps;
    const outcomeOf = (m: RecordedMessage): ItemOutcome => outcomes.get(m.id) ?? { result: 'retry', error: 'no outcome reported for this item' };
    const attempts: AttemptOutcome[] = messages.map((m) => {
      const o = outcomeOf(m);
      return o.result === 'delivered'
        ? { id: m.id, delivered: true, note: o.note }
        : { id: m.id, delivered: false, error: o.error, permanent: o.result === 'refused', delayMs: retryDelayMs(m.attempts + 1, delivery.backoffBaseMs, delivery.backoffMaxMs, o.result === 'retry' ? o.retryAfterMs : undefined) };
    });
    // Messages replayed or finished elsewhere meanwhile are not returned, and get no record.
    const after = await recordAttempts(tx, attempts, { maxAttempts: delivery.maxAttempts, giveUpAfterMs: delivery.giveUpAfterMs });
    const order = new Map(messages.map((m, i) => [m.id, i]));
    const sent = new Map(messages.map((m) => [m.id, m]));
    after.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
    for (const m of after) {
      this.logOutcome(m, outcomeOf(m));
      this.deps.metrics?.deliveries.inc({ destination: m.destination, outcome: m.state });
      if (m.state === 'delivered') this.deps.metrics?.deliveryLatency.observe({ destination: m.destination }, (Date.now() - new Date(m.createdAt).getTime()) / 1000);
    }
    await appendLogs(
      tx,
      after.map((m) => {
        const outcome = outcomeOf(m);
        return {
          direction: 'out',
          partnerId: m.partnerId,
          endpoint: destination.endpoint(sent.get(m.id)!),
          dossierCode: m.dossierCode ?? undefined,
          messageId: m.id,
          body: outcome.sentBody,
          signature: outcome.signature,
          outcome: m.state === 'delivered' ? 'delivered' : m.state === 'dead' ? 'dead' : 'failed',
          errorCode: outcome.result === 'delivered' ? undefined : outcome.error.slice(0, 200),
          attempt: m.attempts,
        };
      }),
    );
    const follow: { id: string; lane: Lane; delayMs?: number }[] = await nextInLines(tx, after.filter((m) => m.state === 'delivered'));
    // A sibling's own job may be gone already; its own job, if still queued, ignores this (same job id).
    for (const m of after) if (m.state === 'failed') follow.push({ id: m.id, lane: m.lane, delayMs: Math.max(0, m.nextAttemptAt.getTime() - Date.now()) });
    const notifications = after.flatMap((m) => (m.state === 'delivered' || m.state === 'dead' ? (this.notificationOf(m) ?? []) : []));
    await insertMessages(tx, notifications);
    follow.push(...notifications.map((n) => ({ id: n.id, lane: n.lane })));
    return { after, follow };
  }

  /** After the commit: the ready ones in one bulk add where the queue can, the delayed ones each. */
  private async enqueueFollowing(follow: { id: string; lane: Lane; delayMs?: number }[]): Promise<void> {
    await enqueueAfterCommit(this.deps.queue, follow, this.deps.logger);
  }

  /**
   * One line per delivery outcome for the operator: ids, attempt, outcome and the next attempt, never
   * the payload. The error text is the one the message log keeps (adapters strip personal data from it).
   */
  private logOutcome(after: RecordedMessage, outcome: ItemOutcome): void {
    const line = {
      event: 'delivery',
      messageId: after.id,
      destination: after.destination,
      lane: after.lane,
      attempt: after.attempts,
      outcome: after.state,
      ...(after.state === 'failed' ? { nextAttemptAt: after.nextAttemptAt.toISOString() } : {}),
      ...(outcome.result !== 'delivered' ? { errorCode: outcome.error.slice(0, 200) } : {}),
      ...(outcome.result === 'retry' && outcome.retryAfterMs !== undefined ? { partnerRetryAfterMs: outcome.retryAfterMs } : {}),
    };
    const level = after.state === 'delivered' ? 'info' : after.state === 'dead' ? 'error' : 'warn';
    this.deps.logger[level](line, `delivery ${after.state}`);
  }

  /** Tells the partner that sent the message what became of it, through its webhook, in order per dossier. */
  private notificationOf(message: RecordedMessage): NewMessage | undefined {
    if (message.destination === WEBHOOK || !message.dossierCode) return undefined;
    return partnerNotification(this.deps.registry, {
      partnerId: message.partnerId,
      kind: 'notification',
      dossierCode: message.dossierCode,
      line: message.dossierCode,
      lane: message.lane,
      traceparent: message.traceparent ?? undefined,
      payload: {
        type: message.state === 'delivered' ? 'delivery.succeeded' : 'delivery.failed',
        destination: message.destination,
        dossierCode: message.dossierCode,
        messageId: message.id,
        kind: message.kind,
        attempts: message.attempts,
        ...(message.outcomeNote ? { note: message.outcomeNote } : {}),
        ...(message.lastError && message.state === 'dead' ? { error: message.lastError } : {}),
        at: new Date().toISOString(),
      },
    });
  }
}

const UNREACHABLE_RETRY_MS = 250;

/** Runs fn again while it fails for want of a database connection, until `until` (ms since epoch). */
async function whileUnreachable<T>(until: number, fn: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await fn();
    } catch (error) {
      if (!isConnectionError(error) || Date.now() + UNREACHABLE_RETRY_MS >= until) throw error;
      await new Promise((resolve) => setTimeout(resolve, UNREACHABLE_RETRY_MS));
    }
  }
}
