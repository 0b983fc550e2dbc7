// C2SP signed notes (https://c2sp.org/signed-note) with Ed25519 keys, and the key encodings of
// golang.org/x/mod/sumdb/note, which the log's checkpoints and its witnesses' cosignatures share.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

/** Signature type identifier bytes of the signed-note specification. */
export const SIGNATURE_TYPE_ED25519 = 0x01;

export const MAX_NOTE_BYTES = 1 << 20;
export const MAX_NOTE_SIGNATURES = 100;

export type NoteErrorCode =
  | 'malformed-note'
  | 'note-too-large'
  | 'too-many-signatures'
  | 'ambiguous-key'
  | 'invalid-signature'
  | 'no-verified-signature'
  | 'malformed-key'
  | 'invalid-name';

export class NoteError extends Error {
  constructor(
    readonly code: NoteErrorCode,
    message: string,
    /** The parsed note when it was well formed but no known key signed it. */
    readonly note?: OpenedNote,
  ) {
    super(message);
    this.name = 'NoteError';
  }
}

export interface NoteSignature {
  name: string;
  keyId: number;
  /** The signature bytes after the 4-byte key id. */
  signature: Buffer;
}

export interface OpenedNote {
  text: string;
  verifiedBy: NoteSignature[];
  unverified: NoteSignature[];
}

export interface NoteSigner {
  readonly name: string;
  readonly keyId: number;
  sign(text: Buffer): Buffer;
}

export interface NoteVerifier {
  readonly name: string;
  readonly keyId: number;
  verify(text: Buffer, signature: Buffer): boolean;
}

/** An Ed25519 key pair as carried by a signer key string. */
export interface Ed25519KeyMaterial {
  name: string;
  keyId: number;
  privateKey: KeyObject;
  publicKey: Buffer;
}

const EM_DASH_PREFIX = '\u2014 ';
const SIGNER_KEY_PREFIX = 'PRIVATE+KEY+';
// DER prefixes that turn a raw 32-byte Ed25519 seed or public key into PKCS#8 / SPKI.
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
// ignoreBOM keeps a leading U+FEFF in the text instead of silently dropping it.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Non-empty, no Unicode space, no '+', no control character (they could not appear in a note). */
export function isValidKeyName(name: string): boolean {
  return name !== '' && !/[\s\u0085+\u0000-\u001f\u007f]|\p{Cs}/u.test(name);
}

/** SHA-256(name || 0x0A || type || public key)[:4], big-endian. */
export function keyId(name: string, type: number, publicKey: Uint8Array): number {
  return createHash('sha256').update(name).update(Buffer.of(0x0a, type)).update(publicKey).digest().readUInt32BE(0);
}

export function generateNoteKey(name: string): { signerKey: string; verifierKey: string } {
  return generateEd25519Key(name, SIGNATURE_TYPE_ED25519);
}

export function parseSignerKey(signerKey: string): NoteSigner {
  const key = decodeEd25519SignerKey(signerKey, SIGNATURE_TYPE_ED25519);
  return { name: key.name, keyId: key.keyId, sign: (text) => sign(null, text, key.privateKey) };
}

export function parseVerifierKey(verifierKey: string): NoteVerifier {
  const { name, keyId: id, publicKey } = decodeEd25519VerifierKey(verifierKey, SIGNATURE_TYPE_ED25519);
  const key = ed25519PublicKey(publicKey);
  return { name, keyId: id, verify: (text, signature) => verifyEd25519(key, text, signature) };
}

/** `PRIVATE+KEY+<name>+<hex id>+<base64(type || seed)>` and `<name>+<hex id>+<base64(type || public key)>`. */
export function generateEd25519Key(name: string, type: number): { signerKey: string; verifierKey: string } {
  if (!isValidKeyName(name)) throw new NoteError('invalid-name', `invalid key name ${JSON.stringify(name)}`);
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const seed = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_ED25519_PREFIX.length);
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(SPKI_ED25519_PREFIX.length);
  const id = keyIdHex(keyId(name, type, raw));
  return {
    signerKey: `${SIGNER_KEY_PREFIX}${name}+${id}+${Buffer.concat([Buffer.of(type), seed]).toString('base64')}`,
    verifierKey: `${name}+${id}+${Buffer.concat([Buffer.of(type), raw]).toString('base64')}`,
  };
}

