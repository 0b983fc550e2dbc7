// A job says "look at this message's batch now" (src/delivery/processor.ts): a worker that finds the
// message taken claims open siblings of its batch instead. So messages committed together that one
// call can carry need one job per call, not one each: per dossier, the queue's round trips and the
// worker's look-up were most of the delivery's cost, and nearly every such job found its message
// already sent as another job's sibling.
import type { CommittedMessage } from './enqueue-after-commit.js';

/**
 * Keeps every message without a batch, and of the messages sharing a lane and batch, the first of
 * each run of `callSize`: enough jobs for every one of them to be claimed by some call.
 */
export function jobsPerCall<M extends CommittedMessage>(messages: readonly M[], callSize: number): M[] {
  const seen = new Map<string, number>();
  return messages.filter((m) => {
    if (m.batch === undefined || m.delayMs) return true;
    const key = `${m.lane}\u0000${m.batch}`;
    const n = seen.get(key) ?? 0;
    seen.set(key, n + 1);
    return n % callSize === 0;
  });
}
