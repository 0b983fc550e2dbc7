// Moving a gateway from its embedded store to PostgreSQL, as an operator does it: a gateway on PGlite
// takes dossiers (the log writer signs checkpoints over them), is stopped, `lgsp-migrate-store` copies
// the folder into an empty PostgreSQL database, and a gateway started on that database carries on.
// The auditors notice nothing: check-log passes on the copy, an evidence bundle taken before still
// verifies and its leaf is the same leaf after, and the new checkpoints extend the old ones.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PortalSimulator } from '../../adapters/national-portal/index.js';
import { startNationalPortalSimulator } from '../../adapters/national-portal/index.js';
import { verifyBundle } from '../../src/audit/verify-bundle.js';
import { openDatabase, openPostgres, type Db } from '../../src/store/db.js';
import { sampleDossier, sampleEvent } from '../support/dossiers.js';
import { KEYS, eventually, startTestGateway, type TestGateway } from '../support/gateway.js';
import { freshDatabaseUrl } from '../support/services.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PDF = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(script: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli', script), ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '' } }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}

/** Every table's rows as text, sorted, with times in UTC: two stores hold the same data iff these are equal. */
async function dump(db: Db): Promise<Map<string, string[]>> {
  return db.transaction(async (tx) => {
    await tx.query("SET LOCAL TimeZone = 'UTC'");
    const tables = await tx.query<{ name: string }>("SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations' ORDER BY 1");
    const out = new Map<string, string[]>();
    for (const { name } of tables) out.set(name, (await tx.query<{ row: string }>(`SELECT t::text AS row FROM "${name}" t ORDER BY 1`)).map((r) => r.row));
    return out;
  });
}

