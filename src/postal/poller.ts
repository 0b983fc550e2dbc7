// Polling the operator for open shipments, on a short interval, through BullMQ: each poll is a job
// (retried with backoff when the operator is unavailable) whose id names the shipment and the time
// slot, so that two gateway instances scheduling the same slot make one poll.
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Enqueuer } from '../delivery/enqueuer.js';
import type { AcceptContext } from '../dossiers/accept.js';
import { BULLMQ_CONNECTION_OPTIONS } from '../infra/redis-settings.js';
import type { PartnerRegistry } from '../partners/registry.js';
import type { Db } from '../store/db.js';
import type { PostalOperator } from './operator.js';
import { applyReports } from './reports.js';
import { settleReports } from './settle.js';
import { openShipments } from './store.js';

const QUEUE = 'postal-track';

interface TrackJob {
  shipmentId: string;
  orderNumber: string;
}

export class PostalPoller {
  private readonly queue: Queue<TrackJob>;
  private readonly worker: Worker<TrackJob>;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    connection: Redis,
    prefix: string,
    private readonly db: Db,
    registry: PartnerRegistry,
    accept: AcceptContext,
    operator: PostalOperator,
    private readonly intervalMs: number,
    queue: Enqueuer,
    private readonly logger: Logger,
  ) {
    this.queue = new Queue(QUEUE, { connection, prefix, ...BULLMQ_CONNECTION_OPTIONS, defaultJobOptions: { removeOnComplete: true, removeOnFail: true, attempts: 4, backoff: { type: 'exponential', delay: 2_000 } } });
    this.worker = new Worker<TrackJob>(
      QUEUE,
      async (job) => {
        const answer = await operator.track(job.data.orderNumber);
        if (answer.kind !== 'ok') throw new Error(`postal operator unavailable: ${answer.reason}`);
        const result = await applyReports(db, registry, job.data.orderNumber, answer.events, 'poll', {
          direction: 'in',
          partnerId: undefined,
          endpoint: 'postal:track',
          body: Buffer.from(JSON.stringify(answer.events)),
          outcome: 'accepted',
        });
        if (result) await settleReports(result, { db, registry, accept, queue, logger });
      },
      { connection, prefix, autorun: false, concurrency: 4, ...BULLMQ_CONNECTION_OPTIONS },
    );
    this.worker.on('error', (err) => logger.warn({ err: { message: err.message } }, 'postal poll worker error'));
  }

  start(): void {
    void this.worker.run();
    this.timer = setInterval(() => void this.schedule().catch((err) => this.logger.warn({ err: { message: (err as Error).message } }, 'postal poll scheduling failed')), this.intervalMs);
    this.timer.unref();
  }

  /** Queues one poll per open shipment for the current time slot; answers how many. */
  async schedule(now = Date.now()): Promise<number> {
    const open = await openShipments(this.db);
    const slot = Math.floor(now / this.intervalMs);
    for (const s of open) await this.queue.add('track', { shipmentId: s.id, orderNumber: s.order_number }, { jobId: `track:${s.id}:${slot}` });
    return open.length;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.worker.close();
    await this.queue.close();
  }
}
