// One SQL dialect, two engines: PostgreSQL through `pg` in production, PGlite (Postgres in WASM,
// in-process) for the embedded default. Callers see only `Db`.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { lockPgliteFolder } from './pglite-lock.js';

export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
}

export interface Db extends Queryable {
  readonly engine: 'postgres' | 'pglite';
  /** Runs fn in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export async function openDatabase(options: { databaseUrl?: string; dataDir: string }): Promise<Db> {
  if (options.databaseUrl) return openPostgres(options.databaseUrl);
  const dir = path.join(options.dataDir, 'pglite');
  await mkdir(dir, { recursive: true });
  const unlock = await lockPgliteFolder(dir);
  try {
    const db = await openPglite(dir);
    return {
      ...db,
      async close() {
        await db.close();
        await unlock();
      },
    };
  } catch (error) {
    await unlock();
    throw error;
  }
}

/** Distinct statements kept prepared per connection; more are run unnamed (a safety bound, not a tuning knob). */
const PREPARED_LIMIT = 500;

/**
 * Parameterised statements as named (prepared) ones: PostgreSQL then parses and plans each once per
 * connection instead of on every call, which was half its CPU per dossier. A script without
 * parameters (a migration of several statements) cannot be prepared and is sent as it is.
 */
function preparedStatements(): (sql: string, params: readonly unknown[] | undefined) => pg.QueryConfig | string {
  const names = new Map<string, string>();
  return (sql, params) => {
    if (!params || params.length === 0) return sql;
    let name = names.get(sql);
    if (name === undefined) {
      if (names.size >= PREPARED_LIMIT) return { text: sql, values: params as unknown[] };
      name = `s${names.size}`;
      names.set(sql, name);
    }
    return { name, text: sql, values: params as unknown[] };
  };
}

export function openPostgres(url: string): Db {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  const statement = preparedStatements();
  // A lost connection must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  return {
    engine: 'postgres',
    async query(sql, params) {
      const result = await pool.query(statement(sql, params));
      return result.rows;
    },
    async transaction(fn) {
      const client = await pool.connect();
      // A checked-out client has no pool listener: a server that goes away (a restart, a failover)
      // would emit an unhandled 'error' and end the process. Keep it, and have the pool drop the client.
      let broken: Error | undefined;
      const onError = (error: Error) => (broken = error);
      client.on('error', onError);
      try {
        await client.query('BEGIN');
        const result = await fn({
          async query(sql, params) {
            return (await client.query(statement(sql, params))).rows;
          },
        });
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.off('error', onError);
        client.release(broken);
      }
    },
    close: () => pool.end(),
  };
}

/** dataDir undefined = in memory (tests). */
export async function openPglite(dataDir?: string): Promise<Db> {
  const db = dataDir ? new PGlite(dataDir) : new PGlite();
  await db.waitReady;
  return {
    engine: 'pglite',
    async query(sql, params) {
      return (await db.query(sql, params as unknown[] | undefined)).rows as never;
    },
    transaction(fn) {
      return db.transaction((tx) =>
        fn({
          async query(sql, params) {
            return (await tx.query(sql, params as unknown[] | undefined)).rows as never;
          },
        }),
      );
    },
    close: () => db.close(),
  };
}

/** The cheapest round trip: resolves when the database answers. */
export async function pingDatabase(q: Queryable): Promise<void> {
  await q.query('SELECT 1');
}
