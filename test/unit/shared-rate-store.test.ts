// The rate-limit store that counts locally and settles with Redis: its arithmetic against an
// in-memory shared counter (a fixed window per key that expires on an injected clock, as Redis's
// PTTL does), syncs called explicitly, no timers.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SharedRateCounts, sharedRateStore, type CounterPush, type CounterState, type SharedCounter } from '../../src/plugins/shared-rate-store.js';

class Clock {
  t = 1_000_000;
  now = () => this.t;
}

/** Redis's side: INCRBY, then PEXPIRE on a new key; every call recorded. */
class MemoryCounter implements SharedCounter {
  readonly counts = new Map<string, { count: number; expiresAt: number }>();
  readonly calls: CounterPush[][] = [];
  down = false;
  constructor(private readonly clock: Clock) {}

  add(pushes: readonly CounterPush[]): Promise<CounterState[]> {
    this.calls.push([...pushes]);
    if (this.down) return Promise.reject(new Error('Connection is closed.'));
    // Applied when called, answered later, as a command runs on the server before its reply arrives.
    const states = pushes.map(({ key, increment, timeWindow }) => {
      let slot = this.counts.get(key);
      if (!slot || this.clock.t >= slot.expiresAt) this.counts.set(key, (slot = { count: 0, expiresAt: this.clock.t + timeWindow }));
      slot.count += increment;
      return { count: slot.count, ttl: slot.expiresAt - this.clock.t };
    });
    return Promise.resolve(states);
  }

  total(key: string): number {
    return this.counts.get(key)?.count ?? 0;
  }
}

interface Answer {
  current: number;
  ttl: number;
}

const request = (counts: SharedRateCounts, key: string, max: number, timeWindow = 60_000): Promise<Answer> =>
  new Promise((resolve, reject) => counts.incr(key, (error, result) => (error ? reject(error) : resolve(result!)), timeWindow, max));

const admitted = (answer: Answer, max: number) => answer.current <= max;

function setUp(options: { syncShare?: number; maxKeys?: number } = {}) {
  const clock = new Clock();
  const counter = new MemoryCounter(clock);
  const instance = () => new SharedRateCounts({ counter, syncIntervalMs: 0, now: clock.now, ...options });
  return { clock, counter, instance };
}

