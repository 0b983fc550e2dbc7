// Small, strict accessors over forge.asn1 trees, shared by the certificate and CRL readers. Every
// accessor throws on an unexpected shape; the callers turn that into "unreadable".
import forge from 'node-forge';

const { asn1 } = forge;

export type Asn1 = forge.asn1.Asn1;

/** Parses DER exactly: no trailing bytes, BIT STRING contents left as bytes. */
export function parseDer(der: Buffer): Asn1 {
  return fromDerWithOptions(der.toString('binary'), { strict: true, parseAllBytes: true, decodeBitStrings: false });
}

// @types/node-forge only knows the older boolean `strict` argument.
const fromDerWithOptions = asn1.fromDer as unknown as (
  bytes: string,
  options: { strict: boolean; parseAllBytes: boolean; decodeBitStrings: boolean },
) => Asn1;

export function encodeDer(node: Asn1): Buffer {
  return Buffer.from(asn1.toDer(node).getBytes(), 'binary');
}

export function children(node: Asn1 | undefined): Asn1[] {
  if (!node || !Array.isArray(node.value)) throw new Error('expected a constructed value');
  return node.value;
}

export function primitive(node: Asn1 | undefined): string {
  if (!node || typeof node.value !== 'string') throw new Error('expected a primitive value');
  return node.value;
}

export function required(node: Asn1 | undefined): Asn1 {
  if (!node) throw new Error('truncated structure');
  return node;
}

export function isTime(node: Asn1 | undefined): boolean {
  return node?.tagClass === asn1.Class.UNIVERSAL && (node.type === asn1.Type.UTCTIME || node.type === asn1.Type.GENERALIZEDTIME);
}

export function readTime(node: Asn1 | undefined): Date {
  if (!isTime(node)) throw new Error('expected a time');
  const text = primitive(node);
  const date = node?.type === asn1.Type.UTCTIME ? asn1.utcTimeToDate(text) : asn1.generalizedTimeToDate(text);
  if (Number.isNaN(date.getTime())) throw new Error('invalid time');
  return date;
}

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. */
export function timeNode(date: Date): Asn1 {
  return date.getUTCFullYear() < 2050
    ? asn1.create(asn1.Class.UNIVERSAL, asn1.Type.UTCTIME, false, asn1.dateToUtcTime(date))
    : asn1.create(asn1.Class.UNIVERSAL, asn1.Type.GENERALIZEDTIME, false, asn1.dateToGeneralizedTime(date));
}

/** An INTEGER's content octets as normalised hex: lowercase, no leading zeros. */
export function integerHex(node: Asn1 | undefined): string {
  return normaliseSerial(Buffer.from(primitive(node), 'binary').toString('hex'));
}

/** Serial numbers compare as lowercase hex without leading zeros (node prints them uppercase). */
export function normaliseSerial(hex: string): string {
  return hex.toLowerCase().replace(/^0+(?=.)/, '');
}

/** A positive INTEGER from hex, with the leading zero octet DER needs when the top bit is set. */
export function positiveInteger(hex: string): Asn1 {
  const digits = normaliseSerial(hex);
  let octets = Buffer.from(digits.length % 2 === 0 ? digits : `0${digits}`, 'hex');
  if ((octets[0] ?? 0) & 0x80) octets = Buffer.concat([Buffer.from([0]), octets]);
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, octets.toString('binary'));
}

/**
 * The exact bytes of the first element inside the outermost SEQUENCE (the signed part of a
 * certificate or CRL): signatures cover the bytes as received, not a re-encoding.
 */
export function firstInnerElement(der: Buffer): Buffer {
  const outer = header(der, 0);
  const inner = header(der, outer.contentStart);
  return der.subarray(outer.contentStart, inner.contentStart + inner.length);
}

function header(der: Buffer, offset: number): { contentStart: number; length: number } {
  const first = der[offset + 1];
  if (first === undefined) throw new Error('truncated DER');
  if (first < 0x80) return { contentStart: offset + 2, length: first };
  const count = first & 0x7f;
  if (count === 0 || count > 4) throw new Error('unsupported DER length');
  let length = 0;
  for (let i = 0; i < count; i += 1) {
    const octet = der[offset + 2 + i];
    if (octet === undefined) throw new Error('truncated DER');
    length = length * 256 + octet;
  }
  const contentStart = offset + 2 + count;
  if (contentStart + length > der.length) throw new Error('truncated DER');
  return { contentStart, length };
}
