// A flood of refusals must not grow the message log without bound: per source (partner, or address
// when unauthenticated) and code, the first refusals of each minute are recorded one by one; the rest
// are counted (lgsp_refusals_unlogged_total) and summarised by one record when the minute is over.
import type { Logger } from 'pino';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { Db } from '../store/db.js';
import { appendLog } from './message-log.js';

export interface Refusal {
  /** Who is refused: the partner id, or `address:<ip>` before authentication. Never logged. */
  source: string;
  partnerId: string | undefined;
  endpoint: string;
  dossierCode?: string | undefined;
  errorCode: string;
}

/** The source of a refusal: the partner when it is known, else the address the call came from. */
export function refusalSource(partnerId: string | undefined, address: string): string {
  return partnerId ?? `address:${address}`;
}

/** The endpoint of a summary record; its `attempt` holds how many refusals it stands for. */
export const UNLOGGED_REFUSALS_ENDPOINT = 'refusals-unlogged';

interface Bucket {
  minute: number;
  partnerId: string | undefined;
  code: string;
  logged: number;
  unlogged: number;
}

/** Past this many sources in one minute, new ones share one bucket per code (a spray from many addresses). */
const MAX_TRACKED = 10_000;

export class RefusalLog {
  readonly #buckets = new Map<string, Bucket>();
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Db,
    private readonly metrics: GatewayMetrics,
    private readonly perMinute: number,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.#timer = setInterval(() => void this.flush().catch((err) => this.logger.warn({ err: { message: (err as Error).message } }, 'could not summarise refusals')), 60_000);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush(true);
  }

  /** Records a refusal; a record that cannot be written is warned about, never turned into a different answer. */
  async recordOrWarn(refusal: Refusal, log: Pick<Logger, 'warn'>): Promise<void> {
    await this.record(refusal).catch((err) => log.warn({ err: { message: (err as Error).message } }, 'could not log a refusal'));
  }

  async record(refusal: Refusal): Promise<void> {
    this.metrics.refusals.inc({ code: refusal.errorCode });
    const minute = Math.floor(Date.now() / 60_000);
    let key = `${refusal.source}|${refusal.errorCode}`;
    let bucket = this.#buckets.get(key);
    if (bucket && bucket.minute !== minute) {
      this.#buckets.delete(key);
      await this.#summarise(bucket);
      // Refusals arriving while the summary was written may have opened this minute's bucket already.
      bucket = this.#buckets.get(key);
    }
    if (!bucket && this.#buckets.size >= MAX_TRACKED) {
      key = `*|${refusal.errorCode}`;
      bucket = this.#buckets.get(key);
    }
    if (!bucket) {
      bucket = { minute, partnerId: key.startsWith('*|') ? undefined : refusal.partnerId, code: refusal.errorCode, logged: 0, unlogged: 0 };
      this.#buckets.set(key, bucket);
    }
    if (bucket.logged < this.perMinute) {
      bucket.logged += 1;
      await appendLog(this.db, { direction: 'in', partnerId: refusal.partnerId, endpoint: refusal.endpoint, dossierCode: refusal.dossierCode, outcome: 'refused', errorCode: refusal.errorCode });
      return;
    }
    bucket.unlogged += 1;
    this.metrics.refusalsUnlogged.inc({ code: refusal.errorCode });
  }

  /** Summarises the minutes that are over (or, on stop, every bucket). */
  async flush(everything = false): Promise<void> {
    const minute = Math.floor(Date.now() / 60_000);
    for (const [key, bucket] of this.#buckets) {
      if (!everything && bucket.minute === minute) continue;
      this.#buckets.delete(key);
      await this.#summarise(bucket);
    }
  }

  async #summarise(bucket: Bucket): Promise<void> {
    if (bucket.unlogged === 0) return;
    await appendLog(this.db, {
      direction: 'in',
      partnerId: bucket.partnerId,
      endpoint: UNLOGGED_REFUSALS_ENDPOINT,
      outcome: 'refused',
      errorCode: bucket.code,
      attempt: bucket.unlogged,
    });
  }
}
