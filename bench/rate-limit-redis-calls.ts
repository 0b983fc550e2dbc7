// How many Redis commands the rate limit costs per request: @fastify/rate-limit's stock Redis store
// (what the protection plugin used before issue #17: one script per request) against the protection
// plugin's shared local store, on the same requests to a real redis-server, counted with
// INFO commandstats (pushes made as the instances close included). A count, not a timing: `npx tsx bench/rate-limit-redis-calls.ts [requests]`.
import rateLimit from '@fastify/rate-limit';
import autocannon from 'autocannon';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { Redis } from 'ioredis';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startRedisServer } from '../src/infra/redis-server.js';
import { hashApiKey, PartnerRegistry } from '../src/partners/registry.js';
import auth from '../src/plugins/auth.js';
import protection from '../src/plugins/protection.js';

const REQUESTS = Number(process.argv[2] ?? 600);
const PARTNER_PER_MINUTE = 12_000;
const ANONYMOUS_PER_MINUTE = 300;

const registry = PartnerRegistry.fromDocument(
  { partners: [{ id: 'bench', name: 'bench', roles: ['one-stop'], apiKeys: [{ id: 'bench', sha256: hashApiKey('key-bench') }], webhookUrl: 'http://127.0.0.1:1/hook', agencies: [{ code: 'A1' }] }] },
  { defaults: { agencyCode: 'madonvi', username: 'u', password: 'p' }, allowAnyAgency: false },
);

type Variant = 'stock' | 'shared';

async function app(variant: Variant, redis: Redis, prefix: string): Promise<FastifyInstance> {
  const instance = Fastify();
  await instance.register(auth, { registry });
  if (variant === 'shared') {
    await instance.register(protection, { redis, redisPrefix: prefix, partnerPerMinute: PARTNER_PER_MINUTE, anonymousPerMinute: ANONYMOUS_PER_MINUTE, maxEventLoopDelayMs: 0, maxEventLoopUtilization: 0.99, retryAfterSeconds: 1 });
  } else {
    // The protection plugin's registration before issue #17, limits and keys alike.
    await instance.register(rateLimit, {
      global: true,
      redis,
      nameSpace: `${prefix}:rate:`,
      timeWindow: 60_000,
      max: (request: FastifyRequest) => (request.partner ? PARTNER_PER_MINUTE : ANONYMOUS_PER_MINUTE),
      keyGenerator: (request: FastifyRequest) => (request.partner ? `partner:${request.partner.id}` : `address:${request.ip}`),
      skipOnError: true,
    });
  }
  instance.get('/ping', async () => ({ ok: true }));
  await instance.listen({ port: 0, host: '127.0.0.1' });
  return instance;
}

/** Commands Redis ran (those inside scripts included) and the round trips (script calls) among them. */
async function commands(redis: Redis): Promise<{ commands: number; roundTrips: number }> {
  const stats = [...(await redis.info('commandstats')).matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)].filter((m) => !['info', 'config'].includes(m[1]!));
  const sum = (names?: string[]) => stats.filter((m) => !names || names.includes(m[1]!)).reduce((total, m) => total + Number(m[2]), 0);
  return { commands: sum(), roundTrips: sum(['evalsha', 'eval']) };
}

const urlOf = (instance: FastifyInstance) => `http://127.0.0.1:${(instance.server.address() as { port: number }).port}/ping`;

async function load(urls: string[], headers: Record<string, string>): Promise<Record<string, number>> {
  const statuses: Record<string, number> = {};
  await Promise.all(
    urls.map(async (url) => {
      const result = await autocannon({ url, headers, connections: 16, amount: REQUESTS / urls.length });
      for (const [code, count] of Object.entries(result.statusCodeStats ?? {})) statuses[code] = (statuses[code] ?? 0) + (count.count ?? 0);
    }),
  );
  return statuses;
}

const dir = await mkdtemp(path.join(tmpdir(), 'lgsp-rate-bench-'));
const server = await startRedisServer({ dir, appendOnly: false });
const inspect = new Redis(server.url);
try {
  for (const variant of ['stock', 'shared'] as Variant[]) {
    for (const [scenario, instances, headers] of [
      ['one partner, one instance', 1, { 'x-api-key': 'key-bench' }],
      ['one partner, two instances', 2, { 'x-api-key': 'key-bench' }],
      ['anonymous (budget 300), one instance', 1, {}],
    ] as [string, number, Record<string, string>][]) {
      const prefix = `bench-${variant}-${instances}-${Object.keys(headers).length}`;
      // As the API's connection (src/compose/core.ts): no offline queue.
      const clients = Array.from({ length: instances }, () => new Redis(server.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true }));
      await Promise.all(clients.map((client) => client.connect()));
      const apps = await Promise.all(clients.map((client) => app(variant, client, prefix)));
      await inspect.config('RESETSTAT');
      const statuses = await load(apps.map(urlOf), headers);
      for (const instance of apps) await instance.close();
      const counted = await commands(inspect);
      const answered = Object.values(statuses).reduce((a, b) => a + b, 0);
      const per = (n: number) => (n / answered).toFixed(3);
      console.log(
        `${variant.padEnd(6)} | ${scenario.padEnd(37)} | ${answered} requests ${JSON.stringify(statuses)} | ${counted.roundTrips} round trips (${per(counted.roundTrips)}/request) | ${counted.commands} commands (${per(counted.commands)}/request)`,
      );
      for (const client of clients) client.disconnect();
    }
  }
} finally {
  inspect.disconnect();
  await server.stop();
  await rm(dir, { recursive: true, force: true });
}
