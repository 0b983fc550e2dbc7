// BullMQ schedules deliveries; it is not the record of them. A job carries only a message id, and
// BullMQ deduplicates on it while the job is not finished, so enqueueing twice, or re-enqueueing after
// Redis lost everything, is harmless. Finished jobs are kept for a while (not deduplicated any more)
// so that the queue dashboard shows recent work; a replay or a retry then gets a new job.
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Enqueuer } from '../delivery/enqueuer.js';
import type { Lane } from '../store/messages.js';
import { jobsPerCall } from '../delivery/jobs-per-call.js';
import { BULLMQ_CONNECTION_OPTIONS } from '../infra/redis-settings.js';

export const LANE_QUEUES: Record<Lane, string> = { live: 'deliveries-live', bulk: 'deliveries-bulk' };

/** An hour of finished jobs, at most a thousand per lane: enough to watch, bounded in Redis memory. */
export const KEPT_FINISHED_JOBS = { age: 3600, count: 1000 };

export interface DeliveryJob {
  messageId: string;
}

export class DeliveryQueues implements Enqueuer {
  readonly queues: Record<Lane, Queue<DeliveryJob>>;

  /** callSize: how many messages of one batch key a call carries (DELIVERY_BATCH_SIZE). */
  constructor(
    connection: Redis,
    prefix: string,
    private readonly callSize = 1,
  ) {
    const options = {
      connection,
      prefix,
      ...BULLMQ_CONNECTION_OPTIONS,
      defaultJobOptions: { removeOnComplete: KEPT_FINISHED_JOBS, removeOnFail: KEPT_FINISHED_JOBS, attempts: 1 },
    };
    this.queues = { live: new Queue(LANE_QUEUES.live, options), bulk: new Queue(LANE_QUEUES.bulk, options) };
  }

  async enqueue(id: string, lane: Lane, delayMs = 0): Promise<void> {
    await this.queues[lane].add('deliver', { messageId: id }, { deduplication: { id }, ...(delayMs > 0 ? { delay: delayMs } : {}) });
  }

  /** Messages committed together: one job per call their batches need (src/delivery/jobs-per-call.ts). */
  async enqueueMany(all: readonly { id: string; lane: Lane; batch?: string }[]): Promise<void> {
    const messages = jobsPerCall(all, this.callSize);
    await Promise.all(
      (['live', 'bulk'] as const).map(async (lane) => {
        const jobs = messages.filter((m) => m.lane === lane).map((m) => ({ name: 'deliver', data: { messageId: m.id }, opts: { deduplication: { id: m.id } } }));
        if (jobs.length > 0) await this.queues[lane].addBulk(jobs);
      }),
    );
  }

  async depth(): Promise<Record<Lane, Record<string, number>>> {
    const counts = async (q: Queue) => q.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
    return { live: await counts(this.queues.live), bulk: await counts(this.queues.bulk) };
  }

  async close(): Promise<void> {
    await Promise.all([this.queues.live.close(), this.queues.bulk.close()]);
  }
}
