// The servers the gateway and its tests depend on: a private redis-server (embedded mode and
// restart tests) and a throw-away PostgreSQL cluster (tests and benchmarks).
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { createDatabase, startPostgresServer } from '../support/postgres-server.js';
import { startRedisServer } from '../../src/infra/redis-server.js';
import { freshDatabaseUrl, freshRedisPrefix, testRedisUrl } from '../support/services.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'lgsp-infra-test-'));
  dirs.push(dir);
  // Searchable by the postgres OS user, which runs PostgreSQL when the tests run as root.
  await chmod(dir, 0o755);
  return dir;
}
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function withRedis<T>(url: string, use: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    return await use(redis);
  } finally {
    redis.disconnect();
  }
}

async function selectOne(url: string): Promise<{ one: number; db: string }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ one: number; db: string }>('SELECT 1 AS one, current_database() AS db');
    return rows[0]!;
  } finally {
    await client.end();
  }
}

describe('startRedisServer', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('answers PING with the settings BullMQ needs and keeps keys across a restart', async () => {
    const dir = await tempDir();
    const server = await startRedisServer({ dir });
    try {
      expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
      await withRedis(server.url, async (redis) => {
        expect(await redis.ping()).toBe('PONG');
        expect(await redis.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
        expect(await redis.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
        await redis.set('job:1', 'queued');
      });

      await server.restart();
      await withRedis(server.url, async (redis) => {
        expect(await redis.get('job:1')).toBe('queued');
      });

      // A separate start on the same dir and port is the same as restart().
      await server.stop();
      const again = await startRedisServer({ dir, port: server.port });
      try {
        await withRedis(again.url, async (redis) => {
          expect(await redis.get('job:1')).toBe('queued');
        });
      } finally {
        await again.stop();
      }
    } finally {
      await server.stop();
    }
  });

  it('names the package to install when redis-server is not on the PATH', async () => {
    vi.stubEnv('PATH', await tempDir());
    await expect(startRedisServer({ dir: await tempDir() })).rejects.toThrow(
      /package "redis-server" \(apt-get install redis-server\).*REDIS_URL/,
    );
  });
});

describe('startPostgresServer', () => {
  it('starts a cluster on which createDatabase makes a usable database', async () => {
    const server = await startPostgresServer({ dir: path.join(await tempDir(), 'pg') });
    try {
      expect(server.url).toBe(`postgres://postgres@127.0.0.1:${server.port}/postgres`);
      const url = await createDatabase(server.url, 'dossiers_test');
      expect(url).toBe(`postgres://postgres@127.0.0.1:${server.port}/dossiers_test`);
      expect(await selectOne(url)).toEqual({ one: 1, db: 'dossiers_test' });
    } finally {
      await server.stop();
    }
  });
});

describe('shared test services', () => {
  it('give each caller its own database and Redis prefix', async () => {
    const [a, b] = await Promise.all([freshDatabaseUrl(), freshDatabaseUrl()]);
    expect(a).not.toBe(b);
    expect((await selectOne(a)).db).not.toBe((await selectOne(b)).db);
    expect(freshRedisPrefix()).not.toBe(freshRedisPrefix());
    await withRedis(testRedisUrl(), async (redis) => {
      expect(await redis.ping()).toBe('PONG');
    });
  });
});
