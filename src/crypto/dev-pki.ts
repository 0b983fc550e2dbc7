// Certificate building blocks and a development PKI shaped like Vietnam's: a root CA, one provincial
// CA under it (the "Province CA", path length 0), and end-entity certificates for the gateway and its
// partners. Certificates are assembled with forge and signed with node:crypto; forge has no CRL
// writer, so CRLs are assembled with forge.asn1 directly (RFC 5280 §5).
//
// Layout under the PKI folder:
//   trust/                 what a trust store folder holds (TRUST_STORE_DIR):
//     root-ca.pem, province-ca.pem, root-ca.crl.pem, province-ca.crl.pem
//   ca/root-ca.pem, ca/province-ca.pem            CA certificates
//   ca/private/root-ca.key.pem, province-ca.key.pem CA private keys (0600)
//   gateway/signing.cert.pem (leaf + Province CA), gateway/signing.key.pem (0600)
//   gateway/tls.cert.pem (leaf + Province CA; localhost, 127.0.0.1, ::1), gateway/tls.key.pem (0600)
//   partners/<id>.cert.pem (leaf + Province CA), partners/<id>.key.pem (0600)
import {
  X509Certificate,
  createHash,
  createPrivateKey,
  generateKeyPairSync,
  randomBytes,
  sign,
  type KeyObject,
} from 'node:crypto';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import forge from 'node-forge';
import { parseCrls } from './crl.js';
import { children, encodeDer, parseDer, positiveInteger, required, timeNode } from './der.js';
import { readCertificateFields } from './certificate-fields.js';
import { pemBlocks, toPem } from './pem.js';

const { asn1, pki } = forge;

// Present in forge, missing from @types/node-forge.
const getTbsCertificate = (pki as unknown as { getTBSCertificate(cert: forge.pki.Certificate): forge.asn1.Asn1 }).getTBSCertificate;

const SHA256_WITH_RSA = '1.2.840.113549.1.1.11';
const DAY = 24 * 60 * 60 * 1000;
const CRL_LIFETIME = 7 * DAY;

export interface DistinguishedName {
  commonName: string;
  organization?: string;
  organizationalUnit?: string;
  locality?: string;
  stateOrProvince?: string;
  /** Two-letter code, e.g. VN. */
  country?: string;
}

export interface CertificateAuthority {
  certificate: X509Certificate;
  key: KeyObject;
}

export type KeyUsageName = 'digitalSignature' | 'nonRepudiation' | 'keyEncipherment' | 'dataEncipherment' | 'keyAgreement' | 'keyCertSign' | 'cRLSign';
export type ExtendedKeyUsageName = 'serverAuth' | 'clientAuth' | 'codeSigning' | 'emailProtection' | 'timeStamping';

export interface IssueCertificateOptions {
  subject: DistinguishedName;
  /** Self-signed (with `publicKey`'s own private key as `selfSigningKey`) when absent. */
  issuer?: CertificateAuthority;
  /** The private key signing a self-signed certificate; ignored when `issuer` is given. */
  selfSigningKey?: KeyObject;
  /** RSA public key of the subject. */
  publicKey: KeyObject;
  /** Positive hex; a random 16-byte serial when absent. */
  serial?: string;
  notBefore: Date;
  notAfter: Date;
  ca?: { pathLength?: number };
  keyUsage: readonly KeyUsageName[];
  extendedKeyUsage?: readonly ExtendedKeyUsageName[];
  subjectAltNames?: { dns?: readonly string[]; ip?: readonly string[] };
}

export interface CreateCrlOptions {
  issuer: CertificateAuthority;
  revoked: ReadonlyArray<{ serial: string; revokedAt: Date }>;
  thisUpdate: Date;
  nextUpdate: Date;
  crlNumber: bigint | number;
}

export interface DevPartner {
  id: string;
  name: string;
}

export interface DevPki {
  trustDir: string;
  rootCa: CertificateAuthority;
  provinceCa: CertificateAuthority;
  gateway: { signingCertificateFile: string; signingKeyFile: string; tlsCertificateFile: string; tlsKeyFile: string };
  partners: Record<string, { certificateFile: string; keyFile: string }>;
}

export function generateRsaKeyPair(modulusLength = 2048): { publicKey: KeyObject; privateKey: KeyObject } {
  return generateKeyPairSync('rsa', { modulusLength });
}

/** A random positive 16-byte serial (RFC 5280 allows up to 20 octets). */
export function randomSerial(): string {
  const octets = randomBytes(16);
  // Top bit clear keeps it positive; a set second bit keeps the encoding minimal.
  octets[0] = ((octets[0] ?? 0) & 0x7f) | 0x40;
  return octets.toString('hex');
}

