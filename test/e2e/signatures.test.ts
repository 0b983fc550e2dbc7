// Signatures on the wire: partners' X-JWS-Signature checked over the bytes received against the trust
// store (every refusal stores nothing), and the gateway's own signatures on what it sends, checked by
// the receivers (the portal simulator, a webhook receiver) the way a partner would.
import { createHash, sign as rsaSign } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNationalPortalSimulator, type PortalSimulator } from '../../adapters/national-portal/index.js';
import { generateRsaKeyPair, issueCertificate } from '../../src/crypto/dev-pki.js';
import { jwsChecker } from '../../src/crypto/jws-checker.js';
import { JWS_HEADER, signDetachedJws, verifyDetachedJws } from '../../src/crypto/jws.js';
import type { Signer } from '../../src/crypto/signer.js';
import { TrustStore } from '../../src/crypto/trust-store.js';
import { certificateFingerprint } from '../../src/crypto/trust.js';
import { sampleDossier } from '../support/dossiers.js';
import { KEYS, eventually, startTestGateway, type TestGateway } from '../support/gateway.js';
import { testPki, type TestCredential, type TestPki } from '../support/pki.js';

type Response = Awaited<ReturnType<TestGateway['call']>>;

function expectProblem(response: Response, code: string): void {
  expect(response.status, JSON.stringify(response.body)).toBe(401);
  expect(String(response.headers['content-type'])).toMatch(/^application\/problem\+json/);
  expect(response.body.code).toBe(code);
}

