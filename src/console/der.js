// A small strict DER reader: just enough of an X.509 certificate for WebCrypto (the signed part, the
// signature and its algorithm, the subject public key) and a readable subject name.

/** One TLV: `start` is where its tag is, `body` where its contents start, `end` one past them. */
function readTlv(bytes, at, limit = bytes.length) {
  if (at + 2 > limit) throw new Error('DER: truncated');
  const tag = bytes[at];
  if ((tag & 0x1f) === 0x1f) throw new Error('DER: multi-byte tags are not used in certificates');
  let length = bytes[at + 1];
  let body = at + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    // 0x80 is the indefinite length of BER, which DER forbids; four bytes are plenty here.
    if (count === 0 || count > 4 || body + count > limit) throw new Error('DER: bad length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[body + i];
    if (length < 0x80 || bytes[body] === 0) throw new Error('DER: length not minimally encoded');
    body += count;
  }
  const end = body + length;
  if (end > limit) throw new Error('DER: truncated');
  return { tag, start: at, body, end };
}

function childrenOf(bytes, node) {
  if (!(node.tag & 0x20)) throw new Error('DER: expected a constructed value');
  const list = [];
  for (let at = node.body; at < node.end; ) {
    const child = readTlv(bytes, at, node.end);
    list.push(child);
    at = child.end;
  }
  return list;
}

function expectTag(node, tag, what) {
  if (!node || node.tag !== tag) throw new Error(`DER: ${what} expected`);
  return node;
}

export function decodeOid(bytes) {
  const parts = [];
  let value = 0;
  for (const byte of bytes) {
    value = value * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      if (parts.length === 0) parts.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
      else parts.push(value);
      value = 0;
    }
  }
  return parts.join('.');
}

const SEQUENCE = 0x30;
const SET = 0x31;
const OID = 0x06;
const BIT_STRING = 0x03;
const NAME_ATTRIBUTES = { '2.5.4.3': 'CN', '2.5.4.10': 'O', '2.5.4.11': 'OU', '2.5.4.6': 'C', '2.5.4.7': 'L', '2.5.4.8': 'ST' };

function readName(bytes, node) {
  const parts = [];
  for (const set of childrenOf(bytes, expectTag(node, SEQUENCE, 'Name'))) {
    for (const pair of childrenOf(bytes, expectTag(set, SET, 'RelativeDistinguishedName'))) {
      const [type, value] = childrenOf(bytes, pair);
      const oid = decodeOid(bytes.subarray(expectTag(type, OID, 'attribute type').body, type.end));
      const label = NAME_ATTRIBUTES[oid] ?? oid;
      // UTF8String, PrintableString and IA5String are all readable as UTF-8.
      parts.push(`${label}=${new TextDecoder().decode(bytes.subarray(value.body, value.end))}`);
    }
  }
  return parts.join(', ');
}

function readAlgorithm(bytes, node) {
  const [oid, parameters] = childrenOf(bytes, expectTag(node, SEQUENCE, 'AlgorithmIdentifier'));
  return {
    oid: decodeOid(bytes.subarray(expectTag(oid, OID, 'algorithm').body, oid.end)),
    parameterOid: parameters && parameters.tag === OID ? decodeOid(bytes.subarray(parameters.body, parameters.end)) : undefined,
  };
}

/**
 * The parts of a DER certificate that a browser check needs; throws on anything that is not exactly
 * one certificate.
 */
export function readCertificate(der) {
  const bytes = der instanceof Uint8Array ? der : new Uint8Array(der);
  const top = expectTag(readTlv(bytes, 0), SEQUENCE, 'Certificate');
  if (top.end !== bytes.length) throw new Error('DER: trailing bytes after the certificate');
  const [tbs, signatureAlgorithm, signature] = childrenOf(bytes, top);
  expectTag(tbs, SEQUENCE, 'TBSCertificate');
  expectTag(signature, BIT_STRING, 'signature');
  if (bytes[signature.body] !== 0) throw new Error('DER: signature has unused bits');
  const fields = childrenOf(bytes, tbs);
  // [0] version is optional (v1 certificates leave it out).
  const first = fields[0]?.tag === 0xa0 ? 1 : 0;
  const issuer = fields[first + 2];
  const subject = fields[first + 4];
  const spki = expectTag(fields[first + 5], SEQUENCE, 'SubjectPublicKeyInfo');
  const [keyAlgorithm] = childrenOf(bytes, spki);
  return {
    tbs: bytes.slice(tbs.start, tbs.end),
    signatureAlgorithm: readAlgorithm(bytes, signatureAlgorithm).oid,
    signature: bytes.slice(signature.body + 1, signature.end),
    spki: bytes.slice(spki.start, spki.end),
    keyAlgorithm: readAlgorithm(bytes, keyAlgorithm),
    issuer: readName(bytes, issuer),
    subject: readName(bytes, subject),
  };
}

/** An ECDSA-Sig-Value (SEQUENCE of two INTEGERs) as the fixed-width r || s WebCrypto takes. */
export function ecdsaRawSignature(der, size) {
  const bytes = der instanceof Uint8Array ? der : new Uint8Array(der);
  const top = expectTag(readTlv(bytes, 0), SEQUENCE, 'ECDSA-Sig-Value');
  const out = new Uint8Array(size * 2);
  childrenOf(bytes, top).forEach((integer, i) => {
    let value = bytes.subarray(expectTag(integer, 0x02, 'INTEGER').body, integer.end);
    while (value.length > size && value[0] === 0) value = value.subarray(1);
    if (value.length > size || i > 1) throw new Error('DER: ECDSA signature does not fit the curve');
    out.set(value, i * size + size - value.length);
  });
  return out;
}
