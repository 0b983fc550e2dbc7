// One delivery attempt for a queued message id: claim it (and siblings that can share its call),
// deliver, and record each outcome with its message-log record in one transaction. The database
// decides everything; the queue only says "look at this id now".
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { appendLog } from '../audit/message-log.js';
import type { Config } from '../config/config.js';
import type { PartnerRegistry } from '../partners/registry.js';
import type { Db, Queryable } from '../store/db.js';
import { claimBatch, insertMessage, markDelivered, markFailed, nextInLine, releaseLease, type Lane, type OutboundMessage } from '../store/messages.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import { isConnectionError } from '../store/connection-errors.js';
import { retryDelayMs } from './backoff.js';
import type { Destination, ItemOutcome } from './destination.js';

export const WEBHOOK = 'webhook';

export interface Enqueuer {
  enqueue(id: string, lane: Lane, delayMs?: number): Promise<void>;
}

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
    // Most jobs under load are for messages that already went out as another job's batch sibling, or
    // are in flight in one: a plain read settles those without a claim transaction. A message leased
    // by a worker that then dies comes back through the sweeper once its lease runs out.
    const [head] = await db.query<{ destination: string; open: boolean; leased: boolean }>(
      `SELECT destination, state IN ('pending', 'failed') AS open, coalesce(lease_until > now(), false) AS leased FROM messages WHERE id = $1`,
      [messageId],
    );
    const destination = head?.open && !head.leased ? this.deps.destinations.get(head.destination) : undefined;
    if (!destination) return { kind: 'done' };
    // Taken before the claim, so never later than the lease the database grants.
    const leaseEnds = Date.now() + delivery.leaseMs;
    const claim = await claimBatch(db, messageId, destination.maxBatch === 1 ? 1 : Math.min(destination.maxBatch, delivery.batchSize), delivery.leaseMs);
    if (claim.status === 'later') return { kind: 'later', at: claim.at };
    if (claim.status !== 'claimed') return { kind: 'done' };

    let outcomes: Map<string, ItemOutcome>;
    try {
      await beforeCall?.();
      outcomes = await destination.deliver(claim.messages);
    } catch (error) {
      // A destination bug must not strand the batch under a lease; every item becomes a retry.
      this.deps.logger.error({ err: error, messageId }, 'destination threw; batch will be retried');
      outcomes = new Map(claim.messages.map((m) => [m.id, { result: 'retry', error: 'internal error in the gateway' } as ItemOutcome]));
    }
    let follow: { id: string; lane: Lane; delayMs?: number }[] = [];
    let own: ProcessResult = { kind: 'done' };
    // The calls were made: a database that blinks now must not make us forget their outcome, or the
    // sweeper would send them again. Retry while our lease still keeps other workers away.
    await whileUnreachable(leaseEnds, () =>
      db.transaction(async (tx) => {
        follow = [];
        own = { kind: 'done' };
        for (const message of claim.messages) {
          const outcome = outcomes.get(message.id) ?? { result: 'retry', error: 'no outcome reported for this item' };
          const after = await this.record(tx, destination, message, outcome, follow);
          if (message.id === messageId && after?.state === 'failed') own = { kind: 'later', at: after.nextAttemptAt };
        }
      }),
    );
    for (const next of follow) await this.deps.queue.enqueue(next.id, next.lane, next.delayMs).catch(() => {});
    return own;
  }

  /** Releases leases without counting an attempt (used when shutting down mid-claim). */
  release(ids: string[]): Promise<void> {
    return releaseLease(this.deps.db, ids);
  }

  private async record(
    tx: Queryable,
    destination: Destination,
    message: OutboundMessage,
    outcome: ItemOutcome,
    follow: { id: string; lane: Lane; delayMs?: number }[],
  ): Promise<OutboundMessage | undefined> {
    const { delivery } = this.deps;
    const after =
      outcome.result === 'delivered'
        ? await markDelivered(tx, message.id, outcome.note)
        : await markFailed(tx, message.id, outcome.error, {
            permanent: outcome.result === 'refused',
            maxAttempts: delivery.maxAttempts,
            giveUpAfterMs: delivery.giveUpAfterMs,
            delayMs: retryDelayMs(message.attempts + 1, delivery.backoffBaseMs, delivery.backoffMaxMs, outcome.result === 'retry' ? outcome.retryAfterMs : undefined),
          });
    if (!after) return undefined; // replayed or finished elsewhere meanwhile
    this.logOutcome(after, outcome);
    this.deps.metrics?.deliveries.inc({ destination: message.destination, outcome: after.state });
    if (after.state === 'delivered') {
      this.deps.metrics?.deliveryLatency.observe({ destination: message.destination }, (Date.now() - new Date(message.createdAt).getTime()) / 1000);
    }
    await appendLog(tx, {
      direction: 'out',
      partnerId: message.partnerId,
      endpoint: destination.endpoint(message),
      dossierCode: message.dossierCode ?? undefined,
      messageId: message.id,
      body: outcome.sentBody,
      signature: outcome.signature,
      outcome: after.state === 'delivered' ? 'delivered' : after.state === 'dead' ? 'dead' : 'failed',
      errorCode: outcome.result === 'delivered' ? undefined : outcome.error.slice(0, 200),
      attempt: after.attempts,
    });
    if (after.state === 'delivered') {
      const next = await nextInLine(tx, after);
      if (next) follow.push(next);
    } else if (after.state === 'failed') {
      // A sibling's own job may be gone already; its own job, if still queued, ignores this (same job id).
      follow.push({ id: after.id, lane: after.lane, delayMs: Math.max(0, after.nextAttemptAt.getTime() - Date.now()) });
    }
    if (after.state === 'delivered' || after.state === 'dead') {
      const notification = await this.notifyPartner(tx, after);
      if (notification) follow.push(notification);
    }
    return after;
  }

  /**
   * One line per delivery outcome for the operator: ids, attempt, outcome and the next attempt, never
   * the payload. The error text is the one the message log keeps (adapters strip personal data from it).
   */
  private logOutcome(after: OutboundMessage, outcome: ItemOutcome): void {
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
  private async notifyPartner(tx: Queryable, message: OutboundMessage): Promise<{ id: string; lane: Lane } | undefined> {
    if (message.destination === WEBHOOK || !message.dossierCode) return undefined;
    const partner = this.deps.registry.get(message.partnerId);
    if (!partner?.webhookUrl) return undefined;
    const id = randomUUID();
    await insertMessage(tx, {
      id,
      destination: WEBHOOK,
      kind: 'notification',
      partnerId: partner.id,
      dossierCode: message.dossierCode,
      orderKey: `${partner.id}|${message.dossierCode}`,
      lane: message.lane,
      batchKey: `${WEBHOOK}|${partner.id}`,
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
    return { id, lane: message.lane };
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
