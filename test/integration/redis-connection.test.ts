// The one Redis connection factory: a REDIS_URL connects as before; sentinels that do not answer make
// a start give up after its bounded wait, naming the master and the sentinels but never a password.
import { describe, expect, it } from 'vitest';
import { freePort } from '../../src/infra/free-port.js';
import { connectRedis, describeRedis, type RedisTarget } from '../../src/infra/redis-connection.js';
import { waitForRedis } from '../../src/infra/wait-reachable.js';
import { testRedisUrl } from '../support/services.js';

describe('connectRedis', () => {
  it('connects to REDIS_URL as before', async () => {
    const target: RedisTarget = { url: testRedisUrl() };
    const redis = connectRedis(target, { maxRetriesPerRequest: null });
    try {
      await waitForRedis(redis, describeRedis(target), 10_000);
      expect(await redis.ping()).toBe('PONG');
    } finally {
      redis.disconnect();
    }
  });

  it('gives up on sentinels that do not answer, naming them without the passwords', async () => {
    const target: RedisTarget = {
      sentinel: { sentinels: [{ host: '127.0.0.1', port: await freePort() }], masterName: 'lgsp', password: 'master-s3cret', sentinelPassword: 'sentinel-s3cret' },
    };
    const redis = connectRedis(target, { maxRetriesPerRequest: null });
    redis.on('error', () => undefined);
    const failure = await waitForRedis(redis, describeRedis(target), 1_000).then(
      () => undefined,
      (error: Error) => error.message,
    );
    expect(failure).toMatch(/^Redis at master "lgsp" through the sentinels 127\.0\.0\.1:\d+ is unreachable after 1 s \(/);
    expect(failure).not.toMatch(/s3cret/);
    // Given up means given up: the client stops asking the sentinels (it ends once its pending attempt returns).
    await new Promise<void>((resolve) => (redis.status === 'end' ? resolve() : redis.once('end', () => resolve())));
    expect(redis.status).toBe('end');
  });
});
