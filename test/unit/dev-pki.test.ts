import { execFileSync, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCrls } from '../../src/crypto/crl.js';
import { createCrl, createDevPki, ensureDevPki, type DevPki } from '../../src/crypto/dev-pki.js';
import { loadPemSigner } from '../../src/crypto/file-signer.js';
import { pemBlocks } from '../../src/crypto/pem.js';
import { TrustStore } from '../../src/crypto/trust-store.js';

const OPENSSL = '/usr/bin/openssl';
const DAY = 24 * 60 * 60 * 1000;
const PARTNERS = [
  { id: 'dev-one-stop', name: 'Sở Thông tin và Truyền thông' },
  { id: 'dev-postal-operator', name: 'Bưu điện tỉnh' },
];

const chainOf = (file: string) => pemBlocks(readFileSync(file, 'utf8'), 'CERTIFICATE').map((der) => new X509Certificate(der));
const openssl = (args: string[]) => spawnSync(OPENSSL, args, { encoding: 'utf8' });

/** Every file under `dir` with its content, to compare a folder before and after. */
function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) {
      const path = join(entry.parentPath, entry.name);
      files[relative(dir, path)] = readFileSync(path, 'utf8');
    }
  }
  return files;
}

describe('development PKI', () => {
  let dir: string;
  let pki: DevPki;
  const folders: string[] = [];
  const scratch = () => {
    const folder = mkdtempSync(join(tmpdir(), 'lgsp-dev-pki-test-'));
    folders.push(folder);
    return folder;
  };

  beforeAll(async () => {
    dir = scratch();
    pki = await createDevPki(dir, { partners: PARTNERS });
  });
  afterAll(() => {
    for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  });

  it('lays out trust/, ca/, gateway/ and partners/, with private keys readable by the owner only', () => {
    expect(Object.keys(snapshot(dir)).sort()).toEqual(
      [
        'ca/private/province-ca.key.pem',
        'ca/private/root-ca.key.pem',
        'ca/province-ca.pem',
        'ca/root-ca.pem',
        'gateway/signing.cert.pem',
        'gateway/signing.key.pem',
        'gateway/tls.cert.pem',
        'gateway/tls.key.pem',
        'partners/dev-one-stop.cert.pem',
        'partners/dev-one-stop.key.pem',
        'partners/dev-postal-operator.cert.pem',
        'partners/dev-postal-operator.key.pem',
        'trust/province-ca.crl.pem',
        'trust/province-ca.pem',
        'trust/root-ca.crl.pem',
        'trust/root-ca.pem',
      ].sort(),
    );
    for (const key of ['ca/private/root-ca.key.pem', 'ca/private/province-ca.key.pem', 'gateway/signing.key.pem', 'gateway/tls.key.pem', 'partners/dev-one-stop.key.pem']) {
      expect(statSync(join(dir, key)).mode & 0o777, key).toBe(0o600);
    }
    expect(statSync(join(dir, 'ca/private')).mode & 0o777).toBe(0o700);
  });

  it('issues certificates the trust store accepts, with UTF-8 names intact and the partner id in OU', async () => {
    const store = await TrustStore.load(pki.trustDir);
    const partner = chainOf(pki.partners['dev-one-stop']!.certificateFile);
    expect(partner[0]!.subject).toBe('C=VN\nO=LGSP Development\nOU=dev-one-stop\nCN=Sở Thông tin và Truyền thông');
    expect(store.check(partner, { at: new Date(), purpose: 'tls-client' }).ok).toBe(true);
    const signer = await loadPemSigner({ certificateFile: pki.gateway.signingCertificateFile, keyFile: pki.gateway.signingKeyFile });
    expect(store.check(signer.certificateChain, { at: new Date(), purpose: 'signing' }).ok).toBe(true);
    expect(signer.certificateChain[1]!.issuer).toBe('C=VN\nO=LGSP Development\nCN=LGSP Development Root CA');
  });

  it('is checked independently by the openssl CLI: chains and CRLs verify, a revoked certificate is refused', () => {
    const trust = (name: string) => join(pki.trustDir, name);
    const crls = ['-CRLfile', trust('root-ca.crl.pem'), '-CRLfile', trust('province-ca.crl.pem')];
    const verify = (crlArgs: string[], file: string) => openssl(['verify', '-CAfile', trust('root-ca.pem'), '-untrusted', trust('province-ca.pem'), '-crl_check_all', ...crlArgs, file]);
    for (const file of [pki.partners['dev-one-stop']!.certificateFile, pki.gateway.signingCertificateFile, pki.gateway.tlsCertificateFile]) {
      expect(verify(crls, file).stdout).toMatch(/: OK$/m);
    }

    const bundle = join(scratch(), 'cas.pem');
    writeFileSync(bundle, readFileSync(trust('root-ca.pem'), 'utf8') + readFileSync(trust('province-ca.pem'), 'utf8'));
    for (const crl of ['root-ca.crl.pem', 'province-ca.crl.pem']) {
      expect(openssl(['crl', '-in', trust(crl), '-CAfile', bundle, '-noout', '-verify']).stderr).toMatch(/verify OK/);
    }

    const partner = chainOf(pki.partners['dev-postal-operator']!.certificateFile)[0]!;
    const revokedCrl = join(scratch(), 'province-revoked.crl.pem');
    const now = new Date();
    writeFileSync(revokedCrl, createCrl({ issuer: pki.provinceCa, revoked: [{ serial: partner.serialNumber, revokedAt: now }], thisUpdate: now, nextUpdate: new Date(now.getTime() + DAY), crlNumber: 2 }));
    const refused = verify(['-CRLfile', trust('root-ca.crl.pem'), '-CRLfile', revokedCrl], pki.partners['dev-postal-operator']!.certificateFile);
    expect(refused.status).not.toBe(0);
    expect(refused.stdout + refused.stderr).toMatch(/certificate revoked/);
  });

  it('sets the key usages openssl reports', () => {
    const text = (file: string) => execFileSync(OPENSSL, ['x509', '-in', file, '-noout', '-text'], { encoding: 'utf8' });
    const root = text(join(pki.trustDir, 'root-ca.pem'));
    expect(root).toMatch(/Basic Constraints: critical\s+CA:TRUE\n/);
    expect(root).toMatch(/Key Usage: critical\s+Certificate Sign, CRL Sign/);
    expect(text(join(pki.trustDir, 'province-ca.pem'))).toMatch(/CA:TRUE, pathlen:0/);
    const signing = text(pki.gateway.signingCertificateFile);
    expect(signing).toMatch(/Key Usage: critical\s+Digital Signature, Non Repudiation/);
    expect(signing).toMatch(/Public-Key: \(2048 bit\)/);
    const partner = text(pki.partners['dev-one-stop']!.certificateFile);
    expect(partner).toMatch(/Key Usage: critical\s+Digital Signature, Non Repudiation/);
    expect(partner).toMatch(/Extended Key Usage:\s+TLS Web Client Authentication/);
    expect(partner).toMatch(/Authority Key Identifier/);
    const tls = text(pki.gateway.tlsCertificateFile);
    expect(tls).toMatch(/TLS Web Server Authentication/);
    expect(tls).toMatch(/DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1/);
  });

  it('ensureDevPki leaves a complete PKI untouched and adds only what is missing', async () => {
    const before = snapshot(dir);
    await ensureDevPki(dir, PARTNERS);
    expect(snapshot(dir)).toEqual(before);

    const more = await ensureDevPki(dir, [...PARTNERS, { id: 'dev-auditor', name: 'Thanh tra tỉnh' }]);
    const after = snapshot(dir);
    expect(Object.keys(after).filter((file) => !(file in before)).sort()).toEqual(['partners/dev-auditor.cert.pem', 'partners/dev-auditor.key.pem']);
    for (const [file, content] of Object.entries(before)) expect(after[file], file).toBe(content);
    expect(more.partners['dev-auditor']!.certificateFile).toBe(join(dir, 'partners/dev-auditor.cert.pem'));
  });

  it('re-issues the CRLs past half their life, keeping their entries and counting up', async () => {
    const crlFile = join(pki.trustDir, 'province-ca.crl.pem');
    const issued = new Date();
    writeFileSync(crlFile, createCrl({ issuer: pki.provinceCa, revoked: [{ serial: '0a1b', revokedAt: issued }], thisUpdate: issued, nextUpdate: new Date(issued.getTime() + 7 * DAY), crlNumber: 5 }));
    const before = readFileSync(crlFile, 'utf8');

    await ensureDevPki(dir, PARTNERS, new Date(issued.getTime() + 3 * DAY));
    expect(readFileSync(crlFile, 'utf8')).toBe(before);

    const later = new Date(issued.getTime() + 4 * DAY);
    await ensureDevPki(dir, PARTNERS, later);
    const [crl] = parseCrls(readFileSync(crlFile));
    expect(crl!.thisUpdate.getTime()).toBe(Math.floor(later.getTime() / 1000) * 1000);
    expect(crl!.nextUpdate!.getTime() - crl!.thisUpdate.getTime()).toBe(7 * DAY);
    expect(crl!.crlNumber).toBe(6n);
    expect([...crl!.revoked.keys()]).toEqual(['a1b']);
    const [rootCrl] = parseCrls(readFileSync(join(pki.trustDir, 'root-ca.crl.pem')));
    expect(rootCrl!.crlNumber).toBe(2n);
  });

  it('re-creates everything below a CA that had to be re-created', async () => {
    const folder = scratch();
    await createDevPki(folder, { partners: PARTNERS });
    const before = snapshot(folder);
    rmSync(join(folder, 'ca/private/province-ca.key.pem'));
    await ensureDevPki(folder, PARTNERS);
    const after = snapshot(folder);
    expect(after['ca/root-ca.pem']).toBe(before['ca/root-ca.pem']);
    expect(after['ca/province-ca.pem']).not.toBe(before['ca/province-ca.pem']);
    expect(after['partners/dev-one-stop.cert.pem']).not.toBe(before['partners/dev-one-stop.cert.pem']);
    const store = await TrustStore.load(join(folder, 'trust'));
    expect(store.check(chainOf(join(folder, 'partners/dev-one-stop.cert.pem')), { at: new Date(), purpose: 'signing' }).ok).toBe(true);
  });
});
