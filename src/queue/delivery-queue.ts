// BullMQ schedules deliveries; it is not the record of them. A job carries only a message id and its
// job id IS the message id, so enqueueing twice, or re-enqueueing after Redis lost everything, is harmless.
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Enqueuer } from '../delivery/processor.js';
import type { Lane } from '../store/messages.js';

export const LANE_QUEUES: Record<Lane, string> = { live: 'deliveries-live', bulk: 'deliveries-bulk' };

export interface DeliveryJob {
  messageId: string;
}

export class DeliveryQueues implements Enqueuer {
  readonly queues: Record<Lane, Queue<DeliveryJob>>;

  constructor(connection: Redis, prefix: string) {
    const options = {
      connection,
      prefix,
      defaultJobOptions: { removeOnComplete: true, removeOnFail: true, attempts: 1 },
    };
    this.queues = { live: new Queue(LANE_QUEUES.live, options), bulk: new Queue(LANE_QUEUES.bulk, options) };
  }

  async enqueue(id: string, lane: Lane, delayMs = 0): Promise<void> {
    await this.queues[lane].add('deliver', { messageId: id }, { jobId: id, ...(delayMs > 0 ? { delay: delayMs } : {}) });
  }

  async enqueueMany(messages: readonly { id: string; lane: Lane }[]): Promise<void> {
    await Promise.all(
      (['live', 'bulk'] as const).map(async (lane) => {
        const jobs = messages.filter((m) => m.lane === lane).map((m) => ({ name: 'deliver', data: { messageId: m.id }, opts: { jobId: m.id } }));
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
