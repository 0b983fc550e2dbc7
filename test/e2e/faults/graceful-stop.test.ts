// The gateway process stopped with SIGTERM while partners send and deliveries are in flight: it stops
// accepting (503 or a refused connection, never a 202 it drops), finishes its requests and
// deliveries, leaves no lease behind and exits 0 before its own 30 s limit; a new process on the same
// port delivers the rest.
import { inject } from 'vitest';
import { describe, expect, it } from 'vitest';
import { gracefulStop } from '../../support/fault-scenarios.js';

describe('gateway stopped with SIGTERM under load', () => {
  it('shuts down gracefully and, restarted, delivers every accepted message exactly once', { timeout: 150_000 }, async () => {
    const result = await gracefulStop({ dossiers: 40, concurrency: 4, postgresAdminUrl: inject('postgresUrl'), deliveryTimeoutMs: 60_000 });
    expect(result.facts, JSON.stringify(result.facts)).toMatchObject({ exitCode: 0, exitSignal: null, leasedAtExit: 0 });
    expect(result.facts.openAtExit, 'work was left for the next process').toBeGreaterThan(0);
    expect(Object.keys(result.counts.answers).filter((a) => /^\d+$/.test(a) && a !== '202' && a !== '503')).toEqual([]);
    expect(result, JSON.stringify(result.facts)).toMatchObject({ complete: true, counts: { accepted: 80, delivered: 80, duplicates: 0, lost: 0 } });
    expect(result.messagesByState).toEqual({ delivered: 80 });
  });
});
