import { X509Certificate } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateRsaKeyPair, issueCertificate } from '../../src/crypto/dev-pki.js';
import { pemBlocks } from '../../src/crypto/pem.js';
import { TrustStore } from '../../src/crypto/trust-store.js';
import { disposeTestPki, testPki, type TestCredential, type TestPki } from '../support/pki.js';

const chainOf = (credential: TestCredential) => pemBlocks(credential.chainPem, 'CERTIFICATE').map((der) => new X509Certificate(der));
const now = () => new Date();

describe('trust store', () => {
  let pki: TestPki;
  let store: TrustStore;
  const folders: string[] = [];
  const scratch = () => {
    const folder = mkdtempSync(join(tmpdir(), 'lgsp-trust-test-'));
    folders.push(folder);
    return folder;
  };

  beforeAll(async () => {
    pki = await testPki();
    store = await TrustStore.load(pki.trustDir);
  });
  afterAll(() => {
    for (const folder of folders) rmSync(folder, { recursive: true, force: true });
    disposeTestPki();
  });

  it('accepts a good partner chain for signing and for TLS, with the path ending in the root', () => {
    const chain = chainOf(pki.partners['hanoi-one-stop']);
    for (const purpose of ['signing', 'tls-client'] as const) {
      const verdict = store.check(chain, { at: now(), purpose });
      expect(verdict.ok).toBe(true);
      if (verdict.ok) expect(verdict.path.map((c) => c.subject.split('\n').pop())).toEqual(['CN=Trung tâm Phục vụ hành chính công Hà Nội', 'CN=Province CA', 'CN=LGSP Test Root CA']);
    }
  });

  it('accepts the leaf alone, taking the Province CA from the store', () => {
    expect(store.check([pki.partners.postal.certificate], { at: now(), purpose: 'signing' }).ok).toBe(true);
  });

  it('hands its CA certificates to a TLS server as PEM', () => {
    const pems = store.caCertificatesPem().map((pem) => new X509Certificate(pem).subject.split('\n').pop());
    expect(pems.sort()).toEqual(['CN=LGSP Test Root CA', 'CN=Province CA']);
  });

  it('refuses an expired certificate', () => {
    const verdict = store.check(chainOf(pki.hanoiOneStop.expired), { at: now(), purpose: 'signing' });
    expect(verdict).toMatchObject({ ok: false, code: 'certificate-untrusted', reason: expect.stringMatching(/Hà Nội.*expired on \d{4}-/) });
  });

  it('refuses a certificate that is not yet valid', () => {
    const verdict = store.check(chainOf(pki.hanoiOneStop.notYetValid), { at: now(), purpose: 'signing' });
    expect(verdict).toMatchObject({ ok: false, code: 'certificate-untrusted', reason: expect.stringMatching(/is not valid before/) });
  });

  it('judges validity at the time given, not the time of checking', () => {
    const expired = pki.hanoiOneStop.expired.certificate;
    const before = new Date(new Date(expired.validTo).getTime() - 60_000);
    expect(store.check([expired], { at: before, purpose: 'signing' }).ok).toBe(true);
  });

  it('refuses a revoked certificate, giving the revocation date', () => {
    const verdict = store.check(chainOf(pki.hanoiOneStop.revoked), { at: now(), purpose: 'signing' });
    expect(verdict).toMatchObject({ ok: false, code: 'certificate-revoked', reason: expect.stringMatching(/was revoked by Province CA on \d{4}-\d\d-\d\dT/) });
  });

  it('refuses a certificate from a CA outside the store, even when that CA is presented', () => {
    const verdict = store.check(chainOf(pki.hanoiOneStop.untrusted), { at: now(), purpose: 'signing' });
    expect(verdict).toMatchObject({ ok: false, code: 'certificate-untrusted', reason: expect.stringMatching(/O=Rogue.*not a trusted CA/) });
  });

  it('refuses a certificate whose key usage allows neither signing nor TLS', () => {
    for (const purpose of ['signing', 'tls-client'] as const) {
      const verdict = store.check(chainOf(pki.hanoiOneStop.wrongUsage), { at: now(), purpose });
      expect(verdict).toMatchObject({ ok: false, code: 'certificate-untrusted', reason: expect.stringMatching(/is not allowed for/) });
    }
  });

  it('refuses TLS client use of a certificate whose extended key usage is serverAuth only', () => {
    const { publicKey } = generateRsaKeyPair();
    const server = issueCertificate({
      subject: { commonName: 'localhost' },
      issuer: pki.provinceCa,
      publicKey,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 86_400_000),
      keyUsage: ['digitalSignature', 'keyEncipherment'],
      extendedKeyUsage: ['serverAuth'],
    });
    expect(store.check([server], { at: now(), purpose: 'tls-client' })).toMatchObject({ ok: false, reason: expect.stringMatching(/lacks clientAuth/) });
    expect(store.check([server], { at: now(), purpose: 'signing' }).ok).toBe(true);
  });

  it('fails closed on a stale CRL, and accepts with the allow policy (still honouring its entries)', async () => {
    const failing = await TrustStore.load(pki.staleTrustDir);
    const verdict = failing.check(chainOf(pki.partners.postal), { at: now(), purpose: 'signing' });
    expect(verdict).toMatchObject({ ok: false, code: 'certificate-untrusted', reason: expect.stringMatching(/^revocation status unknown: the CRL of Province CA expired on \d{4}-/) });

    const allowing = await TrustStore.load(pki.staleTrustDir, { staleCrl: 'allow' });
    expect(allowing.check(chainOf(pki.partners.postal), { at: now(), purpose: 'signing' }).ok).toBe(true);
    expect(allowing.check(chainOf(pki.hanoiOneStop.revoked), { at: now(), purpose: 'signing' })).toMatchObject({ ok: false, code: 'certificate-revoked' });
  });

  it('fails closed when the store has no CRL for an issuer, and picks up a CRL added later on reload', async () => {
    const folder = scratch();
    cpSync(pki.trustDir, folder, { recursive: true });
    rmSync(join(folder, 'province-ca.crl.pem'));
    const partial = await TrustStore.load(folder);
    expect(partial.check(chainOf(pki.partners.payment), { at: now(), purpose: 'signing' })).toMatchObject({
      ok: false,
      code: 'certificate-untrusted',
      reason: 'revocation status unknown: there is no CRL from Province CA',
    });
    cpSync(join(pki.trustDir, 'province-ca.crl.pem'), join(folder, 'province-ca.crl'));
    await partial.reload();
    expect(partial.check(chainOf(pki.partners.payment), { at: now(), purpose: 'signing' }).ok).toBe(true);
  });

  it('refuses a certificate whose signature was tampered with', () => {
    const der = Buffer.from(pki.partners.inspectorate.certificate.raw);
    der[der.length - 10] = (der[der.length - 10] ?? 0) ^ 0xff;
    const verdict = store.check([new X509Certificate(der)], { at: now(), purpose: 'signing' });
    expect(verdict).toMatchObject({ ok: false, code: 'certificate-untrusted', reason: expect.stringMatching(/signature on certificate .* does not verify with the key of .*Province CA/) });
  });

  it('refuses a chain longer than 8 certificates', () => {
    const chain = Array.from({ length: 9 }, () => pki.partners.postal.certificate);
    expect(store.check(chain, { at: now(), purpose: 'signing' })).toMatchObject({ ok: false, reason: expect.stringMatching(/at most 8/) });
  });

  it('answers garbage with a verdict, never an exception', () => {
    const garbage: unknown[] = [[], ['not a certificate'], [null], 'text', undefined];
    for (const chain of garbage) {
      const verdict = store.check(chain as X509Certificate[], { at: now(), purpose: 'signing' });
      expect(verdict).toMatchObject({ ok: false, code: 'certificate-untrusted' });
    }
    expect(store.check([pki.partners.postal.certificate], { at: new Date(Number.NaN), purpose: 'signing' }).ok).toBe(false);
  });

  it('refuses a certificate issued with a partner certificate as its CA', () => {
    const partner = pki.partners['other-one-stop'];
    const { publicKey } = generateRsaKeyPair();
    const forged = issueCertificate({
      subject: { commonName: 'Trung tâm Phục vụ hành chính công Hà Nội', organizationalUnit: 'hanoi-one-stop' },
      issuer: { certificate: partner.certificate, key: partner.key },
      publicKey,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 86_400_000),
      keyUsage: ['digitalSignature'],
    });
    const verdict = store.check([forged, ...chainOf(partner)], { at: now(), purpose: 'signing' });
    expect(verdict).toMatchObject({ ok: false, code: 'certificate-untrusted', reason: expect.stringMatching(/Bộ phận Một cửa.* is not a CA certificate/) });
  });

  it('refuses a second intermediate below the Province CA (pathLen 0)', () => {
    const { publicKey, privateKey } = generateRsaKeyPair();
    const window = { notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 86_400_000) };
    const subCa = issueCertificate({ subject: { commonName: 'District CA' }, issuer: pki.provinceCa, publicKey, ...window, ca: {}, keyUsage: ['keyCertSign', 'cRLSign'] });
    const leafKeys = generateRsaKeyPair();
    const leaf = issueCertificate({ subject: { commonName: 'District office' }, issuer: { certificate: subCa, key: privateKey }, publicKey: leafKeys.publicKey, ...window, keyUsage: ['digitalSignature'] });
    expect(store.check([leaf, subCa], { at: now(), purpose: 'signing' })).toMatchObject({ ok: false, reason: expect.stringMatching(/Province CA.* allows 0 intermediate CAs below it, the chain has 1/) });
  });

  it('refuses to load a CRL that no CA in the folder signed', async () => {
    const folder = scratch();
    cpSync(pki.trustDir, folder, { recursive: true });
    rmSync(join(folder, 'province-ca.pem'));
    await expect(TrustStore.load(folder)).rejects.toThrow(/province-ca\.crl\.pem: no CA certificate/);
    writeFileSync(join(folder, 'broken.pem'), '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    await expect(TrustStore.load(folder)).rejects.toThrow(/broken\.pem cannot be read/);
  });
});
