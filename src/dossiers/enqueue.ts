// After an acceptance commits, its messages go to the queue. The answer stands even if Redis is down:
// the messages are committed and the sweeper will queue them.
import type { FastifyBaseLogger } from 'fastify';
import type { Enqueuer } from '../delivery/enqueuer.js';
import type { Accepted } from './accept.js';

/** One bulk add for a whole group where the queue offers it (BullMQ addBulk), else one add per message. */
export async function enqueueAccepted(queue: Enqueuer, accepted: Accepted | readonly Accepted[], log: FastifyBaseLogger): Promise<void> {
  const messages = (Array.isArray(accepted) ? accepted : [accepted]).flatMap((a: Accepted) => a.enqueue);
  if (messages.length === 0) return;
  const failed = (err: unknown, messageIds: string[]) =>
    log.warn({ err: { message: (err as Error).message }, messageIds }, 'enqueue failed; the sweeper will retry');
  if (queue.enqueueMany) {
    await queue.enqueueMany(messages).catch((err) => failed(err, messages.map((m) => m.id)));
    return;
  }
  for (const m of messages) await queue.enqueue(m.id, m.lane).catch((err) => failed(err, [m.id]));
}
