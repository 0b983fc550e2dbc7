// After an acceptance commits, its messages go to the queue. The answer stands even if Redis is down:
// the messages are committed and the sweeper will queue them.
import type { FastifyBaseLogger } from 'fastify';
import type { Enqueuer } from '../delivery/processor.js';
import type { Accepted } from './accept.js';

export async function enqueueAccepted(queue: Enqueuer, accepted: Accepted, log: FastifyBaseLogger): Promise<void> {
  for (const m of accepted.enqueue) {
    await queue.enqueue(m.id, m.lane).catch((err) => log.warn({ err: { message: (err as Error).message }, messageId: m.id }, 'enqueue failed; the sweeper will retry'));
  }
}
