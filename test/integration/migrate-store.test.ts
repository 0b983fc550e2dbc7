// migrateStore between an embedded store (PGlite in memory) and a fresh PostgreSQL database: what it
// refuses, and that a refusal leaves the target holding its empty schema and nothing else.
import { afterEach, describe, expect, it } from 'vitest';
import { pruneBodies } from '../../src/audit/bodies.js';
import { openPglite, openPostgres, type Db } from '../../src/store/db.js';
import { migrateStore } from '../../src/store/migrate-store.js';
import { openTestAuditLog, seedHonestLog, type TestAuditLog } from '../support/audit-log.js';
import { freshDatabaseUrl } from '../support/services.js';

const rowsIn = async (db: Db, table: string) => Number((await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${table}`))[0]!.n);

// PGlite takes seconds to start and migrate on a loaded machine; each case makes its own stores.
describe('migrateStore', { timeout: 120_000 }, () => {
  const open: Db[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((db) => db.close()));
  });

  async function stores(): Promise<{ log: TestAuditLog; target: Db }> {
    const source = await openPglite();
    const target = openPostgres(await freshDatabaseUrl());
    open.push(source, target);
    const log = await openTestAuditLog(source);
    await seedHonestLog(log, 12, 4);
    return { log, target };
  }

  it('copies a log whose old bodies were pruned by retention: the proofs need only the commitments', async () => {
    const { log, target } = await stores();
    expect(await pruneBodies(log.db, new Date(Date.now() + 60_000))).toBeGreaterThan(0);
    const result = await migrateStore(log.db, target, { logKey: log.key.verifierKey, batchSize: 5 });
    expect(result).toMatchObject({ ok: true, treeSize: 12, checkpoints: 3 });
    expect(await rowsIn(target, 'audit_bodies WHERE pruned_at IS NOT NULL')).toBe(await rowsIn(log.db, 'audit_bodies WHERE pruned_at IS NOT NULL'));
    // The sequence goes on from the source's: the next record does not reuse a number.
    const [next] = await target.query<{ seq: string }>("SELECT nextval('message_log_seq_seq')::text AS seq");
    expect(Number(next!.seq)).toBe((await rowsIn(log.db, 'message_log')) + 1);
  });

  it('refuses a source whose log was altered, and copies nothing', async () => {
    const { log, target } = await stores();
    await log.db.query("UPDATE message_log SET outcome = 'refused' WHERE seq = (SELECT log_seq FROM audit_leaves WHERE leaf_index = 5)");
    const result = await migrateStore(log.db, target, { logKey: log.key.verifierKey });
    expect(result).toEqual({ ok: false, reason: expect.stringMatching(/^the source's audit log does not verify.*leaf 5: differs from message-log record/) });
    for (const table of ['message_log', 'audit_leaves', 'audit_checkpoints', 'certificates']) expect(await rowsIn(target, table)).toBe(0);
  });

  it('refuses a source checked with another log key, and copies nothing', async () => {
    const { log, target } = await stores();
    const other = await openTestAuditLog(await openPglite().then((db) => (open.push(db), db)));
    const result = await migrateStore(log.db, target, { logKey: other.key.verifierKey });
    expect(result.ok).toBe(false);
    expect(await rowsIn(target, 'message_log')).toBe(0);
  });

  it('refuses a target that already holds rows, and leaves them as they were', async () => {
    const { log, target } = await stores();
    const elsewhere = await openPglite();
    open.push(elsewhere);
    const first = await openTestAuditLog(elsewhere);
    await seedHonestLog(first, 3, 3);
    expect((await migrateStore(elsewhere, target, { logKey: first.key.verifierKey })).ok).toBe(true);
    const result = await migrateStore(log.db, target, { logKey: log.key.verifierKey });
    expect(result).toEqual({ ok: false, reason: expect.stringMatching(/^the target is not empty/) });
    expect(await rowsIn(target, 'message_log')).toBe(3);
  });
});
