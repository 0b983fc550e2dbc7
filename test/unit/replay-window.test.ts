// The time half of the replay rule (docs/callbacks.md), at its edges: a callback's own time may be up
// to the skew ahead of the gateway's clock and up to window + skew behind it.
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logging/logger.js';
import { ReplayGuard } from '../../src/callbacks/replay-guard.js';

// judgeTime never touches Redis; the memory half is tested end to end (test/e2e/hostile/replay.test.ts).
const guard = new ReplayGuard(undefined as unknown as Redis, 'test', { windowSeconds: 3600, clockSkewSeconds: 300 }, createLogger({ level: 'silent' }));
const now = new Date('2026-11-23T12:00:00Z');
const at = (seconds: number) => new Date(now.getTime() + seconds * 1000);

describe('the replay window', () => {
  it.each([
    ['now', 0, 'in-window'],
    ['exactly the skew ahead', 300, 'in-window'],
    ['one second past the skew ahead', 301, 'in-future'],
    ['exactly window + skew behind', -3900, 'in-window'],
    ['one second older than window + skew', -3901, 'too-old'],
  ] as const)('judges a time %s as %s', (_what, seconds, verdict) => {
    expect(guard.judgeTime(at(seconds), now)).toBe(verdict);
  });
});
