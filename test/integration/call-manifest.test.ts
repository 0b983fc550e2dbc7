// One signature per portal call (issue 17): a batch sent to the national portal is signed once, over
// a manifest of the items' salted commitments, and each item's record still verifies on its own,
// with none of the other items' bodies; a changed body, commitment, position or manifest fails.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { NationalPortalClient } from '../../adapters/national-portal/client.js';
import { NationalPortalDestination } from '../../adapters/national-portal/destination.js';
import { startNationalPortalSimulator, type PortalSimulator } from '../../adapters/national-portal/simulator.js';
import type { EvidenceBundle } from '../../src/audit/bundle.js';
import { decodeManifest, encodeManifest, signCall, type ManifestSignature } from '../../src/audit/call-manifest.js';
import { CertificateCatalog } from '../../src/audit/certificates.js';
import { encodeLeaf } from '../../src/audit/leaf.js';
import { appendLogs, type LogRecord } from '../../src/audit/message-log.js';
import { verifyBundle } from '../../src/audit/verify-bundle.js';
import { pruneBodies } from '../../src/audit/bodies.js';
import { OutboundSigner } from '../../src/crypto/outbound-signer.js';
import { TrustStore } from '../../src/crypto/trust-store.js';
import type { ItemOutcome } from '../../src/delivery/destination.js';
import type { PartnerRegistry } from '../../src/partners/registry.js';
import { openPglite, type Db } from '../../src/store/db.js';
import type { OutboundMessage } from '../../src/store/messages.js';
import { openTestAuditLog, seedHonestLog, type TestAuditLog } from '../support/audit-log.js';
import { sampleDossier, TEST_AGENCY } from '../support/dossiers.js';

const N = 6;
const ENDPOINT = 'national-portal:DongBoHoSoMC';

function message(i: number): OutboundMessage {
  const code = `000.00.20.H26-251203-${String(i).padStart(4, '0')}`;
  return {
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    destination: 'national-portal',
    kind: 'dossier-create',
    partnerId: 'hanoi-one-stop',
    dossierCode: code,
    agencyCode: TEST_AGENCY,
    orderKey: code,
    orderSeq: 1,
    lane: 'live',
    batchKey: 'national-portal|create',
    payload: sampleDossier(code),
    state: 'pending',
    attempts: 1,
    lastError: null,
    outcomeNote: null,
    nextAttemptAt: new Date(),
    deliveredAt: null,
    createdAt: new Date(),
    traceparent: null,
  };
}

/** The records the delivery processor appends for a call's outcomes. */
function records(messages: readonly OutboundMessage[], outcomes: ReadonlyMap<string, ItemOutcome>): LogRecord[] {
  return messages.map((m) => {
    const o = outcomes.get(m.id)!;
    return { direction: 'out', partnerId: m.partnerId, endpoint: ENDPOINT, dossierCode: m.dossierCode!, messageId: m.id, body: o.sentBody, signature: o.signature, outcome: 'delivered', attempt: 1 };
  });
}

