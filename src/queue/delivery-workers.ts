// The BullMQ workers of the two lanes. Live traffic has its own concurrency; the bulk lane (a year of
// dossiers re-synced at go-live) is held to a fixed rate of calls so that it never crowds the portal
// (src/queue/call-slot.ts).
import { DelayedError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { DeliveryProcessor } from '../delivery/processor.js';
import { BULLMQ_CONNECTION_OPTIONS } from '../infra/redis-settings.js';
import { callSlot } from './call-slot.js';
import { LANE_QUEUES, type DeliveryJob } from './delivery-queue.js';

export class DeliveryWorkers {
  private readonly workers: Worker<DeliveryJob>[];

  constructor(connection: Redis, prefix: string, processor: DeliveryProcessor, delivery: Config['delivery'], logger: Logger) {
    const run = (beforeCall?: () => Promise<void>) => async (job: Job<DeliveryJob>, token?: string) => {
      const result = await processor.process(job.data.messageId, beforeCall);
      if (result.kind === 'later') {
        await job.moveToDelayed(Math.max(Date.now(), result.at.getTime()) + 10, token);
        throw new DelayedError();
      }
    };
    // A killed worker's active jobs come back after the lock runs out; tie that to the lease so the
    // job and the database lease expire together.
    const lockDuration = Math.max(2000, Math.min(30_000, delivery.leaseMs));
    const common = { connection, prefix, autorun: false, lockDuration, stalledInterval: lockDuration, ...BULLMQ_CONNECTION_OPTIONS };
    this.workers = [
      new Worker<DeliveryJob>(LANE_QUEUES.live, run(), { ...common, concurrency: delivery.liveConcurrency }),
      new Worker<DeliveryJob>(LANE_QUEUES.bulk, run(callSlot(connection, `${prefix}:call-slot:${LANE_QUEUES.bulk}`, delivery.bulkCallsPerSecond)), { ...common, concurrency: 1 }),
    ];
    for (const worker of this.workers) {
      worker.on('error', (err) => logger.warn({ err: { message: err.message } }, 'delivery worker error'));
    }
  }

  start(): void {
    for (const worker of this.workers) void worker.run();
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
  }
}