export function issueCertificate(options: IssueCertificateOptions): X509Certificate {
  const signingKey = options.issuer?.key ?? options.selfSigningKey;
  if (!signingKey) throw new Error('a self-signed certificate needs selfSigningKey');
  const cert = pki.createCertificate();
  cert.publicKey = pki.publicKeyFromPem(options.publicKey.export({ type: 'spki', format: 'pem' }).toString());
  cert.serialNumber = options.serial ?? randomSerial();
  cert.validity.notBefore = options.notBefore;
  cert.validity.notAfter = options.notAfter;
  cert.setSubject(nameAttributes(options.subject));
  cert.setExtensions(extensions(options));
  cert.siginfo.algorithmOid = SHA256_WITH_RSA;
  const tbs = getTbsCertificate(cert);
  // The issuer Name is copied as DER from the issuer's certificate so that chain building, which
  // compares names byte for byte, can never be defeated by a re-encoding.
  const fields = children(tbs);
  fields[3] = options.issuer ? parseDer(subjectDer(options.issuer.certificate)) : required(fields[5]);
  return new X509Certificate(signed(encodeDer(tbs), signingKey));
}

export function createCrl(options: CreateCrlOptions): string {
  const { Class, Type } = asn1;
  const entries = options.revoked.map(({ serial, revokedAt }) =>
    asn1.create(Class.UNIVERSAL, Type.SEQUENCE, true, [positiveInteger(serial), timeNode(revokedAt)]),
  );
  const crlNumber = extension('2.5.29.20', false, positiveInteger(BigInt(options.crlNumber).toString(16)));
  const authorityKeyId = extension(
    '2.5.29.35',
    false,
    asn1.create(Class.UNIVERSAL, Type.SEQUENCE, true, [
      asn1.create(Class.CONTEXT_SPECIFIC, 0, false, keyIdentifier(options.issuer.certificate.publicKey)),
    ]),
  );
  const tbs = asn1.create(Class.UNIVERSAL, Type.SEQUENCE, true, [
    asn1.create(Class.UNIVERSAL, Type.INTEGER, false, asn1.integerToDer(1).getBytes()), // v2
    algorithmIdentifier(),
    parseDer(subjectDer(options.issuer.certificate)),
    timeNode(options.thisUpdate),
    timeNode(options.nextUpdate),
    ...(entries.length > 0 ? [asn1.create(Class.UNIVERSAL, Type.SEQUENCE, true, entries)] : []),
    asn1.create(Class.CONTEXT_SPECIFIC, 0, true, [asn1.create(Class.UNIVERSAL, Type.SEQUENCE, true, [crlNumber, authorityKeyId])]),
  ]);
  return toPem(signed(encodeDer(tbs), options.issuer.key), 'X509 CRL');
}

/** Creates the whole development PKI under `dir`, replacing whatever is there. */
export async function createDevPki(dir: string, options: { partners: readonly DevPartner[]; now?: Date }): Promise<DevPki> {
  return build(dir, options.partners, options.now ?? new Date(), true);
}

/**
 * Creates only what is missing under `dir` (anything below a re-created CA is re-created too), and
 * re-issues a CRL once it is past half its life, so that a long-running development install never
 * fails closed on a stale CRL.
 */
export async function ensureDevPki(dir: string, partners: readonly DevPartner[], now = new Date()): Promise<DevPki> {
  return build(dir, partners, now, false);
}

