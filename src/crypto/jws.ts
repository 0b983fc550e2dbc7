// Detached JSON Web Signatures (RFC 7515 Appendix F) over an HTTP body, carried in X-JWS-Signature.
// The payload segment is left out of the token and rebuilt from the exact bytes received, so the
// signature covers what went over the wire, never a re-serialisation of the parsed JSON. Verification
// proves only that the key of x5c[0] signed these bytes; whether that certificate is trusted (chain,
// CRL, partner binding) is the caller's question.
import { constants, verify, X509Certificate } from 'node:crypto';
import type { Signer } from './signer.js';

export const JWS_HEADER = 'x-jws-signature';

export type JwsErrorCode = 'signature-missing' | 'signature-invalid';

export class JwsError extends Error {
  constructor(
    readonly code: JwsErrorCode,
    /** One line, safe to log and to return to the sender. */
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'JwsError';
  }
}

export interface JwsHeader {
  alg: 'RS256';
  kid: string;
  /** Standard base64 (not base64url) DER, leaf first. */
  x5c: string[];
}

export interface VerifiedJws {
  header: JwsHeader;
  /** Parsed from x5c, leaf first, in the order the sender gave; not yet checked for trust. */
  certificateChain: X509Certificate[];
  keyId: string;
}

export interface VerifyJwsOptions {
  /** Tokens longer than this are refused before any decoding. */
  maxTokenBytes?: number;
}

const DEFAULT_MAX_TOKEN_BYTES = 32 * 1024;
const MAX_CHAIN_LENGTH = 8;
const MIN_RSA_BITS = 2048;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
// Parameters that would make the signature mean something else (crit, b64) or point at keys other
// than the presented certificate (fetched or embedded).
const REFUSED_PARAMETERS = ['crit', 'b64', 'jku', 'x5u', 'jwk'] as const;

export function signDetachedJws(body: Buffer, signer: Signer): string {
  if (signer.certificateChain.length === 0) throw new Error(`Signer ${signer.keyId} has no certificate to put in x5c`);
  const header: JwsHeader = {
    alg: 'RS256',
    kid: signer.keyId,
    x5c: signer.certificateChain.map((certificate) => certificate.raw.toString('base64')),
  };
  const encodedHeader = Buffer.from(JSON.stringify(header), 'utf8').toString('base64url');
  const signature = signer.sign(signingInput(encodedHeader, body));
  return `${encodedHeader}..${signature.toString('base64url')}`;
}

export function verifyDetachedJws(token: string | undefined, body: Buffer, options: VerifyJwsOptions = {}): VerifiedJws {
  if (token === undefined || token === '') throw new JwsError('signature-missing', `No ${JWS_HEADER} header`);
  const maxTokenBytes = options.maxTokenBytes ?? DEFAULT_MAX_TOKEN_BYTES;
  // Only ASCII survives the alphabet check below, so characters count as bytes here.
  if (token.length > maxTokenBytes) throw invalid(`The token is longer than ${maxTokenBytes} bytes`);

  const parts = token.split('.');
  if (parts.length !== 3) throw invalid('The token is not of the form header..signature');
  const [encodedHeader, payload, encodedSignature] = parts as [string, string, string];
  if (payload !== '') throw invalid('The token carries a payload; it must be detached, the HTTP body is the payload');
  const headerBytes = decodeBase64url(encodedHeader, 'header');
  const signature = decodeBase64url(encodedSignature, 'signature');

  const header = parseHeader(headerBytes);
  const certificateChain = parseChain(header.x5c);
  const publicKey = certificateChain[0]!.publicKey;
  if (publicKey.asymmetricKeyType !== 'rsa') throw invalid(`The x5c[0] key is ${publicKey.asymmetricKeyType ?? 'unknown'}, RS256 needs RSA`);
  const bits = publicKey.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_RSA_BITS) throw invalid(`The x5c[0] RSA key has ${bits} bits, at least ${MIN_RSA_BITS} are required`);
  const modulusBytes = Math.ceil(bits / 8);
  if (signature.length !== modulusBytes) throw invalid(`The signature is ${signature.length} bytes, the key needs exactly ${modulusBytes}`);

  let valid: boolean;
  try {
    valid = verify('sha256', signingInput(encodedHeader, body), { key: publicKey, padding: constants.RSA_PKCS1_PADDING }, signature);
  } catch {
    valid = false;
  }
  if (!valid) throw invalid('The signature does not verify over the body with the key of x5c[0]');
  return { header, certificateChain, keyId: header.kid };
}

