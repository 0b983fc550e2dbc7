// One redis-server and one PostgreSQL cluster for the whole test run: starting them per test file
// would cost seconds each. Test files stay isolated by using their own database
// (freshDatabaseUrl) and their own BullMQ prefix (freshRedisPrefix), see services.ts.
// TEST_REDIS_URL / TEST_DATABASE_URL point the run at existing servers instead.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { startPostgresServer, type PostgresServer } from './postgres-server.js';
import { startRedisServer, type RedisServer } from '../../src/infra/redis-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    postgresUrl: string;
    /** Databases made by freshDatabaseUrl() start with this, so teardown can find and drop them. */
    databasePrefix: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const databasePrefix = `lgsp_test_${randomBytes(4).toString('hex')}_`;
  let tempDir: string | undefined;
  let redis: RedisServer | undefined;
  let postgres: PostgresServer | undefined;

  const teardown = async (): Promise<void> => {
    await Promise.allSettled([redis?.stop(), postgres?.stop()]);
    if (tempDir !== undefined) await rm(tempDir, { recursive: true, force: true });
  };

  const ownDir = async (name: string): Promise<string> => {
    if (tempDir === undefined) {
      tempDir = await mkdtemp(path.join(os.tmpdir(), 'lgsp-test-'));
      // When the run is root, PostgreSQL runs as the postgres user, which must be able to enter it.
      await chmod(tempDir, 0o755);
    }
    return path.join(tempDir, name);
  };

  try {
    let redisUrl = process.env.TEST_REDIS_URL || undefined;
    let postgresUrl = process.env.TEST_DATABASE_URL || undefined;
    if (redisUrl === undefined) {
      redis = await startRedisServer({ dir: await ownDir('redis') });
      redisUrl = redis.url;
    }
    if (postgresUrl === undefined) {
      postgres = await startPostgresServer({ dir: await ownDir('postgres') });
      postgresUrl = postgres.url;
    }
    project.provide('redisUrl', redisUrl);
    project.provide('postgresUrl', postgresUrl);
    project.provide('databasePrefix', databasePrefix);

    return async () => {
      // Our own cluster disappears with its directory; an external server keeps what we made.
      if (postgres === undefined) await dropTestDatabases(postgresUrl, databasePrefix);
      await teardown();
    };
  } catch (error) {
    await teardown();
    throw error;
  }
}

async function dropTestDatabases(adminUrl: string, prefix: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE starts_with(datname, $1)',
      [prefix],
    );
    for (const { datname } of rows) {
      await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(datname)} WITH (FORCE)`);
    }
  } finally {
    await client.end();
  }
}
