// A complete PKI for tests, made once per test process in a fresh temporary folder: the trust folder
// with current CRLs, a copy whose CRLs are stale, the gateway's signer, a good credential per partner
// and, for hanoi-one-stop, every kind of bad certificate the trust store must refuse.
import { generateKeyPair, type KeyObject, type X509Certificate } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  createCrl,
  issueCertificate,
  type CertificateAuthority,
  type DistinguishedName,
  type ExtendedKeyUsageName,
  type KeyUsageName,
} from '../../src/crypto/dev-pki.js';
import { loadPemSigner } from '../../src/crypto/file-signer.js';
import type { Signer } from '../../src/crypto/signer.js';
import { certificateFingerprint } from '../../src/crypto/trust.js';

export const TEST_PARTNERS = {
  'hanoi-one-stop': 'Trung tâm Phục vụ hành chính công Hà Nội',
  'other-one-stop': 'Bộ phận Một cửa Sở Tư pháp',
  postal: 'Bưu điện tỉnh',
  payment: 'Cổng thanh toán',
  inspectorate: 'Thanh tra tỉnh',
} as const;

export type TestPartnerId = keyof typeof TEST_PARTNERS;
export type HanoiVariant = 'expired' | 'notYetValid' | 'revoked' | 'untrusted' | 'wrongUsage';

export interface TestCredential {
  /** The leaf alone. */
  certificatePem: string;
  /** The leaf, then its issuing CA (what a sender presents). */
  chainPem: string;
  keyPem: string;
  certificate: X509Certificate;
  key: KeyObject;
  fingerprint: string;
  /** Holds `chainPem`. */
  certificateFile: string;
  keyFile: string;
  signer: Signer;
}

export interface TestPki {
  dir: string;
  /** Root and Province CA certificates with current CRLs (the Province CA's lists `hanoiOneStop.revoked`). */
  trustDir: string;
  /** The same CAs, with CRLs whose nextUpdate has passed. */
  staleTrustDir: string;
  rootCa: CertificateAuthority;
  provinceCa: CertificateAuthority;
  /** A self-signed CA that is in neither trust folder. */
  rogueCa: CertificateAuthority;
  gateway: TestCredential;
  partners: Record<TestPartnerId, TestCredential>;
  hanoiOneStop: Record<HanoiVariant, TestCredential>;
}

const DAY = 24 * 60 * 60 * 1000;
const generateRsa = promisify(generateKeyPair);

let pending: Promise<TestPki> | undefined;
let folder: string | undefined;

export function testPki(): Promise<TestPki> {
  pending ??= build();
  return pending;
}

/** Removes the folder; the next testPki() builds a new PKI. */
export function disposeTestPki(): void {
  if (folder) rmSync(folder, { recursive: true, force: true });
  folder = undefined;
  pending = undefined;
}

process.once('exit', disposeTestPki);

const PREFIX = 'lgsp-test-pki-';

