// The start-up check of the Redis settings BullMQ needs (docs/operations-redis.md), against real
// redis-servers: one set up as production should be, one that evicts and keeps no append-only file,
// and one where CONFIG is refused to the gateway's user, as on managed Redis services.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRedisSettings, warnAboutRedisSettings } from '../../src/infra/redis-settings.js';
import { startOwnRedis, type OwnRedis } from '../support/services.js';

function collectingLogger() {
  const warnings: { fields: object; message: string }[] = [];
  return { warnings, warn: (fields: object, message: string) => warnings.push({ fields, message }) };
}

describe('Redis settings check at start', () => {
  let good: OwnRedis;
  let careless: OwnRedis;
  const clients: Redis[] = [];
  const connect = (url: string, options: { username?: string; password?: string } = {}) => {
    const client = new Redis(url, { ...options, maxRetriesPerRequest: 1 });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    [good, careless] = await Promise.all([startOwnRedis(), startOwnRedis({ appendOnly: false })]);
    await connect(careless.url).config('SET', 'maxmemory-policy', 'allkeys-lru');
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.quit().catch(() => undefined)));
    await Promise.all([good?.dispose(), careless?.dispose()]);
  });

  it('finds nothing wrong with noeviction and appendonly yes, and logs nothing', async () => {
    const logger = collectingLogger();
    expect(await warnAboutRedisSettings(connect(good.url), logger)).toEqual([]);
    expect(logger.warnings).toEqual([]);
  });

  it('warns about an evicting policy and a missing append-only file, naming each setting, its value and why', async () => {
    const logger = collectingLogger();
    const problems = await warnAboutRedisSettings(connect(careless.url), logger);
    expect(problems.map((p) => [p.setting, p.found])).toEqual([
      ['maxmemory-policy', 'allkeys-lru'],
      ['appendonly', 'no'],
    ]);
    expect(logger.warnings.map((w) => w.fields)).toEqual([
      { redisSetting: 'maxmemory-policy', found: 'allkeys-lru' },
      { redisSetting: 'appendonly', found: 'no' },
    ]);
    expect(logger.warnings[0]!.message).toMatch(/noeviction.*evicts job keys/);
    expect(logger.warnings[1]!.message).toMatch(/yes.*restart.*sweeper/);
  });

  it('tolerates CONFIG being refused (managed Redis): one warning to check the settings by other means, no error', async () => {
    await connect(good.url).acl('SETUSER', 'gateway', 'on', '>gateway-password', '~*', '&*', '+@all', '-config');
    const limited = connect(good.url, { username: 'gateway', password: 'gateway-password' });
    expect(await limited.ping()).toBe('PONG');
    const logger = collectingLogger();
    const problems = await warnAboutRedisSettings(limited, logger);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ setting: 'config' });
    expect(problems[0]!.found).toMatch(/NOPERM/);
    expect(logger.warnings[0]!.message).toMatch(/CONFIG GET is refused.*noeviction.*appendonly yes/);
    // The check reads; it never changes the server's settings.
    expect(await checkRedisSettings(connect(good.url))).toEqual([]);
  });
});