/** Parses a signer key of the given type and checks its key id against the derived public key. */
export function decodeEd25519SignerKey(signerKey: string, type: number): Ed25519KeyMaterial {
  if (!signerKey.startsWith(SIGNER_KEY_PREFIX)) throw malformedKey();
  const { name, keyId: id, key } = splitKey(signerKey.slice(SIGNER_KEY_PREFIX.length), type);
  const privateKey = createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, key]),
    format: 'der',
    type: 'pkcs8',
  });
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  const publicKey = spki.subarray(SPKI_ED25519_PREFIX.length);
  if (keyId(name, type, publicKey) !== id) throw malformedKey('key id does not match the key');
  return { name, keyId: id, privateKey, publicKey };
}

export function decodeEd25519VerifierKey(
  verifierKey: string,
  type: number,
): { name: string; keyId: number; publicKey: Buffer } {
  const { name, keyId: id, key } = splitKey(verifierKey, type);
  if (keyId(name, type, key) !== id) throw malformedKey('key id does not match the key');
  return { name, keyId: id, publicKey: key };
}

export function ed25519PublicKey(raw: Buffer): KeyObject {
  try {
    return createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, raw]), format: 'der', type: 'spki' });
  } catch {
    throw malformedKey('not an Ed25519 public key');
  }
}

export function verifyEd25519(key: KeyObject, message: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== 64) return false;
  try {
    return verify(null, message, key, signature);
  } catch {
    return false;
  }
}

/** `— <name> <base64(key id || signature)>` and its newline. */
export function formatSignatureLine(name: string, id: number, signature: Uint8Array): string {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(id);
  return `${EM_DASH_PREFIX}${name} ${Buffer.concat([head, signature]).toString('base64')}\n`;
}

/** Signs a note text (which ends in a newline) with every signer, in order. */
export function signNote(text: string, signers: readonly NoteSigner[]): string {
  checkText(text);
  if (signers.length === 0 || signers.length > MAX_NOTE_SIGNATURES) {
    throw new NoteError('too-many-signatures', `a note needs 1 to ${MAX_NOTE_SIGNATURES} signatures`);
  }
  const body = Buffer.from(text);
  const lines = signers.map((signer) => {
    if (!isValidKeyName(signer.name)) throw new NoteError('invalid-name', 'invalid signer name');
    return formatSignatureLine(signer.name, signer.keyId, signer.sign(body));
  });
  return `${text}\n${lines.join('')}`;
}

/**
 * Parses a signed note and checks the signatures of the known keys (matched on name and key id).
 * Unknown keys' signatures are returned unverified; a known key's bad signature rejects the note,
 * and so does a note no known key signed.
 */
