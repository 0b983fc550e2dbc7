// The gateway's trust store: the CA certificates and CRLs in one folder (TRUST_STORE_DIR). Checking a
// presented chain builds a path to a self-signed root held in the folder and validates it (RFC 5280
// §6, reduced to what the gateway needs: signatures, validity, CA constraints, key usage and
// revocation by CRL). Revocation fails closed: no current CRL for an issuer means no trust.
import { X509Certificate } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readCertificateFields, EXTENDED_KEY_USAGE, type CertificateFields } from './certificate-fields.js';
import { parseCrls, verifyCrlSignature, type RevocationList } from './crl.js';
import { normaliseSerial } from './der.js';
import { pemBlocks } from './pem.js';
import { certificateFingerprint, type CertificatePurpose, type TrustChecker, type TrustVerdict } from './trust.js';

export type StaleCrlPolicy = 'fail' | 'allow';

const MAX_CHAIN_LENGTH = 8;

interface Known {
  certificate: X509Certificate;
  fields: CertificateFields;
  fingerprint: string;
}

interface Contents {
  /** Every certificate in the folder; the self-signed ones are the trust anchors. */
  certificates: Known[];
  roots: Set<string>;
  /** The newest verified CRL of each CA, by the CA certificate's fingerprint. */
  crls: Map<string, RevocationList>;
}

class Refusal extends Error {
  constructor(
    readonly code: 'certificate-untrusted' | 'certificate-revoked',
    reason: string,
  ) {
    super(reason);
  }
}

export class TrustStore implements TrustChecker {
  private constructor(
    private readonly dir: string,
    private readonly staleCrl: StaleCrlPolicy,
    private contents: Contents,
  ) {}

  /** Reads the folder; throws on an unreadable file or a CRL that no CA in the folder signed. */
  static async load(dir: string, options: { staleCrl?: StaleCrlPolicy } = {}): Promise<TrustStore> {
    return new TrustStore(dir, options.staleCrl ?? 'fail', await readFolder(dir));
  }

  /** Re-reads the folder (new CRLs, added or removed CAs); the old contents stay if it fails. */
  async reload(): Promise<void> {
    this.contents = await readFolder(this.dir);
  }

  /**
   * Every CA certificate of the folder as PEM, for a TLS server's `ca` option: the handshake then
   * asks for and pre-checks client certificates; check() with 'tls-client' still decides.
   */
  caCertificatesPem(): Buffer[] {
    return this.contents.certificates.map((known) => Buffer.from(known.certificate.toString()));
  }

  /** When each certificate of the folder expires and each CA's newest CRL needs its successor, for the expiry alerts. */
  validityEnds(): { certificates: { subject: string; notAfter: Date }[]; crls: { issuer: string; nextUpdate: Date | undefined }[] } {
    const bySubject = new Map(this.contents.certificates.map((known) => [known.fingerprint, known.certificate.subject.replace(/\n/g, ', ')]));
    return {
      certificates: this.contents.certificates.map((known) => ({ subject: bySubject.get(known.fingerprint)!, notAfter: new Date(known.certificate.validTo) })),
      crls: [...this.contents.crls].map(([issuer, crl]) => ({ issuer: bySubject.get(issuer) ?? issuer, nextUpdate: crl.nextUpdate })),
    };
  }

  check(chain: readonly X509Certificate[], options: { at: Date; purpose: CertificatePurpose }): TrustVerdict {
    try {
      return { ok: true, path: this.validate(chain, options.at, options.purpose).map((known) => known.certificate) };
    } catch (error) {
      if (error instanceof Refusal) return { ok: false, code: error.code, reason: error.message };
      return { ok: false, code: 'certificate-untrusted', reason: `the certificate chain could not be checked: ${(error as Error).message}` };
    }
  }