async function build(dir: string, partners: readonly DevPartner[], now: Date, replace: boolean): Promise<DevPki> {
  const paths = {
    trust: join(dir, 'trust'),
    ca: join(dir, 'ca'),
    caPrivate: join(dir, 'ca', 'private'),
    gateway: join(dir, 'gateway'),
    partners: join(dir, 'partners'),
  };
  for (const folder of Object.values(paths)) await mkdir(folder, { recursive: true });
  await chmod(paths.caPrivate, 0o700);
  const years = (count: number) => new Date(now.getTime() + count * 365 * DAY);
  const backdated = new Date(now.getTime() - 60 * 60 * 1000); // tolerates small clock skew

  const root = await ensureCredential(
    { certificateFile: join(paths.ca, 'root-ca.pem'), keyFile: join(paths.caPrivate, 'root-ca.key.pem') },
    replace,
    (publicKey, privateKey) =>
      issueCertificate({
        subject: { commonName: 'LGSP Development Root CA', organization: 'LGSP Development', country: 'VN' },
        selfSigningKey: privateKey,
        publicKey,
        notBefore: backdated,
        notAfter: years(10),
        ca: {},
        keyUsage: ['keyCertSign', 'cRLSign'],
      }),
  );
  const province = await ensureCredential(
    { certificateFile: join(paths.ca, 'province-ca.pem'), keyFile: join(paths.caPrivate, 'province-ca.key.pem') },
    replace || root.created,
    (publicKey) =>
      issueCertificate({
        subject: { commonName: 'Province CA', organization: 'Sở Thông tin và Truyền thông', country: 'VN' },
        issuer: root.authority,
        publicKey,
        notBefore: backdated,
        notAfter: years(5),
        ca: { pathLength: 0 },
        keyUsage: ['keyCertSign', 'cRLSign'],
      }),
  );
  const belowProvince = replace || province.created;
  const leaf = (subject: DistinguishedName, usage: Partial<IssueCertificateOptions>) => (publicKey: KeyObject) =>
    issueCertificate({
      subject,
      issuer: province.authority,
      publicKey,
      notBefore: backdated,
      notAfter: years(2),
      keyUsage: ['digitalSignature', 'nonRepudiation'],
      ...usage,
    });

  const gateway = {
    signingCertificateFile: join(paths.gateway, 'signing.cert.pem'),
    signingKeyFile: join(paths.gateway, 'signing.key.pem'),
    tlsCertificateFile: join(paths.gateway, 'tls.cert.pem'),
    tlsKeyFile: join(paths.gateway, 'tls.key.pem'),
  };
  const gatewayName = { organization: 'LGSP Development', country: 'VN' };
  await ensureCredential(
    { certificateFile: gateway.signingCertificateFile, keyFile: gateway.signingKeyFile, chain: province.authority.certificate },
    belowProvince,
    leaf({ commonName: 'LGSP Gateway Signing', ...gatewayName }, {}),
  );
  await ensureCredential(
    { certificateFile: gateway.tlsCertificateFile, keyFile: gateway.tlsKeyFile, chain: province.authority.certificate },
    belowProvince,
    leaf(
      { commonName: 'localhost', ...gatewayName },
      {
        keyUsage: ['digitalSignature', 'keyEncipherment'],
        extendedKeyUsage: ['serverAuth'],
        subjectAltNames: { dns: ['localhost'], ip: ['127.0.0.1', '::1'] },
      },
    ),
  );
  const partnerFiles: DevPki['partners'] = {};
  for (const partner of partners) {
    const files = { certificateFile: join(paths.partners, `${partner.id}.cert.pem`), keyFile: join(paths.partners, `${partner.id}.key.pem`) };
    partnerFiles[partner.id] = files;
    await ensureCredential(
      { ...files, chain: province.authority.certificate },
      belowProvince,
      // The partner id goes in OU so that a registry can map a certificate to a partner by subject.
      leaf({ commonName: partner.name, organizationalUnit: partner.id, organization: 'LGSP Development', country: 'VN' }, { extendedKeyUsage: ['clientAuth'] }),
    );
  }

  await copyIfChanged(join(paths.trust, 'root-ca.pem'), root.authority.certificate.toString());
  await copyIfChanged(join(paths.trust, 'province-ca.pem'), province.authority.certificate.toString());
  await ensureCrl(join(paths.trust, 'root-ca.crl.pem'), root.authority, replace || root.created, now);
  await ensureCrl(join(paths.trust, 'province-ca.crl.pem'), province.authority, belowProvince, now);
  return { trustDir: paths.trust, rootCa: root.authority, provinceCa: province.authority, gateway, partners: partnerFiles };
}

async function ensureCredential(
  files: { certificateFile: string; keyFile: string; chain?: X509Certificate },
  replace: boolean,
  issue: (publicKey: KeyObject, privateKey: KeyObject) => X509Certificate,
): Promise<{ authority: CertificateAuthority; created: boolean }> {
  if (!replace && (await exists(files.certificateFile)) && (await exists(files.keyFile))) {
    const [certificateDer] = pemBlocks(await readFile(files.certificateFile, 'utf8'), 'CERTIFICATE');
    if (!certificateDer) throw new Error(`${files.certificateFile} holds no certificate`);
    return { authority: { certificate: new X509Certificate(certificateDer), key: createPrivateKey(await readFile(files.keyFile)) }, created: false };
  }
  const { publicKey, privateKey } = generateRsaKeyPair();
  const certificate = issue(publicKey, privateKey);
  await writeFile(files.keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), { mode: 0o600 });
  await chmod(files.keyFile, 0o600);
  await writeFile(files.certificateFile, certificate.toString() + (files.chain?.toString() ?? ''));
  return { authority: { certificate, key: privateKey }, created: true };
}