function signingInput(encodedHeader: string, body: Buffer): Buffer {
  return Buffer.from(`${encodedHeader}.${body.toString('base64url')}`, 'ascii');
}

function invalid(reason: string): JwsError {
  return new JwsError('signature-invalid', reason);
}

/** Strict: base64url alphabet only, no padding, and the canonical encoding of what it decodes to. */
function decodeBase64url(text: string, what: string): Buffer {
  if (text === '') throw invalid(`The ${what} segment is empty`);
  if (!BASE64URL.test(text)) throw invalid(`The ${what} segment has characters outside the base64url alphabet`);
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.toString('base64url') !== text) throw invalid(`The ${what} segment is not canonical base64url`);
  return bytes;
}

function parseHeader(bytes: Buffer): JwsHeader {
  let text: string;
  let value: unknown;
  try {
    // fatal: no silent U+FFFD; ignoreBOM: a BOM is kept, so JSON.parse refuses it.
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
    value = JSON.parse(text);
  } catch {
    throw invalid('The protected header is not UTF-8 JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid('The protected header is not a JSON object');
  const keyProblem = findKeyProblem(text);
  if (keyProblem !== undefined) throw invalid(`The protected header ${keyProblem}`);

  const fields = value as Record<string, unknown>;
  if (fields.alg !== 'RS256') throw invalid(`The protected header alg is ${describe(fields.alg)}, only "RS256" is accepted`);
  for (const name of REFUSED_PARAMETERS) {
    if (Object.hasOwn(fields, name)) throw invalid(`The protected header carries "${name}", which is refused`);
  }
  if (typeof fields.kid !== 'string' || fields.kid === '') throw invalid('The protected header has no kid');
  const x5c = fields.x5c;
  if (!Array.isArray(x5c) || x5c.length === 0) throw invalid('The protected header has no x5c certificate chain');
  if (x5c.length > MAX_CHAIN_LENGTH) throw invalid(`The x5c chain has ${x5c.length} certificates, at most ${MAX_CHAIN_LENGTH} are accepted`);
  if (!x5c.every((entry): entry is string => typeof entry === 'string')) throw invalid('An x5c entry is not a string');
  return { alg: 'RS256', kid: fields.kid, x5c: [...x5c] };
}

function parseChain(x5c: readonly string[]): X509Certificate[] {
  return x5c.map((entry, index) => {
    // RFC 7515 4.1.6: standard base64 with padding, of the DER (not PEM, not base64url).
    const der = BASE64.test(entry) ? Buffer.from(entry, 'base64') : undefined;
    if (der === undefined || der.toString('base64') !== entry) throw invalid(`x5c[${index}] is not canonical base64`);
    let certificate: X509Certificate;
    try {
      certificate = new X509Certificate(der);
    } catch {
      throw invalid(`x5c[${index}] is not an X.509 certificate`);
    }
    // X509Certificate also takes PEM and ignores trailing bytes; only the exact DER is accepted.
    if (!certificate.raw.equals(der)) throw invalid(`x5c[${index}] is not exactly one DER certificate`);
    return certificate;
  });
}

/**
 * JSON.parse keeps the last of duplicate keys and makes `__proto__` an own property; both let two
 * readers of the same header see different values, so they are found in the text. `text` is known
 * to be valid JSON, which keeps the scan to strings and brackets.
 */
function findKeyProblem(text: string): string | undefined {
  const objects: { keys: Set<string> | undefined; expectKey: boolean }[] = [];
  let i = 0;
  while (i < text.length) {
    const char = text[i];
    const top = objects.at(-1);
    if (char === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      if (top?.keys !== undefined && top.expectKey) {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (key === '__proto__') return 'has a "__proto__" key';
        if (top.keys.has(key)) return `has the key ${describe(key)} twice`;
        top.keys.add(key);
        top.expectKey = false;
      }
      i = end + 1;
      continue;
    }
    if (char === '{') objects.push({ keys: new Set(), expectKey: true });
    else if (char === '[') objects.push({ keys: undefined, expectKey: false });
    else if (char === '}' || char === ']') objects.pop();
    else if (char === ',' && top?.keys !== undefined) top.expectKey = true;
    i += 1;
  }
  return undefined;
}

/** A sender-supplied value for a one-line reason: JSON-quoted (no line breaks) and cut short. */
function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  const json = JSON.stringify(value) ?? typeof value;
  return json.length > 40 ? `${json.slice(0, 40)}...` : json;
}
