// Helpers that give each test file isolated state on the servers global-setup.ts shares.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { inject } from 'vitest';
import { createDatabase } from './postgres-server.js';
import { startRedisServer, type RedisServer, type RedisServerOptions } from '../../src/infra/redis-server.js';

export function testRedisUrl(): string {
  return inject('redisUrl');
}

/** A new, empty database in the shared cluster, so each test file migrates its own schema. */
export function freshDatabaseUrl(): Promise<string> {
  return createDatabase(inject('postgresUrl'), `${inject('databasePrefix')}${randomBytes(6).toString('hex')}`);
}

/** A BullMQ prefix no other test uses, so queues of tests sharing one Redis never meet. */
export function freshRedisPrefix(): string {
  return `test-${process.pid}-${randomBytes(6).toString('hex')}`;
}

export interface OwnRedis extends RedisServer {
  /** Stops the server and removes its directory. */
  dispose(): Promise<void>;
}

/** A redis-server of one's own, in a temporary directory, for tests that stop or restart Redis. */
export async function startOwnRedis(opts: Omit<RedisServerOptions, 'dir'> = {}): Promise<OwnRedis> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'lgsp-redis-'));
  try {
    const server = await startRedisServer({ ...opts, dir });
    return {
      ...server,
      async dispose() {
        await server.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
