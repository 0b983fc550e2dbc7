// check-log over a real store, on both engines: an honest log passes; a stored record altered,
// deleted or reordered behind the writer's back is named by check-log, and by the bundle verifier
// wherever the evidence itself changed; pruning bodies under the retention policy breaks nothing.
import { afterEach, describe, expect, it } from 'vitest';
import { pruneBodies } from '../../src/audit/bodies.js';
import { checkLog } from '../../src/audit/check-log.js';
import { encodeLeaf, decodeLeaf } from '../../src/audit/leaf.js';
import { leafHash } from '../../src/audit/merkle.js';
import { generateNoteKey, openNote, parseSignerKey, signNote } from '../../src/audit/note.js';
import { verifyBundle } from '../../src/audit/verify-bundle.js';
import { TrustStore } from '../../src/crypto/trust-store.js';
import { openPglite, openPostgres, type Db } from '../../src/store/db.js';
import { AUDIT_ORIGIN, openTestAuditLog, seedHonestLog, type TestAuditLog } from '../support/audit-log.js';
import { freshDatabaseUrl } from '../support/services.js';

const LEAVES = 9;

describe.each(['pglite', 'postgres'] as const)('checkLog on %s', (engine) => {
  const open: Db[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((db) => db.close()));
  });

  /** A fresh honest log: 9 records (signed dossiers, refusals, signed deliveries), checkpoints at 3, 6 and 9. */
  async function freshLog(options: { batchSize?: number } = {}): Promise<TestAuditLog> {
    const db = engine === 'pglite' ? await openPglite() : openPostgres(await freshDatabaseUrl());
    open.push(db);
    return openTestAuditLog(db, options);
  }
  async function seeded(): Promise<TestAuditLog> {
    const log = await freshLog();
    await seedHonestLog(log, LEAVES, 3);
    return log;
  }
  const check = (log: TestAuditLog) => checkLog(log.db, log.key.verifierKey);
  const verify = async (log: TestAuditLog, index: number) => {
    const trust = await TrustStore.load(log.pki.trustDir);
    return verifyBundle(await log.bundle(index), { logKey: log.key.verifierKey, trust });
  };
  const leafRow = async (log: TestAuditLog, index: number) =>
    (await log.db.query<{ log_seq: string; leaf: Uint8Array }>('SELECT log_seq::text AS log_seq, leaf FROM audit_leaves WHERE leaf_index = $1', [index]))[0]!;

  it('passes an honest log, and every bundle of it', async () => {
    const log = await seeded();
    expect(await check(log)).toEqual({ ok: true, treeSize: LEAVES, checkpoints: 3 });
    for (let index = 0; index < LEAVES; index += 1) expect(await verify(log, index), `leaf ${index}`).toEqual({ ok: true, notes: [] });
  });

  it('passes a log longer than a page of leaves, checkpointed at every batch', async () => {
    const log = await freshLog({ batchSize: 600 });
    await log.db.query(
      "INSERT INTO message_log (direction, partner_id, endpoint, outcome, error_code) SELECT 'in', 'hanoi-one-stop', 'POST /v1/dossiers', 'refused', 'invalid-request' FROM generate_series(1, 2345)",
    );
    expect(await log.integrate()).toBe(2345);
    expect(await check(log)).toEqual({ ok: true, treeSize: 2345, checkpoints: 4 });
  });

  it('names an altered message-log record; the bundle still proves what was logged', async () => {
    const log = await seeded();
    const { log_seq: seq } = await leafRow(log, 3);
    await log.db.query("UPDATE message_log SET outcome = 'refused' WHERE seq = $1", [seq]);
    expect(await check(log)).toEqual({ ok: false, reason: `leaf 3: differs from message-log record ${seq}` });
    expect((await verify(log, 3)).ok).toBe(true);
  });

  it('names a leaf altered without its hash', async () => {
    const log = await seeded();
    const { leaf } = await leafRow(log, 3);
    await log.db.query('UPDATE audit_leaves SET leaf = $1 WHERE leaf_index = 3', [Buffer.from(Buffer.from(leaf).toString().replace('accepted', 'refused!'))]);
    expect(await check(log)).toEqual({ ok: false, reason: 'leaf 3: hash does not match its bytes' });
    expect(await verify(log, 3)).toMatchObject({ ok: false, reason: expect.stringMatching(/^inclusion proof: leaf 3 does not lead to the root/) });
  });

  it('names a leaf and its record rewritten together: the tree no longer gives the checkpoint', async () => {
    const log = await seeded();
    const { log_seq: seq, leaf } = await leafRow(log, 3);
    const record = decodeLeaf(leaf)!;
    const rewritten = encodeLeaf({ ...record, outcome: 'refused' });
    await log.db.query("UPDATE message_log SET outcome = 'refused' WHERE seq = $1", [seq]);
    await log.db.query('UPDATE audit_leaves SET leaf = $1, leaf_hash = $2 WHERE leaf_index = 3', [rewritten, leafHash(rewritten)]);
    expect(await check(log)).toEqual({ ok: false, reason: 'checkpoint 6: root differs from the recomputed tree' });
    expect(await verify(log, 3)).toMatchObject({ ok: false, reason: expect.stringMatching(/^inclusion proof: leaf 3 does not lead to the root of checkpoint 9 /) });
  });

  it('names a deleted leaf; bundles of the others still verify', async () => {
    const log = await seeded();
    await log.db.query('DELETE FROM audit_leaves WHERE leaf_index = 4');
    expect(await check(log)).toEqual({ ok: false, reason: 'leaf 4: missing (the next stored leaf is 5)' });
    expect(await log.bundle(4).catch((error: Error) => error.message)).toBe('no bundle for leaf 4');
    expect((await verify(log, 5)).ok).toBe(true);
  });

  it('names a deleted message-log record', async () => {
    const log = await seeded();
    const { log_seq: seq } = await leafRow(log, 5);
    await log.db.query('DELETE FROM message_log WHERE seq = $1', [seq]);
    expect(await check(log)).toEqual({ ok: false, reason: `leaf 5: message-log record ${seq} is gone` });
  });

  it('names the last leaf deleted under a checkpoint', async () => {
    const log = await seeded();
    await log.db.query('DELETE FROM audit_leaves WHERE leaf_index = 8');
    expect(await check(log)).toEqual({ ok: false, reason: 'checkpoint 9: the log has only 8 leaves' });
  });

  it("names two leaves' bytes swapped, and the bundle of the moved leaf fails its proof", async () => {
    const log = await seeded();
    const [a, b] = [await leafRow(log, 3), await leafRow(log, 6)];
    for (const [index, row] of [[3, b], [6, a]] as const) {
      await log.db.query('UPDATE audit_leaves SET leaf = $1, leaf_hash = $2 WHERE leaf_index = $3', [row.leaf, leafHash(row.leaf), index]);
    }
    expect(await check(log)).toEqual({ ok: false, reason: `leaf 3: holds message-log record ${b.log_seq} but is stored for record ${a.log_seq}` });
    expect(await verify(log, 3)).toMatchObject({ ok: false, reason: expect.stringMatching(/^inclusion proof: leaf 3 does not lead to the root/) });
  });

  it('names two whole leaf rows swapped: each matches its record, the order does not match the checkpoint', async () => {
    const log = await seeded();
    const [a, b] = [await leafRow(log, 3), await leafRow(log, 6)];
    await log.db.query('UPDATE audit_leaves SET leaf_index = -1 WHERE leaf_index = 3');
    await log.db.query('UPDATE audit_leaves SET leaf_index = 3 WHERE leaf_index = 6');
    await log.db.query('UPDATE audit_leaves SET leaf_index = 6 WHERE leaf_index = -1');
    expect((await leafRow(log, 3)).log_seq).toBe(b.log_seq);
    expect(await check(log)).toEqual({ ok: false, reason: 'checkpoint 6: root differs from the recomputed tree' });
    expect((await verify(log, 3)).ok).toBe(false);
  });

  it('names an altered stored subtree, which would serve wrong proofs', async () => {
    const log = await seeded();
    await log.db.query('UPDATE audit_nodes SET hash = $1 WHERE level = 1 AND index = 2', [Buffer.alloc(32)]);
    expect(await check(log)).toEqual({ ok: false, reason: 'tree node 1/2: differs from the recomputed tree' });
  });

  it('names a checkpoint re-signed with another key', async () => {
    const log = await seeded();
    const [row] = await log.db.query<{ note: string }>('SELECT note FROM audit_checkpoints WHERE tree_size = 6');
    const forged = signNote(openNote(row!.note, [log.key.verifier]).text, [parseSignerKey(generateNoteKey(AUDIT_ORIGIN).signerKey)]);
    await log.db.query('UPDATE audit_checkpoints SET note = $1 WHERE tree_size = 6', [forged]);
    expect(await check(log)).toEqual({ ok: false, reason: 'checkpoint 6: the note does not verify with the log key (note has no verifiable signatures)' });
  });

  it('names a kept body that no longer matches its commitment', async () => {
    const log = await seeded();
    const { log_seq: seq } = await leafRow(log, 0);
    await log.db.query("UPDATE audit_bodies SET body = convert_to('{}', 'UTF8') WHERE log_seq = $1", [seq]);
    expect(await check(log)).toEqual({ ok: false, reason: 'leaf 0: the kept body does not match its commitment' });
    expect(await verify(log, 0)).toEqual({ ok: false, reason: "body: salt and bytes do not match the record's commitment" });
  });

  it('stays valid when bodies are pruned, and every bundle says the body is gone', async () => {
    const log = await seeded();
    expect(await pruneBodies(log.db, new Date(Date.now() + 60_000))).toBe(6);
    expect(await check(log)).toEqual({ ok: true, treeSize: LEAVES, checkpoints: 3 });
    for (let index = 0; index < LEAVES; index += 1) {
      const verdict = await verify(log, index);
      expect(verdict.ok, `leaf ${index}`).toBe(true);
      const pruned = index % 3 !== 1; // refusals (1, 4, 7) never had a body
      expect(verdict.ok && verdict.notes.some((note) => note.startsWith('body pruned on'))).toBe(pruned);
    }
  });
});
