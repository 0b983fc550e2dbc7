// The audit API over a running gateway: every message becomes a leaf, checkpoints are signed by the
// log key, proofs check against them, only auditors read records, and witnesses can co-sign.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCheckpoint } from '../../src/audit/checkpoint.js';
import { cosign, generateCosignerKey, parseCosignerKey } from '../../src/audit/cosignature.js';
import { encodeLeaf } from '../../src/audit/leaf.js';
import { leafHash, verifyConsistency, verifyInclusion } from '../../src/audit/merkle.js';
import { openNote, parseVerifierKey } from '../../src/audit/note.js';
import { sampleDossier, sampleEvent } from '../support/dossiers.js';
import { KEYS, TEST_LOG_ORIGIN, eventually, startTestGateway, type TestGateway } from '../support/gateway.js';

describe('the audit API', () => {
  const witness = generateCosignerKey('witness.example/w1');
  let gw: TestGateway;
  let verifierKey: string;
  let publishDir: string;

  beforeAll(async () => {
    publishDir = await mkdtemp(path.join(os.tmpdir(), 'lgsp-publish-'));
    gw = await startTestGateway({ engine: 'pglite', env: { AUDIT_WITNESS_KEYS: witness.verifierKey, AUDIT_PUBLISH_DIR: publishDir } });
    verifierKey = (await readFile(path.join(gw.dataDir, 'audit-log.key.pub'), 'utf8')).trim();
    for (const code of ['AUDIT-1', 'AUDIT-2']) {
      expect((await gw.call('POST', '/v1/dossiers', { key: KEYS.oneStop, body: sampleDossier(code) })).status).toBe(202);
    }
    expect((await gw.call('POST', '/v1/dossiers/AUDIT-1/events', { key: KEYS.oneStop, body: sampleEvent(1, 'PROCESSING') })).status).toBe(202);
    await gw.call('POST', '/v1/dossiers', { key: KEYS.oneStop, body: { code: 'AUDIT-BAD' } });
    const delivered = async (code: string) =>
      ((await gw.call('GET', `/v1/audit/records?dossierCode=${code}`, { key: KEYS.auditor })).body.records ?? []).filter((r: { outcome: string }) => r.outcome === 'delivered').length;
    await eventually(async () => (await delivered('AUDIT-1')) === 2 && (await delivered('AUDIT-2')) === 1, 'AUDIT-1 and AUDIT-2 delivered and integrated');
    // Checkpoints come at most once per interval: wait for one that covers the whole tree.
    await eventually(async () => {
      const { treeSize } = (await gw.call('GET', '/v1/audit/records?limit=1', { key: KEYS.auditor })).body;
      const note = (await gw.call('GET', '/v1/audit/checkpoint', { key: KEYS.auditor })).body as string;
      return typeof note === 'string' && note.split('\n')[1] === String(treeSize);
    }, 'a checkpoint covering every record');
  });
  afterAll(async () => {
    await gw?.close();
    await rm(publishDir, { recursive: true, force: true });
  });

  const latest = async () => {
    const res = await gw.call('GET', '/v1/audit/checkpoint', { key: KEYS.auditor });
    expect(res.status).toBe(200);
    return { note: res.body as string, checkpoint: parseCheckpoint(openNote(res.body as string, [parseVerifierKey(verifierKey)]).text) };
  };

  it('publishes the log key and a checkpoint signed by it, also on the public /checkpoint', async () => {
    const key = await gw.call('GET', '/v1/audit/log-key', { key: KEYS.auditor });
    expect(key.body).toEqual({ origin: TEST_LOG_ORIGIN, verifierKey, witnesses: ['witness.example/w1'] });
    const { checkpoint } = await latest();
    expect(checkpoint.origin).toBe(TEST_LOG_ORIGIN);
    const open = await gw.call('GET', '/checkpoint');
    expect(open.status).toBe(200);
    expect(String(open.headers['content-type'])).toMatch(/^text\/plain/);
    expect(() => openNote(open.body as string, [parseVerifierKey(verifierKey)])).not.toThrow();
  });

  it('writes the latest checkpoint to the publish folder for a second party to copy', async () => {
    await eventually(async () => {
      const published = await readFile(path.join(publishDir, 'checkpoint'), 'utf8').catch(() => '');
      const { checkpoint } = await latest();
      return published !== '' && parseCheckpoint(openNote(published, [parseVerifierKey(verifierKey)]).text).size === checkpoint.size;
    }, 'the published checkpoint is the latest');
  });

  it('records each message in and out, refusals included without a body, one record per dossier', async () => {
    const res = await gw.call('GET', '/v1/audit/records?dossierCode=AUDIT-1', { key: KEYS.auditor });
    const kinds = res.body.records.map((r: { direction: string; outcome: string; body: string }) => `${r.direction}:${r.outcome}:${r.body}`);
    expect(kinds.sort()).toEqual(['in:accepted:kept', 'in:accepted:kept', 'out:delivered:kept', 'out:delivered:kept']);
    // Deliveries are signed through their call's manifest, which counts as signed.
    expect(res.body.records.filter((r: { direction: string }) => r.direction === 'out').map((r: { signed: boolean }) => r.signed)).toEqual([true, true]);
    const refused = await gw.call('GET', '/v1/audit/records?partner=hanoi-one-stop&limit=500', { key: KEYS.auditor });
    const refusal = refused.body.records.find((r: { outcome: string }) => r.outcome === 'refused');
    expect(refusal).toMatchObject({ errorCode: 'invalid-request', body: 'none', signed: false });
  });

  it('proves a record into the checkpoint, and the leaf is the canonical encoding of the record', async () => {
    const { checkpoint } = await latest();
    const [first] = (await gw.call('GET', '/v1/audit/records?dossierCode=AUDIT-2', { key: KEYS.auditor })).body.records;
    const one = await gw.call('GET', `/v1/audit/records/${first.index}`, { key: KEYS.auditor });
    const leaf = Buffer.from(one.body.leaf, 'base64');
    expect(encodeLeaf(one.body.record).equals(leaf)).toBe(true);
    expect(JSON.parse(one.body.body.text).code).toBe('AUDIT-2');
    const proof = await gw.call('GET', `/v1/audit/proofs/inclusion?index=${first.index}&treeSize=${checkpoint.size}`, { key: KEYS.auditor });
    expect(proof.status, JSON.stringify(proof.body)).toBe(200);
    const hashes = proof.body.hashes.map((h: string) => Buffer.from(h, 'base64'));
    expect(verifyInclusion(leafHash(leaf), first.index, checkpoint.size, hashes, checkpoint.rootHash)).toEqual({ ok: true });
  });

  it('proves every kept checkpoint consistent with the latest', async () => {
    const { checkpoint } = await latest();
    const kept = (await gw.call('GET', '/v1/audit/checkpoints', { key: KEYS.auditor })).body.checkpoints;
    expect(kept.length).toBeGreaterThan(0);
    for (const old of kept) {
      if (old.treeSize === checkpoint.size) continue;
      const proof = await gw.call('GET', `/v1/audit/proofs/consistency?from=${old.treeSize}&to=${checkpoint.size}`, { key: KEYS.auditor });
      const hashes = proof.body.hashes.map((h: string) => Buffer.from(h, 'base64'));
      expect(verifyConsistency(old.treeSize, checkpoint.size, hashes, Buffer.from(old.rootHash, 'base64'), checkpoint.rootHash)).toEqual({ ok: true });
    }
  });

  it('answers an evidence bundle that carries the record, body, chain, proof and checkpoint', async () => {
    const [accepted] = (await gw.call('GET', '/v1/audit/records?dossierCode=AUDIT-2&direction=out', { key: KEYS.auditor })).body.records;
    const bundle = (await gw.call('GET', `/v1/audit/bundles/${accepted.index}`, { key: KEYS.auditor })).body;
    expect(bundle.format).toBe('lgsp-audit-bundle/v1');
    // A delivery to the portal is signed through its call's manifest, which the bundle carries (the route's schema keeps it).
    expect(bundle.record.signature.format).toBe('jws-manifest');
    const manifest = JSON.parse(Buffer.from(bundle.manifest.bytes, 'base64').toString());
    expect(manifest.items[bundle.record.signature.position]).toBe(bundle.record.body.commitment);
    expect(bundle.manifest.signature).toMatch(/^[\w-]+\.\.[\w-]+$/);
    expect(Object.keys(bundle.certificates)).toEqual(expect.arrayContaining(bundle.record.signature.chain));
    expect(bundle.body.bytes).toBeTruthy();
    expect(bundle.inclusionProof.treeSize).toBeGreaterThan(accepted.index);
  });

  it('accepts a configured witness cosignature and serves it on the note; refuses a stranger', async () => {
    const { note, checkpoint } = await latest();
    const text = note.slice(0, note.indexOf('\n\n') + 1);
    const line = cosign(text, parseCosignerKey(witness.signerKey), Math.floor(Date.now() / 1000)).trim();
    const accepted = await gw.call('POST', `/v1/audit/checkpoints/${checkpoint.size}/cosignatures`, { key: KEYS.auditor, body: { line } });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(201);
    const served = (await gw.call('GET', `/v1/audit/checkpoints/${checkpoint.size}`, { key: KEYS.auditor })).body as string;
    expect(served).toContain(line);
    const stranger = generateCosignerKey('stranger.example/w');
    const strangeLine = cosign(text, parseCosignerKey(stranger.signerKey), 1).trim();
    const refused = await gw.call('POST', `/v1/audit/checkpoints/${checkpoint.size}/cosignatures`, { key: KEYS.auditor, body: { line: strangeLine } });
    expect(refused.status).toBe(400);
    expect(refused.body.detail).toMatch(/not a witness/);
  });

  it('serves as latest the largest checkpoint once the log has grown past ten leaves (sizes compare as numbers)', async () => {
    for (let i = 0; i < 6; i++) await gw.call('POST', '/v1/dossiers', { key: KEYS.oneStop, body: sampleDossier(`AUDIT-GROW-${i}`) });
    await eventually(async () => {
      const kept = (await gw.call('GET', '/v1/audit/checkpoints?limit=1000', { key: KEYS.auditor })).body.checkpoints as { treeSize: number }[];
      const largest = Math.max(...kept.map((c) => c.treeSize));
      const { checkpoint } = await latest();
      const bundle = await gw.call('GET', `/v1/audit/bundles/${largest - 1}`, { key: KEYS.auditor });
      return largest >= 20 && checkpoint.size === largest && bundle.body.inclusionProof?.treeSize === largest;
    }, 'the latest checkpoint is the largest, past 10 leaves');
  });

  it('keeps the audit routes to auditors: a one-stop key and no key are refused', async () => {
    expect((await gw.call('GET', '/v1/audit/records', { key: KEYS.oneStop })).status).toBe(403);
    expect((await gw.call('GET', '/v1/audit/bundles/0')).status).toBe(401);
  });
});
