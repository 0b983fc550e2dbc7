// Once messages are committed, they go to the queue. The caller's answer stands even if Redis is down:
// the rows are in the database and the sweeper queues them later, so a failure here is logged, never thrown.
import type { Lane } from '../store/messages.js';
import type { Enqueuer } from './enqueuer.js';

export interface CommittedMessage {
  id: string;
  lane: Lane;
  /** A follow-up that must wait (a held message's next attempt). */
  delayMs?: number;
  /** The batch key of a message that may share its call with others of the same key (src/delivery/jobs-per-call.ts). */
  batch?: string;
}

/** Both pino's Logger and Fastify's request.log fit. */
export interface WarnLog {
  warn(details: object, message: string): void;
}

/** One bulk add for the messages due now where the queue offers it (BullMQ addBulk), else one add each. */
export async function enqueueAfterCommit(queue: Enqueuer, messages: readonly CommittedMessage[], log: WarnLog): Promise<void> {
  const failed = (err: unknown, messageIds: string[]) =>
    log.warn({ err: { message: (err as Error).message }, messageIds }, 'enqueue failed; the sweeper will retry');
  const now = messages.filter((m) => !m.delayMs);
  const later = messages.filter((m) => m.delayMs);
  if (queue.enqueueMany && now.length > 1) await queue.enqueueMany(now).catch((err) => failed(err, now.map((m) => m.id)));
  else for (const m of now) await queue.enqueue(m.id, m.lane).catch((err) => failed(err, [m.id]));
  for (const m of later) await queue.enqueue(m.id, m.lane, m.delayMs).catch((err) => failed(err, [m.id]));
}
