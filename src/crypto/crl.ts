// Reads an X.509 CRL (RFC 5280 §5), PEM or DER, and checks its signature against the issuing CA's
// certificate. Parsing throws on malformed input; the trust store loads CRLs at start-up, where a bad
// file is a configuration error.
import { verify, type X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { children, firstInnerElement, encodeDer, integerHex, isTime, parseDer, primitive, readTime, required } from './der.js';
import { pemBlocks } from './pem.js';

const { asn1 } = forge;

export interface RevocationList {
  /** The issuer Name as DER, to match against a CA certificate's subject. */
  issuerDer: Buffer;
  thisUpdate: Date;
  /** Absent only in non-conforming CRLs; the trust store treats that as stale. */
  nextUpdate?: Date;
  /** Revoked serial numbers (normalised hex, see normaliseSerial) and when they were revoked. */
  revoked: ReadonlyMap<string, Date>;
  crlNumber?: bigint;
  signatureAlgorithm: string;
  /** The signed bytes exactly as received, and the signature over them. */
  tbsDer: Buffer;
  signature: Buffer;
}

const CRL_NUMBER = '2.5.29.20';

// Signature algorithms a CRL may use, by OID, with the digest node:crypto needs. RSA PKCS#1 v1.5 and
// ECDSA verify with the issuer's key as is; RSASSA-PSS and SHA-1 are not accepted.
const DIGESTS: Record<string, string> = {
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
};

/** Every CRL in a PEM text (one or more `X509 CRL` blocks) or a DER buffer. */
export function parseCrls(input: Buffer | string): RevocationList[] {
  const text = typeof input === 'string' ? input : input.toString('latin1');
  if (text.includes('-----BEGIN X509 CRL-----')) return pemBlocks(text, 'X509 CRL').map(parseCrlDer);
  if (typeof input === 'string') throw new Error('no X509 CRL block found');
  return [parseCrlDer(input)];
}

export function parseCrlDer(der: Buffer): RevocationList {
  const [tbsNode, algorithmNode, signatureNode] = children(parseDer(der));
  const tbs = children(tbsNode);
  let index = tbs[0]?.type === asn1.Type.INTEGER && tbs[0].tagClass === asn1.Class.UNIVERSAL ? 1 : 0;
  const innerAlgorithm = algorithmOid(tbs[index++]);
  const issuer = required(tbs[index++]);
  const thisUpdate = readTime(tbs[index++]);
  const nextUpdate = isTime(tbs[index]) ? readTime(tbs[index++]) : undefined;
  const revoked = new Map<string, Date>();
  const maybeList = tbs[index];
  if (maybeList?.tagClass === asn1.Class.UNIVERSAL && maybeList.type === asn1.Type.SEQUENCE) {
    index += 1;
    for (const entry of children(maybeList)) {
      const [serial, date] = children(entry);
      revoked.set(integerHex(serial), readTime(date));
    }
  }
  let crlNumber: bigint | undefined;
  const extensions = tbs[index];
  if (extensions?.tagClass === asn1.Class.CONTEXT_SPECIFIC && extensions.type === 0) {
    for (const extension of children(children(extensions)[0])) {
      const parts = children(extension);
      if (asn1.derToOid(primitive(parts[0])) === CRL_NUMBER) {
        const value = parseDer(Buffer.from(primitive(parts[parts.length - 1]), 'binary'));
        crlNumber = BigInt(`0x${integerHex(value)}`);
      }
    }
  }
  const signatureAlgorithm = algorithmOid(algorithmNode);
  if (signatureAlgorithm !== innerAlgorithm) throw new Error('the CRL names two different signature algorithms');
  const signatureBits = Buffer.from(primitive(signatureNode), 'binary');
  if (signatureNode?.type !== asn1.Type.BITSTRING || signatureBits[0] !== 0) throw new Error('malformed CRL signature');
  return {
    issuerDer: encodeDer(issuer),
    thisUpdate,
    ...(nextUpdate ? { nextUpdate } : {}),
    revoked,
    ...(crlNumber === undefined ? {} : { crlNumber }),
    signatureAlgorithm,
    tbsDer: Buffer.from(firstInnerElement(der)),
    signature: signatureBits.subarray(1),
  };
}

/** True when `issuer`'s public key verifies the CRL's signature; false for any other outcome. */
export function verifyCrlSignature(crl: RevocationList, issuer: X509Certificate): boolean {
  const digest = DIGESTS[crl.signatureAlgorithm];
  if (!digest) return false;
  try {
    return verify(digest, crl.tbsDer, issuer.publicKey, crl.signature);
  } catch {
    return false;
  }
}

function algorithmOid(node: forge.asn1.Asn1 | undefined): string {
  return asn1.derToOid(primitive(children(node)[0]));
}
