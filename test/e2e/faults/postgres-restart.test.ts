// PostgreSQL, the system of record, stopped under traffic and started again (a private cluster, so
// the other tests keep theirs). While it is down the API answers 503 and acknowledges nothing; the
// partner retries; delivery resumes; every message answered 202 reaches the portal once. Deliveries
// in flight when it stops are recorded after it is back (the worker keeps its lease and retries the
// record): without that, each run here saw 4-5 progress items reach the portal twice.
import { describe, expect, it } from 'vitest';
import { postgresRestart } from '../../support/fault-scenarios.js';

describe('PostgreSQL restarted under traffic', () => {
  it('answers 503 while it is down, never a 202 it cannot keep, and delivers every accepted message exactly once', { timeout: 170_000 }, async () => {
    const result = await postgresRestart({ dossiers: 40, concurrency: 4, deliveryTimeoutMs: 60_000 });
    const whileDown = result.facts.answersWhileDown as Record<string, number>;
    expect(whileDown['503'], JSON.stringify(whileDown)).toBeGreaterThanOrEqual(5);
    // 202, 503 or a retried connection error: never a 500.
    expect(Object.keys(result.counts.answers).filter((a) => /^\d+$/.test(a) && a !== '202' && a !== '503')).toEqual([]);
    expect(result, JSON.stringify(result.facts)).toMatchObject({ complete: true, counts: { accepted: 80, delivered: 80, duplicates: 0, lost: 0 } });
    expect(result.messagesByState).toEqual({ delivered: 80 });
  });
});
