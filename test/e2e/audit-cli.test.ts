// The lgsp-audit command, run as an auditor runs it (a child process), against a real gateway on
// PostgreSQL: bundles of partner-signed dossiers verify offline with the trust store and a tampered
// copy is refused; check-log passes the gateway's store; watch accepts a log that only grew and
// refuses one rewritten behind its back, even though the rewrite is re-signed with the log's own key.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JWS_HEADER, signDetachedJws } from '../../src/crypto/jws.js';
import { openDatabase } from '../../src/store/db.js';
import { openTestAuditLog, seedHonestLog } from '../support/audit-log.js';
import { sampleDossier } from '../support/dossiers.js';
import { KEYS, eventually, startTestGateway, type TestGateway } from '../support/gateway.js';
import { testPki, type TestPki } from '../support/pki.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(ROOT, 'src/cli/lgsp-audit.ts');
/** Writer lock of src/audit/log-writer.ts: a rewrite holding it cannot interleave with integration. */
const WRITER_LOCK = 7_352_002;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs lgsp-audit the way `npm run audit` does, without blocking the gateway in this process. */
function lgspAudit(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}

// Each command is a fresh Node process that loads TypeScript through tsx (1-2 s apiece, more on a
// loaded CI machine); a test that runs eight of them needs more than the default 30 s.
describe('lgsp-audit against a gateway on PostgreSQL', { timeout: 120_000 }, () => {
  let gw: TestGateway;
  let pki: TestPki;
  let work: string;
  let logKeyFile: string;

  /** Posts a dossier signed by Hà Nội over the exact bytes sent. */
  async function sendSigned(code: string): Promise<void> {
    const raw = Buffer.from(JSON.stringify(sampleDossier(code)));
    const headers = { 'content-type': 'application/json', [JWS_HEADER]: signDetachedJws(raw, pki.partners['hanoi-one-stop'].signer) };
    const response = await gw.call('POST', '/v1/dossiers', { key: KEYS.oneStop, raw, headers });
    expect(response.status, JSON.stringify(response.body)).toBe(202);
  }

  /** Waits until the latest checkpoint covers `size` leaves; answers its note. */
  async function checkpointOf(size: number, differentFrom?: string): Promise<string> {
    return eventually(async () => {
      const res = await gw.call('GET', '/v1/audit/checkpoint', { key: KEYS.auditor });
      const note = res.status === 200 ? (res.body as string) : '';
      return note.split('\n')[1] === String(size) && note !== differentFrom ? note : undefined;
    }, `a checkpoint of size ${size}`);
  }

  async function indexOf(code: string, direction: 'in' | 'out'): Promise<number> {
    const res = await gw.call('GET', `/v1/audit/records?dossierCode=${code}&direction=${direction}`, { key: KEYS.auditor });
    return res.body.records[0].index;
  }

  async function saveBundle(index: number, change?: (bundle: any) => void): Promise<string> {
    const res = await gw.call('GET', `/v1/audit/bundles/${index}`, { key: KEYS.auditor });
    expect(res.status).toBe(200);
    change?.(res.body);
    const file = path.join(work, `bundle-${index}-${change ? 'tampered' : 'honest'}.json`);
    await writeFile(file, JSON.stringify(res.body));
    return file;
  }

  const expectOneLine = (run: Run, code: number, line: RegExp) => {
    expect(run.code, run.stdout + run.stderr).toBe(code);
    expect(run.stdout).toMatch(line);
    expect(run.stdout.split('\n').filter(Boolean)).toHaveLength(1);
    // Nothing personal from the dossiers reaches the output.
    expect(run.stdout + run.stderr).not.toMatch(/Phạm Văn Bình|001090009999|0987654321/);
  };

  beforeAll(async () => {
    pki = await testPki();
    gw = await startTestGateway({ engine: 'postgres' });
    work = await mkdtemp(path.join(os.tmpdir(), 'lgsp-audit-cli-'));
    logKeyFile = path.join(gw.dataDir, 'audit-log.key.pub');
    for (const code of ['CLI-1', 'CLI-2']) await sendSigned(code);
    // Each dossier is one record in and one delivery out.
    await checkpointOf(4);
  });
  afterAll(async () => {
    await gw?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('verify: a bundle of a partner-signed dossier, and of its signed delivery, passes with the trust store (exit 0)', async () => {
    for (const index of [await indexOf('CLI-1', 'in'), await indexOf('CLI-1', 'out')]) {
      const run = await lgspAudit(['verify', await saveBundle(index), '--log-key', logKeyFile, '--trust-store', pki.trustDir]);
      expectOneLine(run, 0, new RegExp(`^OK: leaf ${index} is in the log at tree size 4\\n$`));
    }
  });

  it('verify: the log key given inline works as well as its file, and without a trust store the output says so', async () => {
    const key = (await readFile(logKeyFile, 'utf8')).trim();
    const run = await lgspAudit(['verify', await saveBundle(await indexOf('CLI-2', 'in')), '--log-key', key]);
    expectOneLine(run, 0, /^OK: .*; no trust store given: the chain was not checked against trusted CAs\n$/);
  });

  it('verify: a tampered copy (the record says refused) is refused in one line (exit 1)', async () => {
    const file = await saveBundle(await indexOf('CLI-1', 'in'), (bundle) => (bundle.record.outcome = 'refused'));
    const run = await lgspAudit(['verify', file, '--log-key', logKeyFile, '--trust-store', pki.trustDir]);
    expectOneLine(run, 1, /^FAILED: record: differs from the leaf \d+\n$/);
  });

  it('verify: a tampered body is refused (exit 1)', async () => {
    const file = await saveBundle(await indexOf('CLI-2', 'in'), (bundle) => {
      bundle.body.bytes = Buffer.from(Buffer.from(bundle.body.bytes, 'base64').toString().replace('CLI-2', 'CLI-9')).toString('base64');
    });
    const run = await lgspAudit(['verify', file, '--log-key', logKeyFile, '--trust-store', pki.trustDir]);
    expectOneLine(run, 1, /^FAILED: body: salt and bytes do not match the record's commitment\n$/);
  });

  it('verify: a missing file, a file that is not JSON, a bad key and unknown options are usage errors (exit 2)', async () => {
    const bundle = await saveBundle(await indexOf('CLI-1', 'in'));
    const notJson = path.join(work, 'not.json');
    await writeFile(notJson, 'not json');
    const runs = [
      await lgspAudit(['verify', path.join(work, 'missing.json'), '--log-key', logKeyFile]),
      await lgspAudit(['verify', notJson, '--log-key', logKeyFile]),
      await lgspAudit(['verify', bundle, '--log-key', 'lgsp.test/audit-log+00000000+AAAA']),
      await lgspAudit(['verify', bundle]),
      await lgspAudit(['verify', bundle, '--log-key', logKeyFile, '--no-such-option']),
      await lgspAudit(['verify', bundle, '--log-key', logKeyFile, '--trust-store', path.join(work, 'no-such-dir')]),
      await lgspAudit(['frobnicate']),
    ];
    for (const run of runs) {
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toMatch(/^lgsp-audit: .*\n\nUsage:/);
    }
    expect((await lgspAudit(['--help'])).code).toBe(0);
  });

  it("check-log: the gateway's PostgreSQL store passes, from --database-url or DATABASE_URL (exit 0)", async () => {
    expectOneLine(await lgspAudit(['check-log', '--log-key', logKeyFile, '--database-url', gw.databaseUrl!]), 0, /^OK: \d+ leaves and \d+ checkpoints match/);
    expectOneLine(await lgspAudit(['check-log', '--log-key', logKeyFile], { DATABASE_URL: gw.databaseUrl! }), 0, /^OK: /);
  });

  it('check-log: an embedded (PGlite) store in --data-dir passes, and one with an altered record fails (exit 1)', async () => {
    const dataDir = path.join(work, 'embedded');
    const db = await openDatabase({ dataDir });
    const log = await openTestAuditLog(db);
    await seedHonestLog(log, 4, 2);
    const key = log.key.verifierKey;
    await db.close();
    expectOneLine(await lgspAudit(['check-log', '--log-key', key, '--data-dir', dataDir]), 0, /^OK: 4 leaves and 2 checkpoints match/);
    const altered = await openDatabase({ dataDir });
    await altered.query("UPDATE message_log SET dossier_code = 'OTHER' WHERE seq = (SELECT log_seq FROM audit_leaves WHERE leaf_index = 0)");
    await altered.close();
    expectOneLine(await lgspAudit(['check-log', '--log-key', key, '--data-dir', dataDir]), 1, /^FAILED: leaf 0: differs from message-log record \d+\n$/);
    expect((await lgspAudit(['check-log', '--log-key', key, '--data-dir', path.join(work, 'nothing-here')])).code).toBe(2);
  });

  it('check-log: refuses a PGlite store another process holds (a running gateway), naming it (exit 2)', async () => {
    const dataDir = path.join(work, 'held');
    const held = await openDatabase({ dataDir });
    const log = await openTestAuditLog(held);
    await seedHonestLog(log, 2, 1);
    try {
      const run = await lgspAudit(['check-log', '--log-key', log.key.verifierKey, '--data-dir', dataDir]);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/^lgsp-audit: the PGlite store .*held\/pglite is in use by process \d+ on .* stop that process first/);
      expect(run.stderr).toContain(`process ${process.pid} `);
    } finally {
      await held.close();
    }
    expectOneLine(await lgspAudit(['check-log', '--log-key', log.key.verifierKey, '--data-dir', dataDir]), 0, /^OK: 2 leaves and \d+ checkpoints match/);
  });

  it('verify with no bundle: the usage, not "--log-key is required" (exit 2)', async () => {
    for (const args of [['verify'], ['verify', '--log-key', logKeyFile]]) {
      const run = await lgspAudit(args);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/^lgsp-audit: verify takes exactly one bundle file\n\nUsage:/);
      expect(run.stderr).not.toContain('--log-key is required');
    }
  });

  it('watch: saves the first checkpoint, then accepts a log that only grew (exit 0)', async () => {
    const state = path.join(work, 'grown.state');
    const args = ['watch', '--url', gw.url, '--api-key', KEYS.auditor, '--state', state, '--log-key', logKeyFile];
    expectOneLine(await lgspAudit(args), 0, /^OK: checkpoint 4 saved in /);
    await sendSigned('CLI-3');
    const grown = await checkpointOf(6);
    expectOneLine(await lgspAudit(args), 0, /^OK: checkpoint 6 is consistent with the saved checkpoint 4, and now saved\n$/);
    expect(await readFile(state, 'utf8')).toBe(grown);
    expect((await lgspAudit([...args.slice(0, 3), '--api-key', KEYS.oneStop, ...args.slice(5)])).code).toBe(2);
  });

  it('watch: a log rewritten behind its back and re-signed with the same key is refused as a fork (exit 1)', async () => {
    const state = path.join(work, 'fork.state');
    const args = ['watch', '--url', gw.url, '--api-key', KEYS.auditor, '--state', state, '--log-key', logKeyFile];
    const honest = await checkpointOf(6);
    expectOneLine(await lgspAudit(args), 0, /^OK: checkpoint 6 saved/);

    // Somebody with write access to the database alters record 2 and has the gateway's own writer
    // re-integrate and re-sign everything from there: the new history is signed by the real key.
    const from = 2;
    await gw.gateway.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [WRITER_LOCK]);
      await tx.query("UPDATE message_log SET outcome = 'refused', error_code = 'invalid-request' WHERE seq = (SELECT log_seq FROM audit_leaves WHERE leaf_index = $1)", [from]);
      await tx.query('DELETE FROM audit_cosignatures WHERE tree_size > $1', [from]);
      await tx.query('DELETE FROM audit_checkpoints WHERE tree_size > $1', [from]);
      await tx.query('DELETE FROM audit_nodes WHERE (index + 1) * (1::bigint << level) > $1', [from]);
      await tx.query('DELETE FROM audit_leaves WHERE leaf_index >= $1', [from]);
    });
    const rewritten = await checkpointOf(6, honest);
    // The store agrees with itself and with the key: only a saved checkpoint can tell.
    expectOneLine(await lgspAudit(['check-log', '--log-key', logKeyFile, '--database-url', gw.databaseUrl!]), 0, /^OK: 6 leaves/);

    expectOneLine(await lgspAudit(args), 1, /^FAILED: fork detected: checkpoint 6 is not consistent with the saved checkpoint 6\n$/);
    await sendSigned('CLI-4');
    await checkpointOf(8);
    expectOneLine(await lgspAudit(args), 1, /^FAILED: fork detected: checkpoint 8 is not consistent with the saved checkpoint 6\n$/);
    // The auditor's state still holds the checkpoint it accepted, not the forked one.
    expect(await readFile(state, 'utf8')).toBe(honest);
    expect(rewritten).not.toBe(honest);
  });
});
