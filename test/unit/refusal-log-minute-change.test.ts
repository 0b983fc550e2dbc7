// Refusals that arrive together just after a minute turns: the first one writes the summary of the
// minute that is over, and the others must not each open a bucket of their own for the new minute.
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RefusalLog, UNLOGGED_REFUSALS_ENDPOINT } from '../../src/audit/refusal-log.js';
import { GatewayMetrics } from '../../src/observability/metrics.js';
import type { Db } from '../../src/store/db.js';

/** A database that only collects the message-log rows it is given, answering on a later turn like a real one. */
function collectingDb(): { db: Db; rows: { endpoint: string; attempt: number | null }[] } {
  const rows: { endpoint: string; attempt: number | null }[] = [];
  const query = async (sql: string, params: unknown[] = []) => {
    await new Promise((resolve) => setImmediate(resolve));
    // appendLogs passes one array per column: $3 the endpoints, $9 the attempts.
    if (/INSERT INTO message_log/.test(sql)) {
      const [endpoints, attempts] = [params[2] as string[], params[8] as (number | null)[]];
      endpoints.forEach((endpoint, i) => rows.push({ endpoint, attempt: attempts[i] ?? null }));
    }
    return [];
  };
  return { db: { query } as unknown as Db, rows };
}

afterEach(() => vi.useRealTimers());

describe('refusal sampling across a minute boundary', () => {
  it('records at most the per-minute sample of the new minute when many refusals arrive at once as it begins', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-12-03T10:00:59.000Z'));
    const { db, rows } = collectingDb();
    const log = new RefusalLog(db, new GatewayMetrics(), 5, pino({ level: 'silent' }));
    const refusal = { source: 'provider:vnpay', partnerId: undefined, endpoint: 'POST /x', errorCode: 'invalid-signature' };
    await Promise.all(Array.from({ length: 20 }, () => log.record(refusal)));
    vi.setSystemTime(new Date('2026-12-03T10:01:00.500Z'));
    await Promise.all(Array.from({ length: 20 }, () => log.record(refusal)));
    await log.flush(true);
    const oneByOne = rows.filter((r) => r.endpoint === 'POST /x').length;
    const summaries = rows.filter((r) => r.endpoint === UNLOGGED_REFUSALS_ENDPOINT);
    expect(oneByOne).toBe(10);
    expect(summaries).toHaveLength(2);
    // Every refusal is accounted for: one by one, or in a summary's count.
    expect(oneByOne + summaries.reduce((n, r) => n + (r.attempt ?? 0), 0)).toBe(40);
  });
});
