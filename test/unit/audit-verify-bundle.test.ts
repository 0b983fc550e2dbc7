// Offline verification of evidence bundles: an honest bundle passes, and each way of tampering with
// one is caught by the check that names it (docs/audit-log.md, "Checking, offline").
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatCheckpoint, parseCheckpoint } from '../../src/audit/checkpoint.js';
import type { EvidenceBundle } from '../../src/audit/bundle.js';
import { encodeLeaf, type LeafRecord } from '../../src/audit/leaf.js';
import { generateNoteKey, openNote, parseSignerKey, signNote } from '../../src/audit/note.js';
import { pruneBodies } from '../../src/audit/bodies.js';
import { verifyBundle } from '../../src/audit/verify-bundle.js';
import { TrustStore } from '../../src/crypto/trust-store.js';
import type { TrustChecker } from '../../src/crypto/trust.js';
import { openPglite, type Db } from '../../src/store/db.js';
import { AUDIT_ORIGIN, openTestAuditLog, seedHonestLog, type TestAuditLog } from '../support/audit-log.js';

describe('verifyBundle', () => {
  let db: Db;
  let log: TestAuditLog;
  let logKey: string;
  let trust: TrustStore;
  /** Leaf indexes of interest. */
  const at = { signedIn: 0, refusal: 1, signedOut: 2, otherBody: 7, xml: 8 };

  beforeAll(async () => {
    db = await openPglite();
    log = await openTestAuditLog(db);
    logKey = log.key.verifierKey;
    trust = await TrustStore.load(log.pki.trustDir);
    await seedHonestLog(log, 7, 4);
    // A record whose signature is over other bytes than its body.
    const body = Buffer.from('{"code":"A"}');
    await log.append({ direction: 'in', partnerId: 'hanoi-one-stop', endpoint: 'POST /v1/dossiers', body, outcome: 'accepted', signature: await log.jws(Buffer.from('{"code":"B"}')) });
    const chain = (await log.jws(body)).chain;
    await log.append({ direction: 'in', partnerId: 'hanoi-one-stop', endpoint: 'POST /soap', body: Buffer.from('<x/>'), outcome: 'accepted', signature: { format: 'xmldsig', value: 'AAAA', keyId: 'k', chain } });
    expect(await log.integrate()).toBe(9);
  });
  afterAll(async () => db?.close());

  const tampered = async (index: number, change: (b: EvidenceBundle) => void) => {
    const bundle = await log.bundle(index);
    change(bundle);
    return verifyBundle(bundle, { logKey, trust });
  };
  const reasonOf = (verdict: ReturnType<typeof verifyBundle>) => (verdict.ok ? 'ok' : verdict.reason);
  const reencode = (b: EvidenceBundle, change: (r: LeafRecord) => void) => {
    change(b.record);
    b.leaf = encodeLeaf(b.record).toString('base64');
  };

  it('passes honest bundles: signed inbound, a refusal without body, the gateway signed outbound', async () => {
    for (const index of [at.signedIn, at.refusal, at.signedOut]) {
      expect(verifyBundle(await log.bundle(index), { logKey, trust }), `leaf ${index}`).toEqual({ ok: true, notes: [] });
    }
  });

  it('says when no trust store was given, and checks the chain at the record time with one', async () => {
    const bundle = await log.bundle(at.signedIn);
    expect(verifyBundle(bundle, { logKey })).toEqual({ ok: true, notes: ['no trust store given: the chain was not checked against trusted CAs'] });
    const asked: Date[] = [];
    const refusing: TrustChecker = { check: (_chain, { at: time }) => (asked.push(time), { ok: false, code: 'certificate-untrusted', reason: 'not ours' }) };
    expect(reasonOf(verifyBundle(bundle, { logKey, trust: refusing }))).toBe(`signature: the signer's chain is not trusted at ${bundle.record.at} (not ours)`);
    expect(asked).toEqual([new Date(bundle.record.at)]);
  });

  it('fails a changed record', async () => {
    expect(reasonOf(await tampered(at.signedIn, (b) => (b.record.outcome = 'refused')))).toBe(`record: differs from the leaf ${at.signedIn}`);
  });

  it('fails a changed leaf (with the record changed to match)', async () => {
    const verdict = await tampered(at.signedIn, (b) => reencode(b, (r) => (r.partner = 'other-one-stop')));
    expect(reasonOf(verdict)).toMatch(/^inclusion proof: leaf 0 does not lead to the root of checkpoint 9 /);
  });

  it('fails a leaf that is not the canonical encoding', async () => {
    const verdict = await tampered(at.signedIn, (b) => (b.leaf = Buffer.from(JSON.stringify(b.record, null, 1)).toString('base64')));
    expect(reasonOf(verdict)).toBe('leaf 0: not a canonical lgsp-leaf/v1 record');
  });

  it('fails a changed proof hash', async () => {
    const verdict = await tampered(at.signedOut, (b) => {
      const hash = Buffer.from(b.inclusionProof.hashes[0]!, 'base64');
      hash[0]! ^= 1;
      b.inclusionProof.hashes[0] = hash.toString('base64');
    });
    expect(reasonOf(verdict)).toMatch(/^inclusion proof: leaf 2 does not lead to the root of checkpoint 9 \(computed root does not match\)$/);
  });

  it('fails a changed index', async () => {
    expect(reasonOf(await tampered(at.signedOut, (b) => (b.index = 3)))).toMatch(/^inclusion proof: leaf 3 does not lead to the root/);
    expect(reasonOf(await tampered(at.signedOut, (b) => (b.index = 9)))).toMatch(/^inclusion proof: leaf 9 .*not smaller than the tree size/);
  });

  it('fails a proof made for another tree size than the checkpoint', async () => {
    expect(reasonOf(await tampered(at.signedOut, (b) => (b.inclusionProof.treeSize = 8)))).toBe('inclusion proof: for tree size 8, the checkpoint is of size 9');
  });

  it('fails a checkpoint signed by another key of the same name', async () => {
    const other = parseSignerKey(generateNoteKey(AUDIT_ORIGIN).signerKey);
    const verdict = await tampered(at.signedIn, (b) => {
      const text = openNote(b.checkpoint, [log.key.verifier]).text;
      b.checkpoint = signNote(text, [other]);
    });
    expect(reasonOf(verdict)).toMatch(/^checkpoint: not signed by the log key lgsp\.test\/audit-log \(note has no verifiable signatures\)$/);
  });

  it('fails a changed checkpoint text under the original signature', async () => {
    const verdict = await tampered(at.signedIn, (b) => {
      const checkpoint = parseCheckpoint(openNote(b.checkpoint, [log.key.verifier]).text);
      const signatures = b.checkpoint.slice(b.checkpoint.indexOf('\n\n'));
      b.checkpoint = formatCheckpoint({ ...checkpoint, size: checkpoint.size + 1 }).slice(0, -1) + signatures;
    });
    expect(reasonOf(verdict)).toMatch(/^checkpoint: not signed by the log key .*invalid signature/);
  });

  it("fails a checkpoint of another origin, and a bundle claiming another origin", async () => {
    const foreign = generateNoteKey('elsewhere.example/log');
    const verdict = await tampered(at.signedIn, (b) => {
      const checkpoint = parseCheckpoint(openNote(b.checkpoint, [log.key.verifier]).text);
      b.checkpoint = signNote(formatCheckpoint({ ...checkpoint, origin: 'elsewhere.example/log' }), [parseSignerKey(foreign.signerKey)]);
      b.origin = 'elsewhere.example/log';
    });
    expect(verifyBundle(await log.bundle(0), { logKey: foreign.verifierKey, trust }).ok).toBe(false);
    expect(reasonOf(verdict)).toMatch(/^checkpoint: not signed by the log key/);
    expect(reasonOf(await tampered(at.signedIn, (b) => (b.origin = 'elsewhere.example/log')))).toBe(
      'checkpoint: origin "lgsp.test/audit-log" is not the bundle\'s "elsewhere.example/log"',
    );
  });

  it('fails a changed body', async () => {
    const verdict = await tampered(at.signedIn, (b) => {
      const body = b.body as { bytes: string };
      body.bytes = Buffer.from(Buffer.from(body.bytes, 'base64').toString().replace('H26', 'H27')).toString('base64');
    });
    expect(reasonOf(verdict)).toBe("body: salt and bytes do not match the record's commitment");
  });

  it('fails a changed salt', async () => {
    const verdict = await tampered(at.signedIn, (b) => ((b.body as { salt: string }).salt = Buffer.alloc(32, 7).toString('base64')));
    expect(reasonOf(verdict)).toBe("body: salt and bytes do not match the record's commitment");
  });

  it('fails a body dropped from the bundle, and a body added to a record without one', async () => {
    expect(reasonOf(await tampered(at.signedIn, (b) => (b.body = null)))).toMatch(/^body: the record commits to a body the bundle neither carries/);
    const withBody = await log.bundle(at.signedIn);
    expect(reasonOf(await tampered(at.refusal, (b) => (b.body = withBody.body)))).toBe('body: the record commits to no body, yet the bundle carries one');
  });

  it('fails a record whose signature is over another body', async () => {
    expect(reasonOf(await tampered(at.otherBody, () => {}))).toBe('signature: The signature does not verify over the body with the key of x5c[0]');
  });

  it('fails a swapped certificate: other DER under the fingerprint, or another certificate in its place', async () => {
    const other = log.pki.partners['other-one-stop'];
    const swapped = await tampered(at.signedIn, (b) => {
      const [leaf] = b.record.signature!.chain;
      b.certificates[leaf!] = other.certificate.raw.toString('base64');
    });
    expect(reasonOf(swapped)).toMatch(/^certificate [0-9a-f]{16}: the bundle's DER does not have this fingerprint$/);
    const replaced = await tampered(at.signedIn, (b) => {
      const [leaf] = b.record.signature!.chain;
      delete b.certificates[leaf!];
      b.certificates[other.fingerprint] = other.certificate.raw.toString('base64');
    });
    expect(reasonOf(replaced)).toMatch(/^certificate [0-9a-f]{16}: named by the record, missing from the bundle$/);
  });

  it('notes that xmldsig records are not checked in bundles', async () => {
    expect(verifyBundle(await log.bundle(at.xml), { logKey, trust })).toEqual({ ok: true, notes: ['xmldsig signatures are checked with the XML document; not in bundles yet'] });
  });

  it('passes a bundle whose body was pruned, saying the signature cannot be checked against it', async () => {
    // Pruning the whole log would spoil the other tests' bundles, so it is done on a copy of the setup.
    const copy = await openPglite();
    try {
      const pruned = await openTestAuditLog(copy);
      await seedHonestLog(pruned, 3);
      expect(await pruneBodies(copy, new Date(Date.now() + 60_000))).toBe(2);
      for (const index of [0, 2]) {
        const bundle = await pruned.bundle(index);
        const { prunedAt } = bundle.body as { pruned: true; prunedAt: string };
        expect(verifyBundle(bundle, { logKey: pruned.key.verifierKey, trust })).toEqual({
          ok: true,
          notes: [`body pruned on ${prunedAt}: the message signature cannot be checked against it`],
        });
      }
    } finally {
      await copy.close();
    }
  });

  it('answers garbage with a reason, never an exception', async () => {
    const honest = await log.bundle(at.signedIn);
    const garbage: unknown[] = [
      undefined,
      null,
      42,
      'lgsp-audit-bundle/v1',
      [],
      {},
      { ...honest, format: 'lgsp-audit-bundle/v2' },
      { ...honest, index: -1 },
      { ...honest, index: 1.5 },
      { ...honest, leaf: 'not base64!' },
      { ...honest, leaf: 42 },
      { ...honest, certificates: null },
      { ...honest, certificates: { x: 5 } },
      { ...honest, inclusionProof: { treeSize: 9, hashes: 'AAAA' } },
      { ...honest, inclusionProof: { treeSize: 9, hashes: [1, 2] } },
      { ...honest, inclusionProof: { treeSize: 9, hashes: ['AAAA'] } },
      { ...honest, checkpoint: 'x'.repeat(2_000_000) },
      { ...honest, checkpoint: '\u0000\n\n— a b\n' },
      { ...honest, body: { pruned: 'yes' } },
      { ...honest, body: { pruned: true, prunedAt: 'yesterday\nFAKE' } },
      { ...honest, body: [] },
      { ...honest, record: { ...honest.record, signature: { format: 'jws-detached', value: 1 } } },
      { ...honest, record: null },
    ];
    for (const bundle of garbage) {
      const verdict = verifyBundle(bundle, { logKey, trust });
      expect(verdict.ok, JSON.stringify(bundle)?.slice(0, 200)).toBe(false);
      expect(reasonOf(verdict)).not.toMatch(/\n/);
    }
    expect(reasonOf(verifyBundle({}, { logKey, trust }))).toBe('not an lgsp-audit-bundle/v1 bundle: format is not "lgsp-audit-bundle/v1"');
    expect(reasonOf(verifyBundle(honest, { logKey: 'not a key', trust }))).toMatch(/^log key: malformed key/);
  });
});