// The test runner may end its worker processes without an 'exit' event, so each folder carries the
// process id, and folders of processes that are gone are removed by the next build.
function removeOrphans(): void {
  for (const name of readdirSync(tmpdir())) {
    const pid = name.startsWith(PREFIX) ? Number(name.slice(PREFIX.length).split('-')[0]) : 0;
    if (pid && pid !== process.pid && !isAlive(pid)) rmSync(join(tmpdir(), name), { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function build(): Promise<TestPki> {
  removeOrphans();
  const dir = mkdtempSync(join(tmpdir(), `${PREFIX}${process.pid}-`));
  folder = dir;
  const now = Date.now();
  const at = (days: number) => new Date(now + days * DAY);
  // Key generation runs on the libuv pool, several at a time.
  const keys = await Promise.all(Array.from({ length: 14 }, () => generateRsa('rsa', { modulusLength: 2048 })));
  const nextKey = () => {
    const pair = keys.pop();
    if (!pair) throw new Error('test PKI: not enough keys generated');
    return pair;
  };

  const authority = (subject: DistinguishedName, issuer: CertificateAuthority | undefined, pathLength?: number): CertificateAuthority => {
    const { publicKey, privateKey } = nextKey();
    const certificate = issueCertificate({
      subject,
      ...(issuer ? { issuer } : { selfSigningKey: privateKey }),
      publicKey,
      notBefore: at(-30),
      notAfter: at(3650),
      ca: pathLength === undefined ? {} : { pathLength },
      keyUsage: ['keyCertSign', 'cRLSign'],
    });
    return { certificate, key: privateKey };
  };
  const rootCa = authority({ commonName: 'LGSP Test Root CA', organization: 'LGSP Test', country: 'VN' }, undefined);
  const provinceCa = authority({ commonName: 'Province CA', organization: 'Sở Thông tin và Truyền thông', country: 'VN' }, rootCa, 0);
  const rogueCa = authority({ commonName: 'Province CA', organization: 'Rogue', country: 'VN' }, undefined);

  await mkdir(join(dir, 'credentials'));
  const credential = async (
    label: string,
    options: {
      subject: DistinguishedName;
      issuer?: CertificateAuthority;
      notBefore?: Date;
      notAfter?: Date;
      keyUsage?: KeyUsageName[];
      extendedKeyUsage?: ExtendedKeyUsageName[];
    },
  ): Promise<TestCredential> => {
    const issuer = options.issuer ?? provinceCa;
    const { publicKey, privateKey } = nextKey();
    const certificate = issueCertificate({
      subject: options.subject,
      issuer,
      publicKey,
      notBefore: options.notBefore ?? at(-1),
      notAfter: options.notAfter ?? at(365),
      keyUsage: options.keyUsage ?? ['digitalSignature', 'nonRepudiation'],
      ...(options.extendedKeyUsage ? { extendedKeyUsage: options.extendedKeyUsage } : {}),
    });
    const certificatePem = certificate.toString();
    const chainPem = certificatePem + issuer.certificate.toString();
    const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const certificateFile = join(dir, 'credentials', `${label}.cert.pem`);
    const keyFile = join(dir, 'credentials', `${label}.key.pem`);
    await writeFile(certificateFile, chainPem);
    await writeFile(keyFile, keyPem, { mode: 0o600 });
    const signer = await loadPemSigner({ certificateFile, keyFile });
    return { certificatePem, chainPem, keyPem, certificate, key: privateKey, fingerprint: certificateFingerprint(certificate), certificateFile, keyFile, signer };
  };

  const partnerSubject = (id: TestPartnerId): DistinguishedName => ({ commonName: TEST_PARTNERS[id], organizationalUnit: id, organization: 'LGSP Test', country: 'VN' });
  const partnerUsage = { extendedKeyUsage: ['clientAuth'] as ExtendedKeyUsageName[] };
  const gateway = await credential('gateway', { subject: { commonName: 'LGSP Gateway Signing', organization: 'LGSP Test', country: 'VN' } });
  const partners = {} as Record<TestPartnerId, TestCredential>;
  for (const id of Object.keys(TEST_PARTNERS) as TestPartnerId[]) partners[id] = await credential(id, { subject: partnerSubject(id), ...partnerUsage });
  const hanoi = partnerSubject('hanoi-one-stop');
  const hanoiOneStop: Record<HanoiVariant, TestCredential> = {
    expired: await credential('hanoi-expired', { subject: hanoi, ...partnerUsage, notBefore: at(-400), notAfter: at(-1) }),
    notYetValid: await credential('hanoi-not-yet-valid', { subject: hanoi, ...partnerUsage, notBefore: at(1), notAfter: at(400) }),
    revoked: await credential('hanoi-revoked', { subject: hanoi, ...partnerUsage }),
    untrusted: await credential('hanoi-untrusted', { subject: hanoi, ...partnerUsage, issuer: rogueCa }),
    wrongUsage: await credential('hanoi-wrong-usage', { subject: hanoi, ...partnerUsage, keyUsage: ['keyEncipherment'] }),
  };

  const revoked = [{ serial: hanoiOneStop.revoked.certificate.serialNumber, revokedAt: at(-0.5) }];
  const trustFolder = async (name: string, thisUpdate: Date, nextUpdate: Date) => {
    const trustDir = join(dir, name);
    await mkdir(trustDir);
    await writeFile(join(trustDir, 'root-ca.pem'), rootCa.certificate.toString());
    await writeFile(join(trustDir, 'province-ca.pem'), provinceCa.certificate.toString());
    await writeFile(join(trustDir, 'root-ca.crl.pem'), createCrl({ issuer: rootCa, revoked: [], thisUpdate, nextUpdate, crlNumber: 1 }));
    await writeFile(join(trustDir, 'province-ca.crl.pem'), createCrl({ issuer: provinceCa, revoked, thisUpdate, nextUpdate, crlNumber: 1 }));
    return trustDir;
  };
  const trustDir = await trustFolder('trust', at(-1 / 24), at(7));
  const staleTrustDir = await trustFolder('trust-stale', at(-10), at(-3));
  return { dir, trustDir, staleTrustDir, rootCa, provinceCa, rogueCa, gateway, partners, hanoiOneStop };
}