export function openNote(note: string | Uint8Array, verifiers: readonly NoteVerifier[]): OpenedNote {
  const bytes = typeof note === 'string' ? Buffer.from(note) : Buffer.from(note.buffer, note.byteOffset, note.length);
  if (bytes.length > MAX_NOTE_BYTES) throw new NoteError('note-too-large', `note is over ${MAX_NOTE_BYTES} bytes`);
  const decoded = decodeUtf8(bytes);
  if (decoded === undefined || (typeof note === 'string' && decoded !== note)) throw malformed('not valid UTF-8');
  if (/[\u0000-\u0009\u000b-\u001f]/.test(decoded)) throw malformed('control character');

  const split = decoded.lastIndexOf('\n\n');
  if (split < 0) throw malformed('no blank line before the signatures');
  const text = decoded.slice(0, split + 1);
  const block = decoded.slice(split + 2);
  if (block === '' || !block.endsWith('\n')) throw malformed('signature block must be lines ending in newline');
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_NOTE_SIGNATURES) {
    throw new NoteError('too-many-signatures', `more than ${MAX_NOTE_SIGNATURES} signatures`);
  }

  const textBytes = Buffer.from(text);
  const opened: OpenedNote = { text, verifiedBy: [], unverified: [] };
  const checked = new Set<string>();
  const seenUnknown = new Set<string>();
  for (const line of lines) {
    const signature = parseSignatureLine(line);
    const known = verifiers.filter((v) => v.name === signature.name && v.keyId === signature.keyId);
    const identity = `${signature.name}+${keyIdHex(signature.keyId)}`;
    if (known.length > 1) throw new NoteError('ambiguous-key', `ambiguous key ${identity}`);
    const verifier = known[0];
    if (verifier === undefined) {
      // Repeated identical lines are one signature.
      if (!seenUnknown.has(line)) opened.unverified.push(signature);
      seenUnknown.add(line);
      continue;
    }
    // A key counts once; a repeated line of the same key is not verified again.
    if (checked.has(identity)) continue;
    checked.add(identity);
    if (!verifier.verify(textBytes, signature.signature)) {
      throw new NoteError('invalid-signature', `invalid signature for key ${identity}`);
    }
    opened.verifiedBy.push(signature);
  }
  if (opened.verifiedBy.length === 0) {
    throw new NoteError('no-verified-signature', 'note has no verifiable signatures', opened);
  }
  return opened;
}

function parseSignatureLine(line: string): NoteSignature {
  if (!line.startsWith(EM_DASH_PREFIX)) throw malformed('signature line must start with an em dash and a space');
  const rest = line.slice(EM_DASH_PREFIX.length);
  const space = rest.indexOf(' ');
  const name = space < 0 ? rest : rest.slice(0, space);
  const raw = space < 0 ? undefined : decodeBase64(rest.slice(space + 1));
  if (!isValidKeyName(name) || raw === undefined || raw.length < 5) throw malformed('malformed signature line');
  return { name, keyId: raw.readUInt32BE(0), signature: raw.subarray(4) };
}

function splitKey(encoded: string, type: number): { name: string; keyId: number; key: Buffer } {
  const [name, idHex, keyBase64, ...extra] = encoded.split('+');
  // '+' is a base64 character, so only the first two separators are fields.
  const key = decodeBase64([keyBase64, ...extra].join('+'));
  if (name === undefined || !isValidKeyName(name) || idHex === undefined || !/^[0-9a-fA-F]{8}$/.test(idHex)) {
    throw malformedKey();
  }
  if (key === undefined || key.length !== 33) throw malformedKey();
  if (key[0] !== type) throw malformedKey(`key type is not 0x${type.toString(16).padStart(2, '0')}`);
  return { name, keyId: Number.parseInt(idHex, 16), key: key.subarray(1) };
}

function checkText(text: string): void {
  if (!text.endsWith('\n')) throw malformed('note text must end in a newline');
  // \p{Cs} in a /u pattern matches only unpaired surrogates, which have no UTF-8 encoding.
  if (/[\u0000-\u0009\u000b-\u001f]|\p{Cs}/u.test(text)) throw malformed('control character or unpaired surrogate');
  if (Buffer.byteLength(text) > MAX_NOTE_BYTES) {
    throw new NoteError('note-too-large', `note is over ${MAX_NOTE_BYTES} bytes`);
  }
}

// Canonical standard base64 only, so that one signature has one encoding.
function decodeBase64(text: string): Buffer | undefined {
  if (text === '' || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : undefined;
}

function decodeUtf8(bytes: Buffer): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

function keyIdHex(id: number): string {
  return id.toString(16).padStart(8, '0');
}

function malformed(detail: string): NoteError {
  return new NoteError('malformed-note', `malformed note: ${detail}`);
}

function malformedKey(detail = 'not <name>+<hex key id>+<base64 key>'): NoteError {
  return new NoteError('malformed-key', `malformed key: ${detail}`);
}
