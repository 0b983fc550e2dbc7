// Reads what path validation needs from a certificate's DER with forge.asn1 (names as DER, basic
// constraints, key usage, extended key usage). forge.pki.certificateFromPem is not used: it throws on
// anything but an RSA key. A recognised extension that does not parse makes the whole certificate
// unreadable, so that a caller treats it as not allowed rather than as unconstrained.
import type { X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { type Asn1, children, encodeDer, parseDer, primitive, required } from './der.js';

const { asn1 } = forge;

export type KeyUsageBit =
  | 'digitalSignature'
  | 'nonRepudiation'
  | 'keyEncipherment'
  | 'dataEncipherment'
  | 'keyAgreement'
  | 'keyCertSign'
  | 'cRLSign'
  | 'encipherOnly'
  | 'decipherOnly';

/** RFC 5280 §4.2.1.3, in bit order. */
export const KEY_USAGE_BITS: readonly KeyUsageBit[] = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
];

export const EXTENDED_KEY_USAGE = {
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  any: '2.5.29.37.0',
} as const;

const OID = {
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extendedKeyUsage: '2.5.29.37',
};

// Critical extensions this gateway may accept without acting on them: the ones it reads above, plus
// names and policies, which do not restrict anything the gateway relies on. Anything else critical
// (name constraints, policy constraints...) must make the certificate unusable (RFC 5280 §4.2).
const UNDERSTOOD_CRITICAL = new Set([
  OID.basicConstraints,
  OID.keyUsage,
  OID.extendedKeyUsage,
  '2.5.29.17', // subjectAltName
  '2.5.29.32', // certificatePolicies
]);

export interface CertificateFields {
  subjectDer: Buffer;
  issuerDer: Buffer;
  /** Absent when the certificate has no basicConstraints: then it is not a CA. */
  basicConstraints?: { ca: boolean; pathLength?: number };
  /** Absent when the certificate has no keyUsage extension. */
  keyUsage?: ReadonlySet<KeyUsageBit>;
  /** OIDs; absent when the certificate has no extendedKeyUsage extension. */
  extendedKeyUsage?: readonly string[];
  /** OIDs of critical extensions not in the understood set. */
  unhandledCriticalExtensions: readonly string[];
}

/** The fields, or undefined when the DER or a recognised extension does not parse. */
export function readCertificateFields(certificate: X509Certificate): CertificateFields | undefined {
  try {
    return parse(certificate.raw);
  } catch {
    return undefined;
  }
}

function parse(der: Buffer): CertificateFields {
  const root = parseDer(der);
  const tbs = children(children(root)[0]);
  const explicitVersion = tbs[0]?.tagClass === asn1.Class.CONTEXT_SPECIFIC ? 1 : 0;
  const issuer = required(tbs[explicitVersion + 2]);
  const subject = required(tbs[explicitVersion + 4]);
  const fields: CertificateFields = {
    issuerDer: encodeDer(issuer),
    subjectDer: encodeDer(subject),
    unhandledCriticalExtensions: [],
  };
  const unhandled: string[] = [];
  const wrapper = tbs.find((node) => node.tagClass === asn1.Class.CONTEXT_SPECIFIC && node.type === 3);
  for (const extension of wrapper ? children(children(wrapper)[0]) : []) {
    const parts = children(extension);
    const oid = asn1.derToOid(primitive(parts[0]));
    const critical = parts.length === 3 && primitive(parts[1]) !== '\x00';
    const value = parseDer(Buffer.from(primitive(parts[parts.length - 1]), 'binary'));
    if (oid === OID.basicConstraints) fields.basicConstraints = basicConstraints(value);
    else if (oid === OID.keyUsage) fields.keyUsage = keyUsage(value);
    else if (oid === OID.extendedKeyUsage) fields.extendedKeyUsage = children(value).map((node) => asn1.derToOid(primitive(node)));
    if (critical && !UNDERSTOOD_CRITICAL.has(oid)) unhandled.push(oid);
  }
  fields.unhandledCriticalExtensions = unhandled;
  return fields;
}

function basicConstraints(value: Asn1): { ca: boolean; pathLength?: number } {
  let ca = false;
  let pathLength: number | undefined;
  for (const node of children(value)) {
    if (node.type === asn1.Type.BOOLEAN) ca = primitive(node) !== '\x00';
    else if (node.type === asn1.Type.INTEGER) pathLength = asn1.derToInteger(primitive(node));
    else throw new Error('unexpected basicConstraints member');
  }
  return pathLength === undefined ? { ca } : { ca, pathLength };
}

function keyUsage(value: Asn1): Set<KeyUsageBit> {
  if (value.type !== asn1.Type.BITSTRING) throw new Error('keyUsage is not a BIT STRING');
  // The first content octet counts the unused bits; the named bits follow, most significant first.
  const octets = Buffer.from(primitive(value), 'binary').subarray(1);
  const set = new Set<KeyUsageBit>();
  KEY_USAGE_BITS.forEach((name, bit) => {
    if (((octets[bit >> 3] ?? 0) & (0x80 >> (bit & 7))) !== 0) set.add(name);
  });
  return set;
}