  private validate(chain: readonly X509Certificate[], at: Date, purpose: CertificatePurpose): Known[] {
    if (!Array.isArray(chain) || chain.length === 0) throw untrusted('no certificate was presented');
    if (chain.length > MAX_CHAIN_LENGTH) throw untrusted(`the presented chain has ${chain.length} certificates; at most ${MAX_CHAIN_LENGTH} are accepted`);
    if (!chain.every((item) => item instanceof X509Certificate)) throw untrusted('the presented chain holds something that is not a certificate');
    if (Number.isNaN(at.getTime())) throw untrusted('no valid time to check the certificate at');
    const presented = chain.map(known);
    const path = this.buildPath(presented);
    for (const item of path) checkValidity(item, at);
    path.forEach((item, index) => {
      const subject = path[index - 1];
      if (subject) {
        checkIssuer(item, index - 1);
        // OpenSSL's own issuer match (names, authority key identifier) as a second opinion.
        if (!subject.certificate.checkIssued(item.certificate)) throw untrusted(`certificate ${name(subject)} does not match its issuer ${name(item)} (authority key identifier)`);
      }
      if (item.fields.unhandledCriticalExtensions.length > 0) {
        throw untrusted(`certificate ${name(item)} has a critical extension the gateway does not process (${item.fields.unhandledCriticalExtensions.join(', ')})`);
      }
    });
    checkLeafUsage(path[0] as Known, purpose);
    for (let index = 0; index < path.length - 1; index += 1) this.checkRevocation(path[index] as Known, path[index + 1] as Known, at);
    return path;
  }

  /** From the leaf, issuer by issuer (store copies preferred), to a root in the store. */
  private buildPath(presented: Known[]): Known[] {
    const leaf = presented[0] as Known;
    const candidates = [...this.contents.certificates, ...presented.slice(1)];
    const path = [leaf];
    for (let current = leaf; !this.contents.roots.has(current.fingerprint); ) {
      if (path.length > MAX_CHAIN_LENGTH) throw untrusted(`no trusted root within ${MAX_CHAIN_LENGTH} certificates of ${name(leaf)}`);
      const named = candidates.filter((candidate) => candidate.fields.subjectDer.equals(current.fields.issuerDer));
      if (isSelfSigned(current) || named.length === 0) {
        throw untrusted(`certificate ${name(current)} was issued by ${issuerName(current)}, which is not a trusted CA`);
      }
      const issuer = named.find((candidate) => current.certificate.verify(candidate.certificate.publicKey));
      if (!issuer) throw untrusted(`the signature on certificate ${name(current)} does not verify with the key of ${issuerName(current)}`);
      if (path.some((item) => item.fingerprint === issuer.fingerprint)) throw untrusted(`the chain of ${name(leaf)} loops at ${name(issuer)}`);
      path.push(issuer);
      current = issuer;
    }
    return path;
  }

  private checkRevocation(subject: Known, issuer: Known, at: Date): void {
    const crl = this.contents.crls.get(issuer.fingerprint);
    if (!crl) throw untrusted(`revocation status unknown: there is no CRL from ${commonName(issuer)}`);
    if (!crl.nextUpdate || crl.nextUpdate.getTime() <= at.getTime()) {
      if (this.staleCrl === 'fail') {
        const when = crl.nextUpdate ? `expired on ${crl.nextUpdate.toISOString()}` : 'has no next update';
        throw untrusted(`revocation status unknown: the CRL of ${commonName(issuer)} ${when}`);
      }
    }
    const revokedAt = crl.revoked.get(normaliseSerial(subject.certificate.serialNumber));
    if (revokedAt) throw new Refusal('certificate-revoked', `certificate ${name(subject)} was revoked by ${commonName(issuer)} on ${revokedAt.toISOString()}`);
  }
}

function checkValidity(item: Known, at: Date): void {
  const notBefore = new Date(item.certificate.validFrom);
  const notAfter = new Date(item.certificate.validTo);
  if (Number.isNaN(notBefore.getTime()) || Number.isNaN(notAfter.getTime())) throw untrusted(`certificate ${name(item)} has an unreadable validity period`);
  if (at < notBefore) throw untrusted(`certificate ${name(item)} is not valid before ${notBefore.toISOString()}`);
  if (at > notAfter) throw untrusted(`certificate ${name(item)} expired on ${notAfter.toISOString()}`);
}

/** `below` counts the intermediates between this issuer and the leaf, for pathLen. */
function checkIssuer(item: Known, below: number): void {
  const { basicConstraints, keyUsage } = item.fields;
  if (!basicConstraints?.ca) throw untrusted(`certificate ${name(item)} is not a CA certificate but issued another certificate`);
  if (!keyUsage?.has('keyCertSign')) throw untrusted(`CA certificate ${name(item)} is not allowed to sign certificates (no keyCertSign)`);
  if (basicConstraints.pathLength !== undefined && below > basicConstraints.pathLength) {
    throw untrusted(`CA certificate ${name(item)} allows ${basicConstraints.pathLength} intermediate CAs below it, the chain has ${below}`);
  }
}

