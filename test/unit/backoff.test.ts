import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from '../../src/delivery/backoff.js';

describe('retry backoff', () => {
  it('doubles per attempt with half of each delay random, and never exceeds the ceiling', () => {
    expect(backoffDelayMs(1, 1000, 60_000, () => 0)).toBe(500);
    expect(backoffDelayMs(1, 1000, 60_000, () => 1)).toBe(1000);
    expect(backoffDelayMs(4, 1000, 60_000, () => 0)).toBe(4000);
    expect(backoffDelayMs(4, 1000, 60_000, () => 1)).toBe(8000);
    expect(backoffDelayMs(30, 1000, 60_000, () => 1)).toBe(60_000);
  });

  it('spreads retries of many messages instead of sending them in one wave', () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelayMs(3, 1000, 60_000)));
    expect(delays.size).toBeGreaterThan(25);
  });
});
