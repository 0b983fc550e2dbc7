// A partner's Retry-After is read as seconds or an HTTP-date and honoured within the backoff's limits.
import { describe, expect, it } from 'vitest';
import { retryAfterMs } from '../../src/core/retry-after.js';
import { retryDelayMs } from '../../src/delivery/backoff.js';

describe('Retry-After', () => {
  const now = Date.parse('2026-01-05T08:00:00Z');

  it('reads delay-seconds and HTTP-dates, and nothing else', () => {
    expect(retryAfterMs('60', now)).toBe(60_000);
    expect(retryAfterMs(['120'], now)).toBe(120_000);
    expect(retryAfterMs('Mon, 05 Jan 2026 08:01:30 GMT', now)).toBe(90_000);
    expect(retryAfterMs('Mon, 05 Jan 2026 07:00:00 GMT', now)).toBe(0);
    for (const bad of [undefined, '', 'soon', '-5', '1.5', 'Monday']) expect(retryAfterMs(bad, now)).toBeUndefined();
  });

  it('waits at least as long as the partner asked, never beyond the backoff ceiling', () => {
    const fixed = () => 0;
    expect(retryDelayMs(1, 1000, 300_000, undefined, fixed)).toBe(500);
    expect(retryDelayMs(1, 1000, 300_000, 60_000, fixed)).toBe(60_000);
    expect(retryDelayMs(1, 1000, 30_000, 60_000, fixed)).toBe(30_000);
    expect(retryDelayMs(8, 1000, 300_000, 100, fixed)).toBe(64_000);
  });
});