describe('one instance', () => {
  it('pushes the first request with the read, then admits exactly max without a round trip per request, and refuses the next', async () => {
    const { counter, instance } = setUp({ syncShare: 0.5 });
    const counts = instance();
    const answers: Answer[] = [];
    for (let i = 0; i < 3; i++) answers.push(await request(counts, 'partner:a', 4));
    // The first request went to Redis with the read (its total decided it); the next two were local.
    expect(counter.calls).toEqual([[{ key: 'partner:a', increment: 1, timeWindow: 60_000 }]]);
    // Two unpushed (the batch, 0.5 × 4): the fourth waits for a push of them, then is admitted.
    answers.push(await request(counts, 'partner:a', 4));
    expect(counter.calls).toEqual([[{ key: 'partner:a', increment: 1, timeWindow: 60_000 }], [{ key: 'partner:a', increment: 2, timeWindow: 60_000 }]]);
    expect(answers.map((a) => a.current)).toEqual([1, 2, 3, 4]);
    // Spent: refused at once, without asking Redis, and not counted.
    expect((await request(counts, 'partner:a', 4)).current).toBe(5);
    expect(counter.calls).toHaveLength(2);
    await counts.sync();
    expect(counter.total('partner:a')).toBe(4);
  });

  it('costs a key seen once a window one round trip, as the stock store did, not a read and a push', async () => {
    const { counter, instance } = setUp({ syncShare: 0.5 });
    const counts = instance();
    for (let i = 0; i < 50; i++) expect((await request(counts, `address:${i}`, 10)).current).toBe(1);
    await counts.sync();
    expect(counter.calls).toHaveLength(50);
  });

  it('answers the time left in the window Redis keeps, so x-ratelimit-reset and retry-after stay right', async () => {
    const { clock, instance } = setUp({ syncShare: 0.5 });
    const counts = instance();
    expect((await request(counts, 'k', 2, 10_000)).ttl).toBe(10_000);
    clock.t += 4_000;
    expect((await request(counts, 'k', 2, 10_000)).ttl).toBe(6_000);
    clock.t += 1_500;
    const refused = await request(counts, 'k', 2, 10_000);
    expect(refused).toEqual({ current: 3, ttl: 4_500 });
  });

  it('starts a new window when the old one ends, and drops the ended entry at the next sync', async () => {
    const { clock, counter, instance } = setUp({ syncShare: 0.5 });
    const counts = instance();
    for (let i = 0; i < 2; i++) await request(counts, 'k', 2, 10_000);
    expect((await request(counts, 'k', 2, 10_000)).current).toBe(3);
    clock.t += 10_000;
    expect((await request(counts, 'k', 2, 10_000)).current).toBe(1);
    await counts.sync();
    expect(counter.total('k')).toBe(1);
    clock.t += 10_000;
    await counts.sync();
    expect(counts.size).toBe(0);
  });

  it('counts a budget too small to batch in Redis on every request, as the stock store does', async () => {
    const { counter, instance } = setUp({ syncShare: 0.01 });
    const counts = instance();
    const answers: Answer[] = [];
    for (let i = 0; i < 4; i++) answers.push(await request(counts, 'address:1', 3));
    expect(answers.map((a) => a.current)).toEqual([1, 2, 3, 4]);
    expect(counter.calls.map((call) => call.map((p) => p.increment))).toEqual([[1], [1], [1], [1]]);
  });

  it('keys per-route limits apart by method and URL, as RedisStore does', async () => {
    const { counter, instance } = setUp();
    const Store = sharedRateStore(instance());
    const child = new Store({}).child({ routeInfo: { method: 'POST', url: '/v1/dossiers' } } as never);
    await new Promise((resolve) => child.incr('partner:a', resolve, 60_000, 1));
    expect(counter.calls[0]![0]!.key).toBe('POST/v1/dossiers-partner:a');
  });
});

describe('several instances', () => {
  it('refuses once the shared total reaches max after a sync, wherever the requests went', async () => {
    const { instance } = setUp({ syncShare: 0.1 });
    const [a, b] = [instance(), instance()];
    for (let i = 0; i < 6; i++) expect(admitted(await request(a, 'k', 10), 10)).toBe(true);
    await a.sync();
    for (let i = 0; i < 4; i++) expect(admitted(await request(b, 'k', 10), 10)).toBe(true);
    expect(admitted(await request(b, 'k', 10), 10)).toBe(false);
    await b.sync();
    // a has nothing to push, so it still believes 6: it admits one batch (1) more, within the
    // tolerance, and learns the total when that one must be pushed.
    expect(admitted(await request(a, 'k', 10), 10)).toBe(true);
    expect(admitted(await request(a, 'k', 10), 10)).toBe(false);
  });

  it('reaches the bound: two instances each holding a batch unpushed while the third fills the budget', async () => {
    const { counter, instance } = setUp({ syncShare: 0.1 });
    const [a, b, c] = [instance(), instance(), instance()];
    let accepted = 0;
    const count = async (counts: SharedRateCounts, n: number) => {
      for (let i = 0; i < n; i++) if (admitted(await request(counts, 'k', 50), 50)) accepted++;
    };
    // a and b: a first request pushed, then five held (the batch, ⌊0.1 × 50⌋).
    await count(a, 6);
    await count(b, 6);
    await count(c, 60);
    expect(accepted).toBe(50 + 2 * 5);
    await Promise.all([a.sync(), b.sync(), c.sync()]);
    expect(counter.total('k')).toBe(60);
    for (const counts of [a, b, c]) expect(admitted(await request(counts, 'k', 50), 50)).toBe(false);
  });

  it('admits at least max and at most max + (N − 1) × floor(share × max) for any interleaving of requests and syncs', async () => {
    // Runs of requests sent to one instance without waiting, each followed by a sync, a wait for
    // every answer, or nothing: so pushes are in flight while requests arrive.
    const run = fc.record({ instance: fc.nat(2), requests: fc.nat(15), then: fc.constantFrom('sync', 'settle', 'nothing') });
    await fc.assert(
      fc.asyncProperty(fc.array(run, { maxLength: 40 }), fc.integer({ min: 10, max: 60 }), async (runs, max) => {
        const { instance } = setUp({ syncShare: 0.1 });
        const instances = [instance(), instance(), instance()];
        const outstanding: Promise<unknown>[] = [];
        let accepted = 0;
        let refusedBeforeMax = false;
        for (const { instance: i, requests, then } of runs) {
          for (let r = 0; r < requests; r++)
            outstanding.push(
              request(instances[i]!, 'k', max).then((answer) => {
                if (admitted(answer, max)) accepted++;
                else if (accepted < max) refusedBeforeMax = true;
              }),
            );
          if (then === 'sync') outstanding.push(instances[i]!.sync());
          else if (then === 'settle') await Promise.all(outstanding.splice(0));
        }
        await Promise.all(outstanding);
        expect(refusedBeforeMax).toBe(false);
        expect(accepted).toBeLessThanOrEqual(max + 2 * Math.floor(0.1 * max));
      }),
      { numRuns: 500 },
    );
  });
});