describe('partner signatures on POST /v1/dossiers (Hà Nội must sign)', () => {
  let pki: TestPki;
  let gw: TestGateway;
  beforeAll(async () => {
    pki = await testPki();
    gw = await startTestGateway({ engine: 'pglite', mustSign: true });
  });
  afterAll(async () => gw?.close());

  const count = async (sql: string, params: unknown[]) => (await gw.gateway.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`, params))[0]!.n;

  /** Sends the dossier as these exact bytes, signed by `signer` over `signedBytes` (default: the bytes sent). */
  async function send(code: string, signer: Signer | undefined, options: { signedBytes?: Buffer; gateway?: TestGateway } = {}): Promise<Response> {
    const raw = Buffer.from(JSON.stringify(sampleDossier(code)));
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (signer) headers[JWS_HEADER] = signDetachedJws(options.signedBytes ?? raw, signer);
    return (options.gateway ?? gw).call('POST', '/v1/dossiers', { key: KEYS.oneStop, raw, headers });
  }

  /** Nothing of a refused dossier is stored or queued, and its refusal is logged with the code only. */
  async function expectNothingStored(code: string, problem: string, gateway = gw): Promise<void> {
    const db = gateway.gateway.db;
    expect((await db.query('SELECT 1 FROM dossiers WHERE code = $1', [code])).length).toBe(0);
    expect((await db.query('SELECT 1 FROM messages WHERE dossier_code = $1', [code])).length).toBe(0);
    const log = await db.query<{ outcome: string; error_code: string; signature: string | null; body_sha256: string | null }>(
      'SELECT outcome, error_code, signature, body_sha256 FROM message_log WHERE error_code = $1 ORDER BY seq DESC LIMIT 1',
      [problem],
    );
    expect(log[0]).toMatchObject({ outcome: 'refused', error_code: problem, signature: null, body_sha256: null });
  }

  it('accepts a dossier signed with the partner key and keeps the signature and chain in its log record', async () => {
    const hanoi = pki.partners['hanoi-one-stop'];
    const response = await send('SIGNED-OK-1', hanoi.signer);
    expect(response.status, JSON.stringify(response.body)).toBe(202);
    const [record] = await gw.gateway.db.query<{ signature_format: string; signature: string; signer_key_id: string; signer_chain: string[] }>(
      `SELECT signature_format, signature, signer_key_id, signer_chain FROM message_log WHERE dossier_code = $1 AND direction = 'in'`,
      ['SIGNED-OK-1'],
    );
    expect(record!.signature_format).toBe('jws-detached');
    expect(record!.signer_key_id).toBe(hanoi.signer.keyId);
    expect(record!.signer_chain[0]).toBe(hanoi.fingerprint);
    expect(record!.signer_chain).toHaveLength(2);
    const [cert] = await gw.gateway.db.query<{ der: Uint8Array }>('SELECT der FROM certificates WHERE fingerprint = $1', [hanoi.fingerprint]);
    expect(Buffer.from(cert!.der).equals(hanoi.certificate.raw)).toBe(true);
    // The stored token still verifies over the bytes that were sent: what an auditor will redo.
    const sent = Buffer.from(JSON.stringify(sampleDossier('SIGNED-OK-1')));
    expect(verifyDetachedJws(record!.signature, sent).keyId).toBe(hanoi.signer.keyId);
  });

  it('refuses an unsigned write from a mustSign partner: signature-missing', async () => {
    expectProblem(await send('UNSIGNED-1', undefined), 'signature-missing');
    await expectNothingStored('UNSIGNED-1', 'signature-missing');
  });

  it('refuses a tampered body (signed one dossier, sent another): signature-invalid', async () => {
    const other = Buffer.from(JSON.stringify(sampleDossier('TAMPERED-ORIGINAL')));
    expectProblem(await send('TAMPERED-1', pki.partners['hanoi-one-stop'].signer, { signedBytes: other }), 'signature-invalid');
    await expectNothingStored('TAMPERED-1', 'signature-invalid');
  });

  it('refuses the right certificate with the wrong key: signature-invalid', async () => {
    const hanoi = pki.partners['hanoi-one-stop'];
    const impostor: Signer = { keyId: hanoi.signer.keyId, certificateChain: hanoi.signer.certificateChain, sign: (d) => rsaSign('sha256', d, pki.partners.postal.key) };
    expectProblem(await send('WRONG-KEY-1', impostor), 'signature-invalid');
    await expectNothingStored('WRONG-KEY-1', 'signature-invalid');
  });

  const refusedCertificates: [string, (p: TestPki) => TestCredential, string, RegExp][] = [
    ['an expired certificate', (p) => p.hanoiOneStop.expired, 'certificate-untrusted', /expired|valid/i],
    ['a certificate not yet valid', (p) => p.hanoiOneStop.notYetValid, 'certificate-untrusted', /valid/i],
    ['a revoked certificate', (p) => p.hanoiOneStop.revoked, 'certificate-revoked', /revoked/i],
    ['a certificate from a CA outside the trust store', (p) => p.hanoiOneStop.untrusted, 'certificate-untrusted', /.+/],
    ['a certificate without a signing key usage', (p) => p.hanoiOneStop.wrongUsage, 'certificate-untrusted', /usage/i],
    ["another partner's valid certificate", (p) => p.partners['other-one-stop'], 'certificate-untrusted', /another partner/],
    ['a valid certificate registered for nobody', (p) => p.partners.payment, 'certificate-untrusted', /not registered/],
  ];
  for (const [what, credential, code, detail] of refusedCertificates) {
    it(`refuses a signature made with ${what}: ${code}`, async () => {
      const dossierCode = `CERT-${what.replace(/\W+/g, '-').slice(0, 40)}`;
      const response = await send(dossierCode, credential(pki).signer);
      expectProblem(response, code);
      expect(response.body.detail).toMatch(detail);
      await expectNothingStored(dossierCode, code);
    });
  }

  it('counts signature refusals by code for the operator', async () => {
    const metrics = await gw.call('GET', '/metrics', { key: KEYS.admin });
    expect(String(metrics.body)).toMatch(/lgsp_signature_failures_total\{code="signature-missing"\} [1-9]/);
    expect(String(metrics.body)).toMatch(/lgsp_signature_failures_total\{code="certificate-revoked"\} [1-9]/);
  });

  it('refuses a partner that need not sign but sends a bad signature, and accepts it unsigned', async () => {
    const raw = Buffer.from(JSON.stringify(sampleDossier('OPTIONAL-1', { agency: { code: '000.00.01.H99', name: 'Other' } })));
    const bad = await gw.call('POST', '/v1/dossiers', { key: KEYS.otherOneStop, raw, headers: { 'content-type': 'application/json', [JWS_HEADER]: 'e30..AAAA' } });
    expectProblem(bad, 'signature-invalid');
    const unsigned = await gw.call('POST', '/v1/dossiers', { key: KEYS.otherOneStop, raw, headers: { 'content-type': 'application/json' } });
    expect(unsigned.status).toBe(202);
    expect(await count(`message_log WHERE dossier_code = 'OPTIONAL-1' AND outcome = 'accepted' AND signature IS NULL`, [])).toBe(1);
  });

  describe('with a trust store whose CRLs are past nextUpdate', () => {
    it('fails closed by default: certificate-untrusted, revocation status unknown', async () => {
      const stale = await startTestGateway({ engine: 'pglite', mustSign: true, env: { TRUST_STORE_DIR: pki.staleTrustDir } });
      try {
        const response = await send('STALE-CRL-1', pki.partners['hanoi-one-stop'].signer, { gateway: stale });
        expectProblem(response, 'certificate-untrusted');
        expect(response.body.detail).toMatch(/revocation status unknown/i);
        await expectNothingStored('STALE-CRL-1', 'certificate-untrusted', stale);
      } finally {
        await stale.close();
      }
    });

    it('accepts when the operator allows stale CRLs (CRL_STALE_POLICY=allow)', async () => {
      const lenient = await startTestGateway({ engine: 'pglite', mustSign: true, env: { TRUST_STORE_DIR: pki.staleTrustDir, CRL_STALE_POLICY: 'allow' } });
      try {
        expect((await send('STALE-CRL-2', pki.partners['hanoi-one-stop'].signer, { gateway: lenient })).status).toBe(202);
      } finally {
        await lenient.close();
      }
    });
  });
});

describe("the gateway's signatures on what it sends", () => {
  let pki: TestPki;
  let gw: TestGateway;
  let sim: PortalSimulator;
  let receiver: Server;
  const webhooks: { body: Buffer; header: string | undefined }[] = [];

  beforeAll(async () => {
    pki = await testPki();
    const trust = await TrustStore.load(pki.trustDir);
    // The simulator plays a portal that insists on signatures: an unsigned or badly signed call gets 401.
    sim = await startNationalPortalSimulator({ checkSignature: jwsChecker(trust) });
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        webhooks.push({ body: Buffer.concat(chunks), header: req.headers[JWS_HEADER] as string | undefined });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const webhookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
    gw = await startTestGateway({ engine: 'pglite', sim, webhookUrl });
  });
  afterAll(async () => {
    await gw?.close();
    await sim?.close();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  it('signs every national portal call, and the portal side verifies each against the trust store', async () => {
    for (const code of ['OUT-SIGNED-1', 'OUT-SIGNED-2', 'OUT-SIGNED-3']) {
      expect((await gw.call('POST', '/v1/dossiers', { key: KEYS.oneStop, body: sampleDossier(code) })).status).toBe(202);
    }
    await eventually(() => ['OUT-SIGNED-1', 'OUT-SIGNED-2', 'OUT-SIGNED-3'].every((c) => sim.dossiers.has(c)), 'dossiers at the portal');
    expect(sim.calls.length).toBeGreaterThan(0);
    const checker = jwsChecker(await TrustStore.load(pki.trustDir));
    for (const call of sim.calls) {
      expect(call.answer).toBe('0');
      expect(checker(call.signature!.body, call.signature!.header)).toBeUndefined();
      expect(verifyDetachedJws(call.signature!.header, call.signature!.body).keyId).toBe(certificateFingerprint(pki.gateway.certificate));
    }
  });

  it("keeps for each outbound record the gateway's signature of its call's manifest, which commits to that dossier's item alone", async () => {
    const [record] = await gw.gateway.db.query<{ signature: string | null; signer_key_id: string; signer_chain: string[]; manifest_sha256: string; manifest_position: number; salt: Uint8Array; body: Uint8Array }>(
      `SELECT l.signature, l.signer_key_id, l.signer_chain, l.manifest_sha256, l.manifest_position, b.salt, b.body
       FROM message_log l JOIN audit_bodies b ON b.log_seq = l.seq
       WHERE l.dossier_code = 'OUT-SIGNED-2' AND l.direction = 'out' AND l.outcome = 'delivered'`,
    );
    // One signature per call (docs/audit-log.md, "Call manifests"): the record carries none of its own.
    expect(record!.signature).toBeNull();
    const [manifest] = await gw.gateway.db.query<{ manifest: Uint8Array; signature: string }>('SELECT manifest, signature FROM call_manifests WHERE sha256 = $1', [record!.manifest_sha256]);
    const bytes = Buffer.from(manifest!.manifest);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(record!.manifest_sha256);
    const verified = verifyDetachedJws(manifest!.signature, bytes);
    expect(verified.keyId).toBe(record!.signer_key_id);
    expect(record!.signer_chain[0]).toBe(pki.gateway.fingerprint);
    expect((await TrustStore.load(pki.trustDir)).check(verified.certificateChain, { at: new Date(), purpose: 'signing' }).ok).toBe(true);
    // The kept body is exactly the item the portal received, and its salted commitment sits at the record's position.
    const item = Buffer.from(JSON.stringify(sim.dossiers.get('OUT-SIGNED-2')));
    expect(Buffer.from(record!.body).equals(item)).toBe(true);
    const commitment = createHash('sha256').update(Buffer.from(record!.salt)).update(item).digest('hex');
    expect((JSON.parse(bytes.toString('utf8')) as { items: string[] }).items[record!.manifest_position]).toBe(commitment);
  });

  it('signs webhooks, and the receiver verifies them over the bytes it got', async () => {
    await eventually(() => webhooks.length >= 3, 'three webhooks');
    const checker = jwsChecker(await TrustStore.load(pki.trustDir));
    for (const hook of webhooks) expect(checker(hook.body, hook.header)).toBeUndefined();
    const tampered = Buffer.from(webhooks[0]!.body.toString('utf8').replace('delivery', 'dElivery'));
    expect(checker(tampered, webhooks[0]!.header)).toMatch(/signature-invalid/);
  });

  it('a portal that insists on signatures refuses an unsigned call', async () => {
    const response = await fetch(`${sim.url}/login`, { method: 'POST', headers: { 'content-type': 'application/json', dstcode: 'DVCQG' }, body: '{"username":"lgsp","password":"lgsp-dev"}' });
    expect(response.status).toBe(401);
    expect(((await response.json()) as { message: string }).message).toMatch(/signature-missing/);
  });
});

describe('mTLS: partners authenticated by their client certificate', () => {
  let pki: TestPki;
  let gw: TestGateway;
  let dir: string;

  beforeAll(async () => {
    pki = await testPki();
    // A TLS server certificate for 127.0.0.1, issued by the province CA.
    dir = await mkdtemp(path.join(os.tmpdir(), 'lgsp-mtls-'));
    const keys = generateRsaKeyPair();
    const cert = issueCertificate({
      subject: { commonName: 'lgsp.test', organization: 'LGSP test', country: 'VN' },
      issuer: pki.provinceCa,
      publicKey: keys.publicKey,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 86_400_000),
      keyUsage: ['digitalSignature', 'keyEncipherment'],
      extendedKeyUsage: ['serverAuth'],
      subjectAltNames: { ip: ['127.0.0.1'] },
    });
    await writeFile(path.join(dir, 'tls.cert.pem'), cert.toString() + pki.provinceCa.certificate.toString());
    await writeFile(path.join(dir, 'tls.key.pem'), keys.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    gw = await startTestGateway({
      engine: 'pglite',
      env: { MTLS_PORT: '0', TLS_CERT_FILE: path.join(dir, 'tls.cert.pem'), TLS_KEY_FILE: path.join(dir, 'tls.key.pem') },
    });
  });
  afterAll(async () => {
    await gw?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** A request over the mTLS listener, presenting `client` (or no certificate). */
  async function overTls(pathname: string, client: TestCredential | undefined, apiKey?: string): Promise<{ status: number; body: any }> {
    const ca = (await readFile(path.join(pki.trustDir, 'root-ca.pem'), 'utf8'));
    const dispatcher = new Agent({ connect: { ca, ...(client ? { cert: client.chainPem, key: client.keyPem } : {}) } });
    try {
      const response = await request(gw.gateway.mtlsUrl! + pathname, { dispatcher, headers: apiKey ? { 'x-api-key': apiKey } : {} });
      return { status: response.statusCode, body: await response.body.json() };
    } finally {
      await dispatcher.close();
    }
  }

  it('serves HTTPS on its own port with a certificate the province CA vouches for', () => {
    expect(gw.gateway.mtlsUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  });

  it("maps Hà Nội's client certificate to Hà Nội without an API key", async () => {
    await gw.call('POST', '/v1/dossiers', { key: KEYS.oneStop, body: sampleDossier('MTLS-1') });
    const response = await overTls('/v1/dossiers/MTLS-1', pki.partners['hanoi-one-stop']);
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(response.body.dossier.code).toBe('MTLS-1');
  });

  it('keeps partners apart: the other one-stop certificate does not see Hà Nội dossiers', async () => {
    expect((await overTls('/v1/dossiers/MTLS-1', pki.partners['other-one-stop'])).status).toBe(404);
  });

  it('asks for a key or a certificate when neither is presented', async () => {
    const response = await overTls('/v1/dossiers/MTLS-1', undefined);
    expect(response.status).toBe(401);
    expect(response.body.code).toBe('unauthenticated');
  });

  const refused: [string, (p: TestPki) => TestCredential, string][] = [
    ['a revoked certificate', (p) => p.hanoiOneStop.revoked, 'certificate-revoked'],
    ['an expired certificate', (p) => p.hanoiOneStop.expired, 'certificate-untrusted'],
    ['a certificate from an untrusted CA', (p) => p.hanoiOneStop.untrusted, 'certificate-untrusted'],
    ['a trusted certificate registered for nobody', (p) => p.partners.payment, 'certificate-untrusted'],
  ];
  for (const [what, credential, code] of refused) {
    it(`refuses ${what}: ${code}`, async () => {
      const response = await overTls('/v1/dossiers/MTLS-1', credential(pki));
      expect(response.status).toBe(401);
      expect(response.body.code).toBe(code);
    });
  }

  it('refuses a certificate and an API key of two different partners', async () => {
    const response = await overTls('/v1/dossiers/MTLS-1', pki.partners['other-one-stop'], KEYS.oneStop);
    expect(response.status).toBe(401);
    expect(response.body.detail).toMatch(/different partners/);
  });
});
