// The delivery queues against a real redis-server that evicts (allkeys-lru): nothing printed on the
// console (the gateway's own check logs the setting through pino), a message queued twice is one job,
// and finished jobs stay visible for a while, while a later enqueue of the same message is a new job.
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DeliveryProcessor } from '../../src/delivery/processor.js';
import { DeliveryQueues, KEPT_FINISHED_JOBS } from '../../src/queue/delivery-queue.js';
import { DeliveryWorkers } from '../../src/queue/delivery-workers.js';
import { eventually } from '../support/gateway.js';
import { startOwnRedis, type OwnRedis } from '../support/services.js';

describe('delivery queues', () => {
  let redis: OwnRedis;
  let connection: Redis;
  let queues: DeliveryQueues;
  let workers: DeliveryWorkers;
  const processed: string[] = [];
  const printed = vi.fn();

  beforeAll(async () => {
    redis = await startOwnRedis();
    connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    await connection.config('SET', 'maxmemory-policy', 'allkeys-lru');
    for (const method of ['log', 'info', 'warn', 'error'] as const) vi.spyOn(console, method).mockImplementation(printed);
    queues = new DeliveryQueues(connection, 'test-queue');
    const processor = { process: async (id: string) => (processed.push(id), { kind: 'done' }) } as unknown as DeliveryProcessor;
    const delivery = { leaseMs: 3000, liveConcurrency: 2, bulkCallsPerSecond: 5 } as never;
    workers = new DeliveryWorkers(connection, 'test-queue', processor, delivery, pino({ level: 'silent' }));
  });
  afterAll(async () => {
    await workers?.close();
    await queues?.close();
    connection?.disconnect();
    await redis?.dispose();
    vi.restoreAllMocks();
  });

  it('queues a message once however often it is offered, keeps the finished job, and takes the message again later', async () => {
    await queues.enqueue('m-1', 'live');
    await queues.enqueue('m-1', 'live');
    expect((await queues.queues.live.getJobCounts('waiting')).waiting).toBe(1);
    workers.start();
    await eventually(async () => (await queues.queues.live.getJobCounts('completed')).completed === 1, 'the job completes');
    expect(processed).toEqual(['m-1']);
    await queues.enqueue('m-1', 'live');
    await eventually(async () => (await queues.queues.live.getJobCounts('completed')).completed === 2, 'a replay is a new job');
    expect(processed).toEqual(['m-1', 'm-1']);
    const [job] = await queues.queues.live.getJobs(['completed'], 0, 0);
    expect(job!.opts.removeOnComplete).toEqual(KEPT_FINISHED_JOBS);
  });

  it('prints nothing on the console, though Redis may evict', () => {
    expect(printed).not.toHaveBeenCalled();
  });
});
