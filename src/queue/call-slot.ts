// The bulk lane's pace toward the portal: one call per interval across every worker process, kept
// as a Redis key that lives for the interval. It is taken just before a call goes out, so the many
// jobs that find their message already sent as another job's batch sibling cost nothing; BullMQ's
// own limiter counted those too and held a re-sync to a few dossiers a second.
import type { Redis } from 'ioredis';

export function callSlot(redis: Redis, key: string, callsPerSecond: number): () => Promise<void> {
  const intervalMs = Math.max(1, Math.floor(1000 / callsPerSecond));
  return async () => {
    for (;;) {
      if (await redis.set(key, '1', 'PX', intervalMs, 'NX')) return;
      const wait = await redis.pttl(key);
      await new Promise((resolve) => setTimeout(resolve, Math.max(1, wait)));
    }
  };
}