describe('Redis unavailable', () => {
  it('counts on this instance, never refusing under max, and pushes what it counted once Redis answers', async () => {
    const { counter, instance } = setUp({ syncShare: 0.2 });
    const counts = instance();
    counter.down = true;
    const answers: Answer[] = [];
    for (let i = 0; i < 6; i++) answers.push(await request(counts, 'k', 5));
    expect(answers.map((a) => admitted(a, 5))).toEqual([true, true, true, true, true, false]);
    // Each request was decided without waiting: only the first read was tried.
    expect(counter.calls).toHaveLength(1);
    counter.down = false;
    await counts.sync();
    expect(counter.total('k')).toBe(5);
    // Back: decided on the shared total again (spent, so refused at once).
    expect(admitted(await request(counts, 'k', 5), 5)).toBe(false);
  });

  it('counts a budget too small to batch locally too, rather than letting every request through', async () => {
    const { counter, instance } = setUp({ syncShare: 0.01 });
    const counts = instance();
    counter.down = true;
    const answers: Answer[] = [];
    for (let i = 0; i < 4; i++) answers.push(await request(counts, 'address:1', 3));
    expect(answers.map((a) => admitted(a, 3))).toEqual([true, true, true, false]);
  });
});

describe('memory', () => {
  it('keeps at most maxKeys entries under a flood of addresses; at the cap a key whose oldest neighbour is unpushed is counted in Redis directly', async () => {
    const { counter, instance } = setUp({ syncShare: 0.5, maxKeys: 3 });
    const counts = instance();
    for (let i = 0; i < 3; i++) await request(counts, `address:${i}`, 4);
    expect(counts.size).toBe(3);
    // Each of the three holds one unpushed request: the fourth address cannot take a place.
    const calls = counter.calls.length;
    expect((await request(counts, 'address:3', 4)).current).toBe(1);
    expect(counter.calls.slice(calls)).toEqual([[{ key: 'address:3', increment: 1, timeWindow: 60_000 }]]);
    expect(counts.size).toBe(3);
    // Once pushed, the oldest gives its place up (Redis holds its count).
    await counts.sync();
    for (let i = 4; i < 20; i++) await request(counts, `address:${i}`, 4);
    expect(counts.size).toBe(3);
    expect(counter.total('address:0')).toBe(1);
  });
});