describe('one signature per portal call', () => {
  let db: Db;
  let log: TestAuditLog;
  let sim: PortalSimulator;
  let client: NationalPortalClient;
  let outbound: OutboundSigner;
  let trust: TrustStore;
  let logKey: string;
  let signatures: ReturnType<typeof vi.spyOn>;
  let outcomes: Map<string, ItemOutcome>;
  const messages = Array.from({ length: N }, (_, i) => message(i + 1));
  /** Leaf indexes: seedHonestLog's 6 older records (per-item signatures) come first. */
  const first = 6;

  beforeAll(async () => {
    db = await openPglite();
    log = await openTestAuditLog(db);
    logKey = log.key.verifierKey;
    trust = await TrustStore.load(log.pki.trustDir);
    await seedHonestLog(log, 6, 6);
    sim = await startNationalPortalSimulator({ accounts: [{ username: 'lgsp', password: 'lgsp-dev' }] });
    // No wire signature here: every signature counted below is one the auditors' log relies on.
    client = new NationalPortalClient({ baseUrl: sim.url, timeoutMs: 5_000 });
    outbound = await OutboundSigner.create(log.pki.gateway.signer, new CertificateCatalog(db));
    signatures = vi.spyOn(outbound, 'jws');
    const registry = { portalAccountFor: () => ({ agencyCode: TEST_AGENCY, username: 'lgsp', password: 'lgsp-dev' }) } as unknown as PartnerRegistry;
    const destination = new NationalPortalDestination(client, registry, { attachmentUrl: (ref) => ref.url ?? '' }, outbound);
    outcomes = await destination.deliver(messages);
    await appendLogs(db, records(messages, outcomes));
    expect(await log.integrate()).toBe(first + N);
  });
  afterAll(async () => {
    await client?.close();
    await sim?.close();
    await db?.close();
  });

  const bundle = (i: number) => log.bundle(first + i);
  const reasonOf = (verdict: ReturnType<typeof verifyBundle>) => (verdict.ok ? 'ok' : verdict.reason);

  it(`delivers a batch of ${N} in one call, signed once, and keeps the manifest once`, async () => {
    expect([...outcomes.values()].map((o) => o.result)).toEqual(Array(N).fill('delivered'));
    expect(sim.calls.filter((c) => c.service === 'DongBoHoSoMC')).toHaveLength(1);
    expect(signatures).toHaveBeenCalledTimes(1);
    expect(await db.query('SELECT sha256 FROM call_manifests')).toHaveLength(1);
  });

  it("verifies each item's record on its own, with only its own body and the others' salted commitments", async () => {
    for (let i = 0; i < N; i++) {
      const b = await bundle(i);
      expect(verifyBundle(b, { logKey, trust }), `item ${i}`).toEqual({ ok: true, notes: [] });
      expect(b.record.signature).toMatchObject({ format: 'jws-manifest', position: i });
      const manifest = decodeManifest(Buffer.from(b.manifest!.bytes, 'base64'))!;
      expect(manifest).toMatchObject({ destination: 'national-portal', endpoint: ENDPOINT, items: expect.any(Array) });
      expect(manifest.items[i]).toBe(b.record.body!.commitment);
      // Nothing of any dossier is in the manifest: no code, no name.
      for (const m of messages) expect(b.manifest!.bytes).not.toContain(Buffer.from(m.dossierCode!).toString('base64'));
      expect(Buffer.from(b.manifest!.bytes, 'base64').toString()).not.toMatch(/H26|Phạm/);
    }
  });

  it('still verifies the older records signed one by one', async () => {
    for (const index of [0, 2, 5]) expect(verifyBundle(await log.bundle(index), { logKey, trust }), `leaf ${index}`).toEqual({ ok: true, notes: [] });
    expect((await log.bundle(2)).record.signature).toMatchObject({ format: 'jws-detached' });
    expect((await log.bundle(2)).manifest).toBeUndefined();
  });

  const tampered = async (change: (b: EvidenceBundle) => void) => {
    const b = await bundle(2);
    change(b);
    return reasonOf(verifyBundle(b, { logKey, trust }));
  };

  it('fails a changed body', async () => {
    expect(await tampered((b) => (b.body = { ...(b.body as { salt: string }), bytes: Buffer.from('{"MaHoSo":"other"}').toString('base64') }))).toBe(
      "body: salt and bytes do not match the record's commitment",
    );
  });

  it("fails another item's body under this record", async () => {
    const other = await bundle(3);
    expect(await tampered((b) => (b.body = other.body))).toBe("body: salt and bytes do not match the record's commitment");
  });

  it('fails a changed manifest: another commitment in it, another manifest, a missing one, or its signature over other bytes', async () => {
    const bytes = (b: EvidenceBundle) => Buffer.from(b.manifest!.bytes, 'base64');
    expect(
      await tampered((b) => {
        const m = decodeManifest(bytes(b))!;
        m.items[2] = '0'.repeat(64);
        b.manifest!.bytes = encodeManifest(m).toString('base64');
      }),
    ).toBe("manifest: its bytes do not hash to the record's manifest");
    // A manifest honestly signed by the gateway, but for another call.
    const [other] = signCall(outbound, { destination: 'national-portal', endpoint: ENDPOINT }, [Buffer.from('x')]);
    expect(await tampered((b) => (b.manifest = { bytes: other!.manifest.bytes.toString('base64'), signature: other!.manifest.jws }))).toBe(
      "manifest: its bytes do not hash to the record's manifest",
    );
    expect(await tampered((b) => (b.manifest!.signature = other!.manifest.jws))).toMatch(/^signature: /);
    expect(await tampered((b) => delete b.manifest)).toBe('manifest: the record is signed through a call manifest the bundle does not carry');
  });

  it('fails a record that names another position, or whose manifest committed other bytes', async () => {
    const [a, b] = signCall(outbound, { destination: 'national-portal', endpoint: ENDPOINT }, [Buffer.from('{"n":1}'), Buffer.from('{"n":2}')]);
    const wrongPosition: ManifestSignature = { ...b!, position: 0 };
    // The body sent is not the one the manifest committed, under the same salt.
    const otherBytes = { ...a! };
    const base = { direction: 'out' as const, partnerId: 'hanoi-one-stop', endpoint: ENDPOINT, outcome: 'delivered' as const, attempt: 1 };
    await appendLogs(db, [
      { ...base, body: Buffer.from('{"n":2}'), signature: wrongPosition },
      { ...base, body: Buffer.from('{"n":3}'), signature: otherBytes },
    ]);
    const size = await log.integrate();
    expect(reasonOf(verifyBundle(await log.bundle(size - 2), { logKey, trust }))).toBe("manifest: position 0 does not hold the record's body commitment");
    expect(reasonOf(verifyBundle(await log.bundle(size - 1), { logKey, trust }))).toBe("manifest: position 0 does not hold the record's body commitment");
  });

  it("the console's browser checks agree: the honest record passes, a changed manifest or position fails", async () => {
    // The console's own code (plain browser JavaScript, WebCrypto), run here as the browser would.
    const consolePath = '../../src/console/verify.js';
    const browser = (await import(consolePath)) as {
      parseVerifierKey(text: string): Promise<{ key: unknown }>;
      verifyBundle(bundle: unknown, key: unknown, index: number): Promise<{ checks: { id: string; state: string; reason: string }[] }>;
    };
    const { key } = await browser.parseVerifierKey(logKey);
    const checked = async (change: (b: EvidenceBundle) => void = () => {}) => {
      const b = await bundle(2);
      change(b);
      const { checks } = await browser.verifyBundle(b, key, first + 2);
      return Object.fromEntries(checks.map((c) => [c.id, c.state]));
    };
    expect(await checked()).toEqual({ bundle: 'ok', checkpoint: 'ok', leaf: 'ok', inclusion: 'ok', body: 'ok', manifest: 'ok', chain: 'ok', signature: 'ok' });
    const other = await bundle(3);
    expect(await checked((b) => (b.manifest!.signature = signCall(outbound, { destination: 'national-portal', endpoint: ENDPOINT }, [Buffer.from('x')])[0]!.manifest.jws))).toMatchObject({ manifest: 'ok', signature: 'fail' });
    expect(await checked((b) => delete b.manifest)).toMatchObject({ manifest: 'fail', signature: 'fail' });
    expect(await checked((b) => (b.body = other.body))).toMatchObject({ body: 'fail' });
    // The leaf rewritten to name another position: it no longer proves, and the manifest check fails too.
    const moved = (b: EvidenceBundle) => {
      (b.record.signature as { position: number }).position = 3;
      b.leaf = encodeLeaf(b.record).toString('base64');
    };
    expect(await checked(moved)).toMatchObject({ leaf: 'ok', inclusion: 'fail', manifest: 'fail' });
  });

  it('still proves the commitment signed once the body is pruned', async () => {
    await pruneBodies(db, new Date(Date.now() + 60_000));
    const b = await bundle(1);
    expect(b.body).toMatchObject({ pruned: true });
    const verdict = verifyBundle(b, { logKey, trust });
    expect(verdict.ok).toBe(true);
    expect(verdict.ok && verdict.notes[0]).toMatch(/^body pruned on .*: its commitment is checked against the signed call manifest/);
  });
});
