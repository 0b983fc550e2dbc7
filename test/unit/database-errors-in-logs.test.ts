// Issue 14, finding 4: when PostgreSQL refuses a value, the error must neither carry the SQL
// parameters (the citizen's name, ID number, phone, address) into a log line nor become a 500.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyError } from 'fastify';
import { capturedLog } from '../support/captured-log.js';
import { toProblem } from '../../src/plugins/problems.js';
import { openPglite, type Db } from '../../src/store/db.js';

const CITIZEN = { name: 'Nguyễn Thị Lan', idNumber: '001190012345', phone: '0912345678', address: '12 Hàng Bài, Hoàn Kiếm' };

describe('database errors in logs and answers', () => {
  let db: Db;
  beforeAll(async () => {
    db = await openPglite();
    await db.query('CREATE TABLE people (data jsonb, id uuid)');
  });
  afterAll(async () => db?.close());

  const refused = async (sql: string, params: unknown[]): Promise<Error> => {
    try {
      await db.query(sql, params);
    } catch (error) {
      return error as Error;
    }
    throw new Error('the database accepted it');
  };

  const cases: [string, string, unknown[], string][] = [
    ['a NUL in jsonb (22P05)', 'INSERT INTO people (data) VALUES ($1)', [JSON.stringify({ ...CITIZEN, name: `${CITIZEN.name}\u0000` })], '22P05'],
    ['a lone surrogate in jsonb (22P02)', 'INSERT INTO people (data) VALUES ($1)', [JSON.stringify(CITIZEN).replace('}', ',"x":"\\ud800"}')], '22P02'],
    ['text that is not a uuid (22P02)', 'INSERT INTO people (data, id) VALUES ($1, $2)', [JSON.stringify(CITIZEN), CITIZEN.idNumber], '22P02'],
  ];

  it.each(cases)('logs %s without the parameters or the refused value', async (_what, sql, params, sqlstate) => {
    const error = await refused(sql, params);
    expect((error as { code?: string }).code).toBe(sqlstate);
    const log = capturedLog();
    log.logger.error({ err: error }, 'request failed');
    expect(log.lines).toHaveLength(1);
    for (const value of Object.values(CITIZEN)) {
      expect(log.lines[0]).not.toContain(value);
      expect(log.lines[0]).not.toContain(JSON.stringify(value).slice(1, -1));
    }
    expect(JSON.parse(log.lines[0]!).err.code).toBe(sqlstate);
  });

  it.each(cases)('answers %s as 400 unstorable-value, not 500', async (_what, sql, params) => {
    const problem = toProblem((await refused(sql, params)) as FastifyError);
    expect(problem.status).toBe(400);
    expect(problem.code).toBe('unstorable-value');
  });

});
