// Redis through Sentinel: REDIS_SENTINELS and REDIS_SENTINEL_MASTER are read and checked at start
// with the other settings, every problem named at once; REDIS_URL alone keeps working as before.
import { describe, expect, it } from 'vitest';
import { readConfig } from '../../src/config/config.js';
import { describeRedis } from '../../src/infra/redis-connection.js';
import { COMPLETE_PRODUCTION } from '../support/production-env.js';

const { REDIS_URL: _url, ...WITHOUT_REDIS } = COMPLETE_PRODUCTION;

function read(env: Record<string, string>) {
  return readConfig({ ...env, PARTNERS_FILE: '/etc/lgsp/partners.json' });
}

describe('Redis through Sentinel (REDIS_SENTINELS)', () => {
  it('reads the sentinels, the master name and both passwords, and needs no REDIS_URL in production', () => {
    const { config, problems } = read({
      ...WITHOUT_REDIS,
      REDIS_SENTINELS: ' sentinel-a:26379, 10.0.0.7:26380 ,sentinel-c,[fd00::7]:26381',
      REDIS_SENTINEL_MASTER: 'lgsp',
      REDIS_PASSWORD: 'master-secret',
      REDIS_SENTINEL_PASSWORD: 'sentinel-secret',
    });
    expect(problems).toEqual([]);
    expect(config.redisUrl).toBeUndefined();
    expect(config.redisSentinel).toEqual({
      sentinels: [
        { host: 'sentinel-a', port: 26379 },
        { host: '10.0.0.7', port: 26380 },
        { host: 'sentinel-c', port: 26379 },
        { host: 'fd00::7', port: 26381 },
      ],
      masterName: 'lgsp',
      password: 'master-secret',
      sentinelPassword: 'sentinel-secret',
    });
  });

  it('leaves REDIS_URL as it was when no sentinel is given', () => {
    const { config, problems } = read(COMPLETE_PRODUCTION);
    expect(problems).toEqual([]);
    expect(config.redisUrl).toBe('redis://redis:6379');
    expect(config.redisSentinel).toBeUndefined();
  });

  it('names every malformed entry, a missing master name, and REDIS_URL given as well, at once', () => {
    const { problems } = read({ ...COMPLETE_PRODUCTION, REDIS_SENTINELS: 'a:26379,b:notaport,c:70000,d e:1' });
    expect(problems).toEqual([
      'REDIS_SENTINELS entries must be host or host:port (IPv6 as [address]:port), comma-separated; got "b:notaport"',
      'REDIS_SENTINELS entries must be host or host:port (IPv6 as [address]:port), comma-separated; got "c:70000"',
      'REDIS_SENTINELS entries must be host or host:port (IPv6 as [address]:port), comma-separated; got "d e:1"',
      'REDIS_SENTINELS needs REDIS_SENTINEL_MASTER (the master name the sentinels monitor)',
      'Give Redis either as REDIS_URL or as REDIS_SENTINELS + REDIS_SENTINEL_MASTER, not both',
    ]);
    expect(read({ ...WITHOUT_REDIS, REDIS_SENTINELS: ' , ', REDIS_SENTINEL_MASTER: 'lgsp' }).problems).toEqual(['REDIS_SENTINELS lists no sentinel']);
  });

  it('refuses a master name or a password without sentinels rather than ignoring it', () => {
    const { problems } = read({ ...COMPLETE_PRODUCTION, REDIS_SENTINEL_MASTER: 'lgsp', REDIS_PASSWORD: 'x' });
    expect(problems).toEqual([
      'REDIS_SENTINEL_MASTER needs REDIS_SENTINELS (with REDIS_URL, put the password in the URL: redis://:password@host:6379)',
      'REDIS_PASSWORD needs REDIS_SENTINELS (with REDIS_URL, put the password in the URL: redis://:password@host:6379)',
    ]);
  });

  it('still refuses production with no Redis at all, naming both ways to give one', () => {
    const { problems } = read(WITHOUT_REDIS);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^REDIS_URL is required in production; .*REDIS_SENTINELS and REDIS_SENTINEL_MASTER$/);
  });

  it('describes where Redis is for a message without any password', () => {
    const { config } = read({ ...WITHOUT_REDIS, REDIS_SENTINELS: 's1:26379,[fd00::7]:26381', REDIS_SENTINEL_MASTER: 'lgsp', REDIS_PASSWORD: 'master-secret', REDIS_SENTINEL_PASSWORD: 'sentinel-secret' });
    const where = describeRedis({ sentinel: config.redisSentinel! });
    expect(where).toBe('master "lgsp" through the sentinels s1:26379, [fd00::7]:26381');
    expect(describeRedis({ url: 'redis://:s3cret@redis:6379/2' })).toBe('redis://redis:6379/2');
  });
});
