// VNPay's checksum, vnp_SecureHash: HMAC-SHA512 with the merchant's hash secret, lower-case hex.
// The redirect URL, its return and the IPN sign the query: parameters sorted by name, each name and
// value URL-encoded as the PHP sample's urlencode() does, joined with `&`, vnp_SecureHash and
// vnp_SecureHashType left out. The JSON APIs (querydr) sign their fields joined with `|` instead.
import { createHmac, timingSafeEqual } from 'node:crypto';

export type VnpParams = Readonly<Record<string, string | undefined>>;

/** Never part of the signed data: the hash itself, and the algorithm name versions before 2.1.0 sent. */
const UNSIGNED = new Set(['vnp_SecureHash', 'vnp_SecureHashType']);

/**
 * PHP urlencode(): letters, digits and -_. stay, the rest is UTF-8 percent-encoded, a space is `+`.
 * VNPay's samples in other languages keep some of !'()*~ unencoded, so the adapter keeps those
 * out of the values it sends (README.md, "Encoding").
 */
export function vnpEncode(value: string): string {
  return encodeURIComponent(value)
    .replace(/[!'()*~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/** The sorted, encoded query that is signed, and that the redirect URL carries before its hash. */
export function hashData(params: VnpParams): string {
  return Object.keys(params)
    .filter((name) => !UNSIGNED.has(name) && params[name] !== undefined && params[name] !== '')
    // Code-unit order, as ksort() and Collections.sort() give for these ASCII names; not localeCompare.
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((name) => `${vnpEncode(name)}=${vnpEncode(params[name] ?? '')}`)
    .join('&');
}

export function secureHash(params: VnpParams, secret: string): string {
  return hmacHex(hashData(params), secret);
}

/** Whether `vnp_SecureHash` of these parameters is theirs under this secret. */
export function verify(params: VnpParams, secret: string): boolean {
  return sameHex(params.vnp_SecureHash, secureHash(params, secret));
}

/** querydr and refund: the fields in the documented order, joined with `|`; absent fields are empty. */
export function pipeHash(fields: readonly (string | undefined)[], secret: string): string {
  return hmacHex(fields.map((f) => f ?? '').join('|'), secret);
}

export function verifyPipe(fields: readonly (string | undefined)[], presented: string | undefined, secret: string): boolean {
  return sameHex(presented, pipeHash(fields, secret));
}

function hmacHex(data: string, secret: string): string {
  return createHmac('sha512', Buffer.from(secret, 'utf8')).update(data, 'utf8').digest('hex');
}

/** Constant time; hex in either case. */
function sameHex(presented: string | undefined, expected: string): boolean {
  if (presented === undefined || !/^[0-9a-fA-F]{128}$/.test(presented)) return false;
  return timingSafeEqual(Buffer.from(presented.toLowerCase(), 'utf8'), Buffer.from(expected, 'utf8'));
}
