// The national portal down for longer than all the retries a message gets (the hour of the issue,
// scaled down: answering 503, then refusing connections), then back on the same address. Nothing is
// dead-lettered for it: every accepted message reaches the portal once when it returns.
import { inject } from 'vitest';
import { describe, expect, it } from 'vitest';
import { partnerOutage } from '../../support/fault-scenarios.js';

describe('national portal down, then back', () => {
  it('keeps retrying past DELIVERY_MAX_ATTEMPTS and delivers every accepted message exactly once', { timeout: 210_000 }, async () => {
    const result = await partnerOutage({ dossiers: 30, concurrency: 4, postgresAdminUrl: inject('postgresUrl'), deliveryTimeoutMs: 60_000 }, 6_000);
    expect(result.facts.answered503, 'the portal answered 503 during the outage').toBeGreaterThan(0);
    // The outage outlasted the retry budget: without the age condition these messages would be dead.
    expect(result.facts.mostAttemptsOfAnOpenMessage).toBeGreaterThanOrEqual(result.facts.maxAttempts as number);
    expect(result, JSON.stringify(result.facts)).toMatchObject({ complete: true, counts: { accepted: 60, delivered: 60, duplicates: 0, lost: 0 } });
    expect(result.messagesByState).toEqual({ delivered: 60 });
  });
});