function checkLeafUsage(leaf: Known, purpose: CertificatePurpose): void {
  const { keyUsage, extendedKeyUsage } = leaf.fields;
  if (purpose === 'signing') {
    if (!keyUsage?.has('digitalSignature') && !keyUsage?.has('nonRepudiation')) {
      throw untrusted(`certificate ${name(leaf)} is not allowed for signing (key usage needs digitalSignature or nonRepudiation)`);
    }
    return;
  }
  if (!keyUsage?.has('digitalSignature')) throw untrusted(`certificate ${name(leaf)} is not allowed for TLS client authentication (no digitalSignature)`);
  if (extendedKeyUsage && !extendedKeyUsage.includes(EXTENDED_KEY_USAGE.clientAuth) && !extendedKeyUsage.includes(EXTENDED_KEY_USAGE.any)) {
    throw untrusted(`certificate ${name(leaf)} is not allowed for TLS client authentication (extended key usage lacks clientAuth)`);
  }
}

async function readFolder(dir: string): Promise<Contents> {
  const certificates: Known[] = [];
  const crlFiles: Array<{ file: string; crl: RevocationList }> = [];
  const names = (await readdir(dir, { withFileTypes: true })).filter((entry) => entry.isFile()).map((entry) => entry.name).sort();
  for (const fileName of names) {
    const lower = fileName.toLowerCase();
    const isCrlName = lower.endsWith('.crl') || lower.endsWith('.crl.pem');
    const isCertificateName = /\.(pem|crt|cer)$/.test(lower);
    if (!isCrlName && !isCertificateName) continue;
    const file = join(dir, fileName);
    const content = await readFile(file);
    const text = content.toString('latin1');
    try {
      if (isCrlName || text.includes('-----BEGIN X509 CRL-----')) for (const crl of parseCrls(content)) crlFiles.push({ file, crl });
      if (text.includes('-----BEGIN CERTIFICATE-----')) {
        for (const der of pemBlocks(text, 'CERTIFICATE')) certificates.push(known(new X509Certificate(der)));
      } else if (!isCrlName && !text.includes('-----BEGIN')) {
        certificates.push(known(new X509Certificate(content))); // DER .cer/.crt
      }
    } catch (error) {
      throw new Error(`trust store file ${file} cannot be read: ${(error as Error).message}`);
    }
  }
  const roots = new Set(certificates.filter(isSelfSigned).map((item) => item.fingerprint));
  const crls = new Map<string, RevocationList>();
  for (const { file, crl } of crlFiles) {
    const issuer = certificates.find((item) => item.fields.subjectDer.equals(crl.issuerDer) && verifyCrlSignature(crl, item.certificate));
    if (!issuer) throw new Error(`trust store file ${file}: no CA certificate in ${dir} issued this CRL (or its signature does not verify)`);
    if (!issuer.fields.keyUsage?.has('cRLSign')) throw new Error(`trust store file ${file}: ${name(issuer)} is not allowed to sign CRLs`);
    const previous = crls.get(issuer.fingerprint);
    if (!previous || previous.thisUpdate < crl.thisUpdate) crls.set(issuer.fingerprint, crl);
  }
  return { certificates, roots, crls };
}

/** A certificate whose extensions do not parse is refused, not taken as unconstrained. */
function known(certificate: X509Certificate): Known {
  const fields = readCertificateFields(certificate);
  if (!fields) throw untrusted(`certificate ${oneLine(certificate.subject)} cannot be read (malformed or unsupported extensions)`);
  return { certificate, fields, fingerprint: certificateFingerprint(certificate) };
}

function isSelfSigned(item: Known): boolean {
  return item.fields.subjectDer.equals(item.fields.issuerDer) && item.certificate.verify(item.certificate.publicKey);
}

function untrusted(reason: string): Refusal {
  return new Refusal('certificate-untrusted', reason);
}

function name(item: Known): string {
  return `"${oneLine(item.certificate.subject)}"`;
}

function issuerName(item: Known): string {
  return `"${oneLine(item.certificate.issuer)}"`;
}

function commonName(item: Known): string {
  const cn = /^CN=(.*)$/m.exec(item.certificate.subject)?.[1];
  return cn ?? oneLine(item.certificate.subject);
}

function oneLine(distinguishedName: string): string {
  return distinguishedName.split('\n').join(', ');
}