async function ensureCrl(file: string, issuer: CertificateAuthority, replace: boolean, now: Date): Promise<void> {
  let revoked: Array<{ serial: string; revokedAt: Date }> = [];
  let crlNumber = 1n;
  if (!replace && (await exists(file))) {
    const [current] = safeParseCrls(await readFile(file));
    if (current && current.issuerDer.equals(subjectDer(issuer.certificate))) {
      const life = (current.nextUpdate?.getTime() ?? 0) - current.thisUpdate.getTime();
      if (now.getTime() < current.thisUpdate.getTime() + life / 2) return;
      // Re-issued with the same entries and the next number, as a CA would.
      revoked = [...current.revoked].map(([serial, revokedAt]) => ({ serial, revokedAt }));
      crlNumber = (current.crlNumber ?? 0n) + 1n;
    }
  }
  await writeFile(file, createCrl({ issuer, revoked, thisUpdate: now, nextUpdate: new Date(now.getTime() + CRL_LIFETIME), crlNumber }));
}

function safeParseCrls(content: Buffer): ReturnType<typeof parseCrls> {
  try {
    return parseCrls(content);
  } catch {
    return [];
  }
}

async function copyIfChanged(file: string, content: string): Promise<void> {
  if ((await exists(file)) && (await readFile(file, 'utf8')) === content) return;
  await writeFile(file, content);
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

function nameAttributes(name: DistinguishedName): forge.pki.CertificateField[] {
  const attribute = (shortName: string, value: string | undefined, printable = false) =>
    value === undefined ? [] : [{ shortName, value, valueTagClass: (printable ? asn1.Type.PRINTABLESTRING : asn1.Type.UTF8) as number as forge.asn1.Class }];
  return [
    ...attribute('C', name.country, true),
    ...attribute('ST', name.stateOrProvince),
    ...attribute('L', name.locality),
    ...attribute('O', name.organization),
    ...attribute('OU', name.organizationalUnit),
    ...attribute('CN', name.commonName),
  ];
}

function extensions(options: IssueCertificateOptions): unknown[] {
  const list: unknown[] = [
    {
      name: 'basicConstraints',
      critical: true,
      cA: options.ca !== undefined,
      ...(options.ca?.pathLength === undefined ? {} : { pathLenConstraint: options.ca.pathLength }),
    },
    { name: 'keyUsage', critical: true, ...Object.fromEntries(options.keyUsage.map((usage) => [usage, true])) },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: keyIdentifier(options.issuer?.certificate.publicKey ?? options.publicKey) },
  ];
  if (options.extendedKeyUsage?.length) {
    list.push({ name: 'extKeyUsage', ...Object.fromEntries(options.extendedKeyUsage.map((usage) => [usage, true])) });
  }
  const { dns = [], ip = [] } = options.subjectAltNames ?? {};
  if (dns.length + ip.length > 0) {
    list.push({ name: 'subjectAltName', altNames: [...dns.map((value) => ({ type: 2, value })), ...ip.map((address) => ({ type: 7, ip: address }))] });
  }
  return list;
}

/** RFC 5280 §4.2.1.2 method 1, as forge computes the subject key identifier: SHA-1 of RSAPublicKey. */
function keyIdentifier(publicKey: KeyObject): string {
  return createHash('sha1').update(publicKey.export({ type: 'pkcs1', format: 'der' })).digest().toString('binary');
}

function subjectDer(certificate: X509Certificate): Buffer {
  const fields = readCertificateFields(certificate);
  if (!fields) throw new Error('the issuer certificate cannot be read');
  return fields.subjectDer;
}

function algorithmIdentifier(): forge.asn1.Asn1 {
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(SHA256_WITH_RSA).getBytes()),
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, ''),
  ]);
}

function extension(oid: string, critical: boolean, value: forge.asn1.Asn1): forge.asn1.Asn1 {
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(oid).getBytes()),
    ...(critical ? [asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BOOLEAN, false, '\xff')] : []),
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, asn1.toDer(value).getBytes()),
  ]);
}

/** Certificate or CertificateList: SEQUENCE { tbs, algorithm, BIT STRING signature }. */
function signed(tbsDer: Buffer, key: KeyObject): Buffer {
  const signature = sign('sha256', tbsDer, key);
  return encodeDer(
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
      parseDer(tbsDer),
      algorithmIdentifier(),
      asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BITSTRING, false, `\x00${signature.toString('binary')}`),
    ]),
  );
}