// Each command is a fresh Node process loading TypeScript through tsx, a few seconds apiece.
describe('lgsp-migrate-store: from PGlite to PostgreSQL', { timeout: 180_000 }, () => {
  let sim: PortalSimulator;
  let before: TestGateway;
  let after: TestGateway | undefined;
  let dataDir: string;
  let targetUrl: string;
  let logKeyFile: string;
  let work: string;
  let sourceRows: Map<string, string[]>;
  let bundleBefore: any;
  let sizeBefore: number;
  const watchState = () => path.join(work, 'watch.state');

  const checkpointSize = async (gw: TestGateway) => {
    const r = await gw.call('GET', '/v1/audit/checkpoint', { key: KEYS.auditor });
    return r.status === 200 ? Number(String(r.body).split('\n')[1]) : 0;
  };
  const logSize = async (gw: TestGateway) => Number((await gw.gateway.db.query<{ n: string }>('SELECT count(*)::text AS n FROM message_log'))[0]!.n);
  // Every message settled, so no record is still to come (the event goes out after its dossier).
  const settled = async (gw: TestGateway) =>
    (await gw.gateway.db.query<{ n: string }>(`SELECT count(*)::text AS n FROM messages WHERE state IN ('pending', 'failed')`))[0]!.n === '0';

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'lgsp-migrate-'));
    sim = await startNationalPortalSimulator();
    before = await startTestGateway({ engine: 'pglite', sim });
    dataDir = before.dataDir;
    logKeyFile = path.join(dataDir, 'audit-log.key.pub');
    const upload = await before.call('POST', '/v1/files', { key: KEYS.oneStop, raw: PDF, headers: { 'content-type': 'application/pdf', 'x-file-name': 'to-khai.pdf' } });
    expect(upload.status).toBe(201);
    for (const code of ['MOVE-1', 'MOVE-2', 'MOVE-3']) expect((await before.call('POST', '/v1/dossiers', { key: KEYS.oneStop, body: sampleDossier(code) })).status).toBe(202);
    expect((await before.call('POST', '/v1/dossiers/MOVE-1/events', { key: KEYS.oneStop, body: sampleEvent(1, 'PROCESSING') })).status).toBe(202);
    await eventually(() => ['MOVE-1', 'MOVE-2', 'MOVE-3'].every((c) => sim.dossiers.has(c)), 'the dossiers reach the portal');
    await eventually(() => settled(before), 'every message is settled');
    await eventually(async () => (await checkpointSize(before)) === (await logSize(before)), 'a checkpoint covers every record');
    sizeBefore = await checkpointSize(before);
    const records = await before.call('GET', '/v1/audit/records?dossierCode=MOVE-2&direction=in', { key: KEYS.auditor });
    bundleBefore = (await before.call('GET', `/v1/audit/bundles/${records.body.records[0].index}`, { key: KEYS.auditor })).body;
    const watch = await cli('lgsp-audit.ts', ['watch', '--url', before.url, '--api-key', KEYS.auditor, '--state', watchState(), '--log-key', logKeyFile]);
    expect(watch.stdout).toMatch(new RegExp(`^OK: checkpoint ${sizeBefore} saved`));

    // Stopped, not removed: the data folder is what is being moved.
    await before.gateway.close();
    const source = await openDatabase({ dataDir });
    sourceRows = await dump(source);
    await source.close();
    targetUrl = await freshDatabaseUrl();
  }, 180_000);

  afterAll(async () => {
    await after?.close();
    await sim?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('refuses a folder that holds no store, a missing target and a bad log key, touching nothing (exit 2)', async () => {
    for (const args of [
      ['--data-dir', work, '--database-url', targetUrl, '--log-key', logKeyFile],
      ['--data-dir', dataDir, '--log-key', logKeyFile],
      ['--data-dir', dataDir, '--database-url', targetUrl, '--log-key', path.join(work, 'no-such.pub')],
      ['--data-dir', dataDir, '--database-url', targetUrl, '--batch-size', '0'],
    ]) {
      const run = await cli('lgsp-migrate-store.ts', args);
      expect(run.code, run.stdout + run.stderr).toBe(2);
      expect(run.stderr).toMatch(/^lgsp-migrate-store: .*\n\nUsage:/);
    }
    const target = openPostgres(targetUrl);
    try {
      expect(await target.query("SELECT 1 FROM pg_tables WHERE schemaname = 'public'")).toHaveLength(0);
    } finally {
      await target.close();
    }
  });

  it('copies every table in small batches and prints the count of each', async () => {
    const run = await cli('lgsp-migrate-store.ts', ['--data-dir', dataDir, '--database-url', targetUrl, '--log-key', logKeyFile, '--batch-size', '3']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    for (const [table, rows] of sourceRows) expect(run.stdout).toMatch(new RegExp(`^  ${table} +${rows.length} rows$`, 'm'));
    expect(run.stdout).toMatch(new RegExp(`^OK: \\d+ rows in ${sourceRows.size} tables; the audit log's ${sizeBefore} leaves match all \\d+ checkpoints$`, 'm'));
    // Parents come before the tables that refer to them.
    const order = [...run.stdout.matchAll(/^ {2}(\S+) +\d+ rows$/gm)].map((m) => m[1]);
    expect(order.indexOf('dossiers')).toBeLessThan(order.indexOf('dossier_events'));
    expect(order.indexOf('audit_checkpoints')).toBeLessThan(order.indexOf('audit_cosignatures'));
    // Nothing personal from the dossiers reaches the output.
    expect(run.stdout + run.stderr).not.toMatch(/Phạm Văn Bình|001090009999/);
  });

  it('leaves the same rows in PostgreSQL as in the folder, to the byte', async () => {
    const target = openPostgres(targetUrl);
    try {
      const copied = await dump(target);
      expect([...copied.keys()]).toEqual([...sourceRows.keys()]);
      for (const [table, rows] of sourceRows) expect(copied.get(table), table).toEqual(rows);
      expect(sourceRows.get('message_log')!.length).toBeGreaterThan(0);
      expect(sourceRows.get('files')).toHaveLength(1);
    } finally {
      await target.close();
    }
  });

  it('passes lgsp-audit check-log on the PostgreSQL copy', async () => {
    const run = await cli('lgsp-audit.ts', ['check-log', '--log-key', logKeyFile, '--database-url', targetUrl]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^OK: ${sizeBefore} leaves and \\d+ checkpoints match`));
  });

  it('refuses to migrate again into the now filled target (exit 1), and changes nothing there', async () => {
    const target = openPostgres(targetUrl);
    try {
      const rowsBefore = await dump(target);
      const run = await cli('lgsp-migrate-store.ts', ['--data-dir', dataDir, '--database-url', targetUrl, '--log-key', logKeyFile]);
      expect(run.code, run.stdout + run.stderr).toBe(1);
      expect(run.stdout).toMatch(/^REFUSED: the target is not empty \(table \w+ has rows\)/m);
      expect(await dump(target)).toEqual(rowsBefore);
    } finally {
      await target.close();
    }
  });

  it('runs on: a gateway on the PostgreSQL copy takes new dossiers and events, the log grows on from the old checkpoints, and the old bundle still verifies', async () => {
    // Same partners, same log key and origin; only the store changed.
    after = await startTestGateway({ engine: 'pglite', sim, env: { DATABASE_URL: targetUrl, AUDIT_LOG_KEY_FILE: path.join(dataDir, 'audit-log.key') } });
    expect(after.gateway.db.engine).toBe('postgres');
    expect((await after.call('GET', '/v1/dossiers/MOVE-1', { key: KEYS.oneStop })).body.status).toBe('PROCESSING');
    expect((await after.call('POST', '/v1/dossiers', { key: KEYS.oneStop, body: sampleDossier('MOVE-4') })).status).toBe(202);
    expect((await after.call('POST', '/v1/dossiers/MOVE-1/events', { key: KEYS.oneStop, body: sampleEvent(2, 'COMPLETED') })).status).toBe(202);
    await eventually(() => sim.dossiers.has('MOVE-4'), 'the new dossier reaches the portal');
    await eventually(() => settled(after!), 'every message is settled');
    const grown = await eventually(async () => {
      const size = await checkpointSize(after!);
      return size > sizeBefore && size === (await logSize(after!)) && size;
    }, 'a new checkpoint covers the new records');
    // New records continue the old numbering rather than colliding with it.
    const seqs = (await after.gateway.db.query<{ seq: string }>('SELECT seq::text AS seq FROM message_log ORDER BY seq')).map((r) => Number(r.seq));
    expect(new Set(seqs).size).toBe(seqs.length);

    const logKey = (await readFile(logKeyFile, 'utf8')).trim();
    expect(verifyBundle(bundleBefore, { logKey })).toEqual({ ok: true, notes: expect.any(Array) });
    const bundleAfter = (await after.call('GET', `/v1/audit/bundles/${bundleBefore.index}`, { key: KEYS.auditor })).body;
    expect(bundleAfter.inclusionProof.treeSize).toBe(grown);
    expect(bundleAfter.leaf).toEqual(bundleBefore.leaf);
    expect(verifyBundle(bundleAfter, { logKey })).toEqual({ ok: true, notes: expect.any(Array) });

    // The auditor's watcher, whose saved checkpoint predates the move, proves the log only grew.
    const watch = await cli('lgsp-audit.ts', ['watch', '--url', after.url, '--api-key', KEYS.auditor, '--state', watchState(), '--log-key', logKeyFile]);
    expect(watch.stdout, watch.stderr).toMatch(new RegExp(`^OK: checkpoint ${grown} is consistent with the saved checkpoint ${sizeBefore}, and now saved`));
    const check = await cli('lgsp-audit.ts', ['check-log', '--log-key', logKeyFile, '--database-url', targetUrl]);
    expect(check.stdout).toMatch(new RegExp(`^OK: ${grown} leaves`));
  });
});
