// Redis restarted under traffic without an append-only file: it comes back empty, every queued and
// delayed job forgotten. The sweeper re-queues the open messages from the database, and every
// accepted message still reaches the portal once.
import { inject } from 'vitest';
import { describe, expect, it } from 'vitest';
import { redisRestart } from '../../support/fault-scenarios.js';

describe('Redis restarted with appendonly no (queue state lost), under traffic', () => {
  it('re-queues from the database and delivers every accepted dossier and event exactly once', { timeout: 150_000 }, async () => {
    const result = await redisRestart({ dossiers: 40, concurrency: 4, postgresAdminUrl: inject('postgresUrl'), deliveryTimeoutMs: 60_000 }, false);
    expect(result.facts.openAtRestart, 'a backlog was queued when Redis went down').toBeGreaterThan(0);
    expect(result, JSON.stringify(result.facts)).toMatchObject({ complete: true, counts: { accepted: 80, delivered: 80, duplicates: 0, lost: 0 } });
    expect(result.messagesByState).toEqual({ delivered: 80 });
  });
});
