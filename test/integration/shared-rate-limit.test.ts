// Rate limits counted locally and settled with a real redis-server: two app instances (the real
// auth and protection plugins) share one partner's budget within the stated tolerance, one instance
// alone refuses at exactly max with the right headers, the counters expire in Redis, and with Redis
// stopped an instance counts alone (never refusing under max) and pushes its counts once it is back.
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisServer } from '../../src/infra/redis-server.js';
import { hashApiKey, PartnerRegistry } from '../../src/partners/registry.js';
import auth from '../../src/plugins/auth.js';
import { sendProblem, toProblem } from '../../src/plugins/problems.js';
import protection from '../../src/plugins/protection.js';
import { eventually } from '../support/gateway.js';

const MAX = 400;
/** floor(0.01 × 400): what one instance may hold unpushed; with two instances the tolerance. */
const TOLERANCE = 4;
const PREFIX = 'rl-test';

const registry = PartnerRegistry.fromDocument(
  {
    partners: ['shared', 'solo', 'outage'].map((id) => ({ id, name: id, roles: ['one-stop'], apiKeys: [{ id, sha256: hashApiKey(`key-${id}`) }], webhookUrl: 'http://127.0.0.1:1/hook', agencies: [{ code: 'A1' }] })),
  },
  { defaults: { agencyCode: 'madonvi', username: 'u', password: 'p' }, allowAnyAgency: false },
);

async function instance(redis: Redis): Promise<FastifyInstance> {
  const app = Fastify();
  app.setErrorHandler((error: FastifyError, _request, reply) => sendProblem(reply, toProblem(error)));
  await app.register(auth, { registry });
  await app.register(protection, {
    redis,
    redisPrefix: PREFIX,
    partnerPerMinute: MAX,
    anonymousPerMinute: 300,
    maxEventLoopDelayMs: 0,
    maxEventLoopUtilization: 0.99,
    retryAfterSeconds: 1,
    // No background sync: pushes happen only when a key's batch is full, so the count of Redis calls is known.
    rateSyncIntervalMs: 0,
  });
  app.get('/ping', async () => ({ ok: true }));
  await app.ready();
  return app;
}

describe('rate limits shared through Redis, counted locally', () => {
  let dir: string;
  let server: RedisServer;
  const clients: Redis[] = [];
  let first: FastifyInstance;
  let second: FastifyInstance;
  let inspect: Redis;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'lgsp-rate-'));
    server = await startRedisServer({ dir, appendOnly: false });
    for (let i = 0; i < 3; i++) {
      // As the API's own connection: no offline queue, so a request never waits for a Redis that is away.
      const client = new Redis(server.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true });
      await client.connect();
      clients.push(client);
    }
    [first, second] = [await instance(clients[0]!), await instance(clients[1]!)];
    inspect = clients[2]!;
  });
  afterAll(async () => {
    // Closing twice is harmless: the last test closes them to see what they pushed.
    await first?.close();
    await second?.close();
    for (const client of clients) client.disconnect();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const ping = (app: FastifyInstance, partner: string) => app.inject({ method: 'GET', url: '/ping', headers: { 'x-api-key': `key-${partner}` } });

  /** Script calls Redis ran (EVALSHA, or EVAL when the script was not cached yet). */
  const scriptCalls = async () => {
    const stats = await inspect.info('commandstats');
    return [...stats.matchAll(/^cmdstat_(?:evalsha|eval):calls=(\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
  };

  it('refuses at exactly max on one instance, with x-ratelimit-remaining counting down and a problem+json 429, in a quarter of the Redis calls', async () => {
    await inspect.config('RESETSTAT');
    const remaining: number[] = [];
    for (let i = 0; i < MAX; i++) {
      const answer = await ping(first, 'solo');
      expect(answer.statusCode).toBe(200);
      remaining.push(Number(answer.headers['x-ratelimit-remaining']));
    }
    expect(remaining).toEqual(Array.from({ length: MAX }, (_, i) => MAX - 1 - i));
    const refused = await ping(first, 'solo');
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.json().code).toBe('rate-limited');
    expect(refused.headers['x-ratelimit-remaining']).toBe('0');
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.headers['x-ratelimit-reset']).toBe(String(retryAfter));
    // One read as the window opened, then one push of 4 (floor(0.01 × 400)) each time four were held,
    // and none for the refusal; the stock store ran one script per request (401).
    expect(await scriptCalls()).toBe(1 + (MAX - 4) / 4);
  });

  it('shares one budget between two instances: at least max and at most max + the tolerance admitted', async () => {
    const statuses: number[] = [];
    // Concurrent requests to both instances, so each admits while the other's counts are unpushed.
    for (let round = 0; round < 25; round++) {
      const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => ping(i % 2 ? second : first, 'shared')));
      statuses.push(...answers.map((a) => a.statusCode));
    }
    const admitted = statuses.filter((s) => s === 200).length;
    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
    expect(admitted).toBeGreaterThanOrEqual(MAX);
    expect(admitted).toBeLessThanOrEqual(MAX + TOLERANCE);
  });

  it('has pushed every admitted request to Redis once the instances close, under a key that expires', async () => {
    await first.close();
    await second.close();
    expect(Number(await inspect.get(`${PREFIX}:rate:partner:solo`))).toBe(MAX);
    const shared = Number(await inspect.get(`${PREFIX}:rate:partner:shared`));
    expect(shared).toBeGreaterThanOrEqual(MAX);
    expect(shared).toBeLessThanOrEqual(MAX + TOLERANCE);
    const ttl = await inspect.pttl(`${PREFIX}:rate:partner:shared`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });
});

describe('rate limits while Redis is away', () => {
  it('counts on the instance alone, refusing at max and never before, and pushes the counts when Redis is back', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'lgsp-rate-'));
    const server = await startRedisServer({ dir, appendOnly: false });
    const client = new Redis(server.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true });
    client.on('error', () => {}); // refused connections while stopped, expected
    await client.connect();
    const app = await instance(client);
    try {
      await server.stop();
      const statuses: number[] = [];
      for (let i = 0; i <= MAX; i++) statuses.push((await app.inject({ method: 'GET', url: '/ping', headers: { 'x-api-key': 'key-outage' } })).statusCode);
      expect(statuses.slice(0, MAX).every((s) => s === 200)).toBe(true);
      expect(statuses[MAX]).toBe(429);
      await server.restart();
      await eventually(() => client.status === 'ready', 'the client reconnected');
      await app.close();
      expect(Number(await client.get(`${PREFIX}:rate:partner:outage`))).toBe(MAX);
    } finally {
      await app.close();
      client.disconnect();
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
