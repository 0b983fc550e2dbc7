// A store for @fastify/rate-limit that counts in this process and settles with Redis in the
// background, so a request costs no Redis round trip while its key's budget is far from spent, and
// the budget is still shared by every API instance.
//
// Each instance keeps, per key and window, the shared total Redis last answered and the increments
// it admitted since (its pending count). It admits a request while shared + pending < max. Pending
// increments reach Redis in one batched script call every `syncIntervalMs` (INCRBY, then PEXPIRE
// when the key is new), which also reads back the shared total and the window's time left; and a
// key's pending count may never reach its batch, floor(syncShare × max): a request that would go
// past it waits for that key's sync first. A key's first request in a window (here) is pushed at
// once and decided on the total Redis answers, as the stock store decides every request.
//
// Tolerance, per key and window, with N instances: at most (N − 1) × floor(syncShare × max)
// requests admitted over max. Why: take the instance j whose latest read of the key came last; that
// read counted everything the others had pushed, and j admits only while that total plus its own
// pending stays within max; every other instance holds at most one batch not yet pushed (pushing it
// would be a later read). No instance ever refuses under max: the shared total only grows within a
// window, so a stale total is low, never high. One instance alone therefore refuses at exactly max.
// Budgets with floor(syncShare × max) < 1 are counted in Redis on every request, as the stock store
// does (exact, one round trip each).
//
// Windows are @fastify/rate-limit's: fixed, timeWindow ms from a key's first request, kept by the
// key's PTTL in Redis (the same key names and plain integer counters as its RedisStore, so old and
// new instances count together during a rolling upgrade). An instance ends its local window at
// (the time it sent its last sync) + (the PTTL answered), never after Redis does.
//
// Redis unavailable: the failed sync's increments stay pending and the instance counts alone (each
// instance then allows up to max per window on its own, never refusing a key under max; a budget
// too small to batch is counted locally the same way). No request waits for Redis again until a
// background sync has succeeded: a Redis that hangs costs the requests waiting on one push one
// command timeout, not every request one each.
//
// Memory: entries whose window ended are dropped at each tick. At most `maxKeys` entries are kept;
// at the cap a new key takes the place of the oldest entry when that one has nothing unpushed,
// otherwise it is counted in Redis on that request without a local entry (the stock store's round
// trip); so a flood of addresses costs round trips, never unbounded memory.
import type { FastifyRateLimitOptions, FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { Redis } from 'ioredis';

export interface CounterPush {
  key: string;
  increment: number;
  timeWindow: number;
}

export interface CounterState {
  /** The key's shared total for its current window, this push included. */
  count: number;
  /** Milliseconds left in that window. */
  ttl: number;
}

/** Where the instances' counts meet. */
export interface SharedCounter {
  /** Adds each increment to its key's count, starting a window of `timeWindow` ms where none runs. */
  add(pushes: readonly CounterPush[]): Promise<CounterState[]>;
}

const ADD_SCRIPT = `
local out = {}
for i, key in ipairs(KEYS) do
  local count = redis.call('INCRBY', key, tonumber(ARGV[2 * i - 1]))
  local ttl = redis.call('PTTL', key)
  if ttl < 0 then
    ttl = tonumber(ARGV[2 * i])
    redis.call('PEXPIRE', key, ttl)
  end
  out[2 * i - 1] = count
  out[2 * i] = ttl
end
return out
`;
const ADD_COMMAND = 'lgspRateAdd';

/** Counts in Redis under `nameSpace` + key: one script call (EVALSHA) per batch of keys. */
export function redisCounter(redis: Redis, nameSpace: string): SharedCounter {
  if (!(ADD_COMMAND in redis)) redis.defineCommand(ADD_COMMAND, { lua: ADD_SCRIPT });
  const add = (redis as unknown as Record<string, (...args: (string | number)[]) => Promise<number[]>>)[ADD_COMMAND]!.bind(redis);
  return {
    async add(pushes) {
      const keys = pushes.map((p) => nameSpace + p.key);
      const args = pushes.flatMap((p) => [p.increment, p.timeWindow]);
      const flat = await add(keys.length, ...keys, ...args);
      return pushes.map((_, i) => ({ count: flat[2 * i]!, ttl: flat[2 * i + 1]! }));
    },
  };
}

export interface SharedRateCountsOptions {
  counter: SharedCounter;
  /** The share of a key's budget one instance may admit before Redis has counted it. Default 0.01. */
  syncShare?: number;
  /** Background sync period; 0 syncs only when `sync()` is called (tests). Default 200. */
  syncIntervalMs?: number;
  /** Local entries kept at most. Default 10,000. */
  maxKeys?: number;
  now?: () => number;
  /** Told when Redis starts failing (once, not at every retry) and when it answers again (undefined). */
  onRedisState?: (error: unknown) => void;
}

type Answer = (error: Error | null, result?: { current: number; ttl: number }) => void;

interface Entry {
  /** The shared total as Redis last answered; 0 until `known`. */
  shared: number;
  /** Pushed, not yet answered. */
  inFlight: number;
  /** Admitted here, not yet pushed. */
  unsent: number;
  timeWindow: number;
  windowEnd: number;
  /** Redis has answered (or failed) for this window at least once. */
  known: boolean;
  /** The push in flight for this entry: true when Redis answered. */
  sync: Promise<boolean> | undefined;
}

/** The largest number of keys sent in one script call. */
const KEYS_PER_CALL = 500;

/** This instance's counts, shared by the store and its per-route children. */
export class SharedRateCounts {
  private readonly entries = new Map<string, Entry>();
  private readonly counter: SharedCounter;
  private readonly syncShare: number;
  private readonly maxKeys: number;
  private readonly now: () => number;
  private readonly onRedisState: (error: unknown) => void;
  private readonly timer: NodeJS.Timeout | undefined;
  /** Redis failed and no sync has succeeded since: count alone, wait for nothing. */
  private offline = false;
  private ticking: Promise<void> | undefined;

  constructor(options: SharedRateCountsOptions) {
    this.counter = options.counter;
    this.syncShare = options.syncShare ?? 0.01;
    this.maxKeys = options.maxKeys ?? 10_000;
    this.now = options.now ?? Date.now;
    this.onRedisState = options.onRedisState ?? (() => {});
    const interval = options.syncIntervalMs ?? 200;
    if (interval > 0) {
      this.timer = setInterval(() => void this.sync(), interval);
      this.timer.unref();
    }
  }

  /** Local entries held (for tests and the memory bound). */
  get size(): number {
    return this.entries.size;
  }

  incr(key: string, answer: Answer, timeWindow: number, max: number): void {
    const batch = Math.floor(this.syncShare * max);
    const offline = this.offline;
    if (batch < 1 && !offline) {
      this.direct(key, timeWindow, answer, () => this.incr(key, answer, timeWindow, max));
      return;
    }
    const entry = this.entryFor(key, timeWindow);
    if (!entry) {
      this.direct(key, timeWindow, answer, (error) => answer(error as Error));
      return;
    }
    const ended = this.now() >= entry.windowEnd;
    const used = entry.shared + entry.inFlight + entry.unsent;
    // Known and spent: refused at once (the total only grows within a window). A refusal is not
    // counted: it changes no decision, and the total already stands at max.
    const spent = entry.known && !ended && used >= max;
    if (!offline && !entry.known && !entry.sync) {
      this.first(key, entry, answer, timeWindow, max);
      return;
    }
    if (!offline && !spent && (!entry.known || ended || entry.inFlight + entry.unsent >= batch)) {
      void (entry.sync ?? this.push([[key, entry]])).then(() => this.incr(key, answer, timeWindow, max));
      return;
    }
    if (used < max) entry.unsent++;
    answer(null, { current: used + 1, ttl: Math.max(0, entry.windowEnd - this.now()) });
  }

  /**
   * The first request of a window here is pushed with the read and decided on the total Redis
   * answers, as the stock store decides every request (so a key seen once costs one round trip).
   */
  private first(key: string, entry: Entry, answer: Answer, timeWindow: number, max: number): void {
    entry.unsent++;
    void this.push([[key, entry]]).then((pushed) => {
      if (pushed) {
        answer(null, { current: entry.shared, ttl: Math.max(0, entry.windowEnd - this.now()) });
        return;
      }
      // Kept unpushed, it would count twice: decided again, alone.
      entry.unsent--;
      this.incr(key, answer, timeWindow, max);
    });
  }

  /** Pushes every key's unsent increments and drops ended windows; resolves when Redis answered. */
  sync(): Promise<void> {
    this.ticking ??= this.pushAll().finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  /** Stops the timer and pushes what is left, so a stopping instance's requests still count. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    // Pushes in flight took a snapshot: wait for them, then push what came after.
    await this.ticking;
    await Promise.all([...this.entries.values()].map((entry) => entry.sync));
    await this.sync();
  }

  private async pushAll(): Promise<void> {
    const now = this.now();
    const due: [string, Entry][] = [];
    for (const [key, entry] of this.entries) {
      if (entry.sync) continue;
      if (now >= entry.windowEnd) this.entries.delete(key);
      else if (entry.unsent > 0) due.push([key, entry]);
    }
    const calls: Promise<boolean>[] = [];
    for (let i = 0; i < due.length; i += KEYS_PER_CALL) calls.push(this.push(due.slice(i, i + KEYS_PER_CALL)));
    await Promise.all(calls);
  }

  /** The key's entry for the current window; undefined when the map is full of unpushed counts. */
  private entryFor(key: string, timeWindow: number): Entry | undefined {
    const now = this.now();
    const entry = this.entries.get(key);
    if (entry && (now < entry.windowEnd || entry.sync)) return entry;
    if (entry) this.entries.delete(key);
    else if (this.entries.size >= this.maxKeys) {
      const [oldestKey, oldest] = this.entries.entries().next().value!;
      const settled = !oldest.sync && (oldest.unsent === 0 || now >= oldest.windowEnd);
      if (!settled) return undefined;
      this.entries.delete(oldestKey);
    }
    const fresh: Entry = { shared: 0, inFlight: 0, unsent: 0, timeWindow, windowEnd: now + timeWindow, known: false, sync: undefined };
    this.entries.set(key, fresh);
    return fresh;
  }

  /** One script call for these entries: their unsent increments go, the shared totals come back. */
  private push(batch: [string, Entry][]): Promise<boolean> {
    const sentAt = this.now();
    for (const [, entry] of batch) {
      entry.inFlight = entry.unsent;
      entry.unsent = 0;
    }
    const sync = this.counter
      .add(batch.map(([key, entry]) => ({ key, increment: entry.inFlight, timeWindow: entry.timeWindow })))
      .then(
        (states) => {
          this.redisAnswered();
          batch.forEach(([, entry], i) => {
            entry.shared = states[i]!.count;
            entry.windowEnd = sentAt + states[i]!.ttl;
          });
          return true;
        },
        (error: unknown) => {
          this.redisFailed(error);
          for (const [, entry] of batch) entry.unsent += entry.inFlight;
          return false;
        },
      )
      .finally(() => {
        for (const [, entry] of batch) {
          entry.inFlight = 0;
          entry.known = true;
          entry.sync = undefined;
        }
      });
    for (const [, entry] of batch) entry.sync = sync;
    return sync;
  }

  /** Counts one request in Redis and answers with its total, as the stock RedisStore does. */
  private direct(key: string, timeWindow: number, answer: Answer, onError: (error: unknown) => void): void {
    this.counter.add([{ key, increment: 1, timeWindow }]).then(
      ([state]) => {
        this.redisAnswered();
        answer(null, { current: state!.count, ttl: state!.ttl });
      },
      (error: unknown) => {
        this.redisFailed(error);
        onError(error);
      },
    );
  }

  private redisFailed(error: unknown): void {
    if (!this.offline) this.onRedisState(error);
    this.offline = true;
  }

  private redisAnswered(): void {
    if (this.offline) this.onRedisState(undefined);
    this.offline = false;
  }
}

/** The store class @fastify/rate-limit instantiates; children (per-route limits) prefix their keys as RedisStore's do. */
export function sharedRateStore(counts: SharedRateCounts): FastifyRateLimitStoreCtor {
  class SharedRateStore implements FastifyRateLimitStore {
    constructor(
      _options: FastifyRateLimitOptions,
      private readonly prefix = '',
    ) {}

    incr(key: string, answer: Answer, timeWindow: number, max: number): void {
      counts.incr(this.prefix + key, answer, timeWindow, max);
    }

    // The plugin passes the route's merged options with `routeInfo` (its typings say less).
    child(routeOptions: object): FastifyRateLimitStore {
      const { method, url } = (routeOptions as { routeInfo: { method: string; url: string } }).routeInfo;
      return new SharedRateStore({}, `${this.prefix}${method}${url}-`);
    }
  }
  return SharedRateStore;
}
