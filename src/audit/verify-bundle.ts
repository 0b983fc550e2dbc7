// Offline verification of an evidence bundle (lgsp-audit-bundle/v1, docs/audit-log.md): the five
// checks in the documented order, naming the first that fails. The bundle comes from whoever hands it
// over, so nothing in it is trusted and nothing in it makes this throw; only the log key is given.
import { createHash, X509Certificate } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { JwsError, verifyDetachedJws } from '../crypto/jws.js';
import type { TrustChecker } from '../crypto/trust.js';
import { BUNDLE_FORMAT } from './bundle.js';
import { decodeManifest, manifestHash, MANIFEST_SIGNATURE_FORMAT } from './call-manifest.js';
import { CheckpointError, parseCheckpoint, type Checkpoint } from './checkpoint.js';
import { decodeLeaf, type LeafRecord } from './leaf.js';
import { leafHash, verifyInclusion } from './merkle.js';
import { bodyCommitment } from './bodies.js';
import { NoteError, openNote, parseVerifierKey, type NoteVerifier } from './note.js';

export interface VerifyBundleOptions {
  /** The log's verifier key, `<name>+<hex key id>+<base64>`. */
  logKey: string;
  /** When given, the signer's chain must lead to a CA it trusts at the record's time. */
  trust?: TrustChecker;
}

export type BundleVerdict = { ok: true; notes: string[] } | { ok: false; reason: string };

/** The bundle once its JSON shape is known; the bytes in it are still unchecked. */
interface BundleShape {
  origin: string;
  index: number;
  leaf: Buffer;
  record: unknown;
  body: { salt: Buffer; bytes: Buffer } | { prunedAt: string } | null;
  certificates: Map<string, Buffer>;
  treeSize: number;
  hashes: Buffer[];
  checkpoint: string;
  /** The call manifest, for a record signed through one. */
  manifest: { bytes: Buffer; signature: string } | undefined;
}

class Failure extends Error {}

export function verifyBundle(bundle: unknown, options: VerifyBundleOptions): BundleVerdict {
  try {
    const verifier = logVerifier(options.logKey);
    const shape = readShape(bundle);
    const checkpoint = checkCheckpoint(shape, verifier);
    const record = checkRecord(shape);
    checkInclusion(shape, checkpoint);
    const notes: string[] = [];
    const body = checkBody(shape, record, notes);
    checkSignature(shape, record, body, options.trust, notes);
    return { ok: true, notes };
  } catch (error) {
    if (error instanceof Failure) return { ok: false, reason: error.message };
    // Anything else is a defect here, but hostile input must still get an answer, not a crash.
    return { ok: false, reason: `the bundle could not be checked: ${oneLine((error as Error).message)}` };
  }
}

function logVerifier(logKey: string): NoteVerifier {
  try {
    return parseVerifierKey(logKey);
  } catch (error) {
    throw new Failure(`log key: ${(error as Error).message}`);
  }
}

// ---- shape --------------------------------------------------------------------------------------

function readShape(bundle: unknown): BundleShape {
  const b = objectAt(bundle, 'the bundle');
  if (b.format !== BUNDLE_FORMAT) throw shapeFailure(`format is not "${BUNDLE_FORMAT}"`);
  const proof = objectAt(b.inclusionProof, 'inclusionProof');
  const hashes = proof.hashes;
  if (!Array.isArray(hashes)) throw shapeFailure('inclusionProof.hashes is not a list');
  return {
    origin: stringAt(b.origin, 'origin'),
    index: countAt(b.index, 'index'),
    leaf: base64At(b.leaf, 'leaf'),
    record: b.record,
    body: readBody(b.body),
    certificates: new Map(Object.entries(objectAt(b.certificates, 'certificates')).map(([fingerprint, der]) => [fingerprint, base64At(der, `certificates.${fingerprint.slice(0, 16)}`)])),
    treeSize: countAt(proof.treeSize, 'inclusionProof.treeSize'),
    hashes: hashes.map((hash, i) => base64At(hash, `inclusionProof.hashes[${i}]`)),
    checkpoint: stringAt(b.checkpoint, 'checkpoint'),
    manifest: readManifest(b.manifest),
  };
}

function readManifest(value: unknown): BundleShape['manifest'] {
  if (value === undefined) return undefined;
  const manifest = objectAt(value, 'manifest');
  return { bytes: base64At(manifest.bytes, 'manifest.bytes'), signature: stringAt(manifest.signature, 'manifest.signature') };
}

function readBody(value: unknown): BundleShape['body'] {
  if (value === null) return null;
  const body = objectAt(value, 'body');
  if (body.pruned === true) {
    const prunedAt = Date.parse(stringAt(body.prunedAt, 'body.prunedAt'));
    if (Number.isNaN(prunedAt)) throw shapeFailure('body.prunedAt is not a time');
    return { prunedAt: new Date(prunedAt).toISOString() };
  }
  return { salt: base64At(body.salt, 'body.salt'), bytes: base64At(body.bytes, 'body.bytes') };
}

function objectAt(value: unknown, what: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw shapeFailure(`${what} is not an object`);
  return value as Record<string, unknown>;
}

function stringAt(value: unknown, what: string): string {
  if (typeof value !== 'string') throw shapeFailure(`${what} is not a string`);
  return value;
}

function countAt(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw shapeFailure(`${what} is not a non-negative integer`);
  return value;
}

// Canonical standard base64 only: one value, one encoding.
function base64At(value: unknown, what: string): Buffer {
  const text = stringAt(value, what);
  const bytes = Buffer.from(text, 'base64');
  if (bytes.toString('base64') !== text) throw shapeFailure(`${what} is not canonical base64`);
  return bytes;
}

function shapeFailure(detail: string): Failure {
  return new Failure(`not an ${BUNDLE_FORMAT} bundle: ${detail}`);
}

// ---- 1. checkpoint ------------------------------------------------------------------------------

function checkCheckpoint(shape: BundleShape, verifier: NoteVerifier): Checkpoint {
  let checkpoint: Checkpoint;
  try {
    checkpoint = parseCheckpoint(openNote(shape.checkpoint, [verifier]).text);
  } catch (error) {
    if (error instanceof NoteError) throw new Failure(`checkpoint: not signed by the log key ${verifier.name} (${oneLine(error.message)})`);
    if (error instanceof CheckpointError) throw new Failure(`checkpoint: ${oneLine(error.message)}`);
    throw error;
  }
  // The log's key is named after its origin, so a note of another log signed with it is refused too.
  if (checkpoint.origin !== verifier.name) throw new Failure(`checkpoint: origin ${printable(checkpoint.origin)} is not the log key's ${verifier.name}`);
  if (checkpoint.origin !== shape.origin) throw new Failure(`checkpoint: origin ${printable(checkpoint.origin)} is not the bundle's ${printable(shape.origin)}`);
  return checkpoint;
}

// ---- 2. record and leaf -------------------------------------------------------------------------

function checkRecord(shape: BundleShape): LeafRecord {
  const record = decodeLeaf(shape.leaf);
  if (!record) throw new Failure(`leaf ${shape.index}: not a canonical lgsp-leaf/v1 record`);
  if (!isDeepStrictEqual(shape.record, record)) throw new Failure(`record: differs from the leaf ${shape.index}`);
  return record;
}

// ---- 3. inclusion -------------------------------------------------------------------------------

function checkInclusion(shape: BundleShape, checkpoint: Checkpoint): void {
  if (shape.treeSize !== checkpoint.size) {
    throw new Failure(`inclusion proof: for tree size ${shape.treeSize}, the checkpoint is of size ${checkpoint.size}`);
  }
  const result = verifyInclusion(leafHash(shape.leaf), shape.index, checkpoint.size, shape.hashes, checkpoint.rootHash);
  if (!result.ok) throw new Failure(`inclusion proof: leaf ${shape.index} does not lead to the root of checkpoint ${checkpoint.size} (${result.reason})`);
}

// ---- 4. body ------------------------------------------------------------------------------------

/** The body bytes when kept and matching; undefined when the record has none or it was pruned. */
function checkBody(shape: BundleShape, record: LeafRecord, notes: string[]): Buffer | undefined {
  const commitment = record.body === null ? null : (record.body as { commitment?: unknown }).commitment;
  if (record.body !== null && typeof commitment !== 'string') throw new Failure('record: body is neither null nor a commitment');
  if (commitment === null) {
    if (shape.body !== null) throw new Failure('body: the record commits to no body, yet the bundle carries one');
    return undefined;
  }
  if (shape.body === null) throw new Failure('body: the record commits to a body the bundle neither carries nor says was pruned');
  if ('prunedAt' in shape.body) {
    const signedVia = (record.signature as { format?: unknown } | null)?.format === MANIFEST_SIGNATURE_FORMAT;
    notes.push(
      signedVia
        ? `body pruned on ${shape.body.prunedAt}: its commitment is checked against the signed call manifest, the bytes are gone`
        : `body pruned on ${shape.body.prunedAt}: the message signature cannot be checked against it`,
    );
    return undefined;
  }
  if (bodyCommitment(shape.body.salt, shape.body.bytes) !== commitment) throw new Failure("body: salt and bytes do not match the record's commitment");
  return shape.body.bytes;
}

// ---- 5. signature -------------------------------------------------------------------------------

function checkSignature(shape: BundleShape, record: LeafRecord, body: Buffer | undefined, trust: TrustChecker | undefined, notes: string[]): void {
  const signature = record.signature as Record<string, unknown> | null;
  if (signature === null) return;
  const viaManifest = signature?.format === MANIFEST_SIGNATURE_FORMAT;
  if (typeof signature !== 'object' || (!viaManifest && typeof signature.value !== 'string') || typeof signature.keyId !== 'string') {
    throw new Failure('record: signature is neither null nor a signature');
  }
  if (signature.format === 'xmldsig') {
    notes.push('xmldsig signatures are checked with the XML document; not in bundles yet');
    return;
  }
  if (signature.format !== 'jws-detached' && !viaManifest) throw new Failure(`signature: unknown format ${printable(String(signature.format))}`);
  // A record signed through its call's manifest: the JWS is over the manifest, which holds the record's commitment.
  const signed = viaManifest ? checkManifest(shape, record, signature) : { token: signature.value as string, bytes: body };
  const chain = recordChain(signature.chain);
  const certificates = chain.map((fingerprint) => bundledCertificate(shape, fingerprint));
  checkIssuers(certificates, chain);

  if (signed.bytes !== undefined) {
    let verified;
    try {
      verified = verifyDetachedJws(signed.token, signed.bytes);
    } catch (error) {
      if (error instanceof JwsError) throw new Failure(`signature: ${oneLine(error.reason)}`);
      throw error;
    }
    const x5c = verified.certificateChain.map((certificate) => fingerprintOf(certificate.raw));
    if (!isDeepStrictEqual(x5c, chain)) throw new Failure("signature: the JWS x5c chain is not the record's chain");
    if (verified.keyId !== signature.keyId) throw new Failure("signature: the JWS kid is not the record's keyId");
  }

  if (trust) {
    const at = new Date(record.at);
    if (Number.isNaN(at.getTime())) throw new Failure('record: at is not a time');
    const verdict = trust.check(certificates, { at, purpose: 'signing' });
    if (!verdict.ok) throw new Failure(`signature: the signer's chain is not trusted at ${record.at} (${oneLine(verdict.reason)})`);
  } else {
    notes.push('no trust store given: the chain was not checked against trusted CAs');
  }
}

/** The manifest's bytes and JWS, once they are shown to hold the record's commitment at its position. */
function checkManifest(shape: BundleShape, record: LeafRecord, signature: Record<string, unknown>): { token: string; bytes: Buffer } {
  if (typeof signature.manifest !== 'string' || !Number.isSafeInteger(signature.position) || (signature.position as number) < 0) {
    throw new Failure('record: signature names no manifest hash and position');
  }
  const position = signature.position as number;
  if (!shape.manifest) throw new Failure('manifest: the record is signed through a call manifest the bundle does not carry');
  if (manifestHash(shape.manifest.bytes) !== signature.manifest) throw new Failure("manifest: its bytes do not hash to the record's manifest");
  const manifest = decodeManifest(shape.manifest.bytes);
  if (!manifest) throw new Failure('manifest: not a canonical lgsp-call-manifest/v1');
  const commitment = (record.body as { commitment?: unknown } | null)?.commitment;
  if (position >= manifest.items.length || manifest.items[position] !== commitment) {
    throw new Failure(`manifest: position ${position} does not hold the record's body commitment`);
  }
  if (manifest.endpoint !== record.endpoint) throw new Failure(`manifest: made for ${printable(String(manifest.endpoint))}, the record is for ${printable(record.endpoint)}`);
  return { token: shape.manifest.signature, bytes: shape.manifest.bytes };
}

function recordChain(value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0 || !value.every((f) => typeof f === 'string' && /^[0-9a-f]{64}$/.test(f))) {
    throw new Failure('record: signature chain is not a list of SHA-256 fingerprints');
  }
  return value as string[];
}

function bundledCertificate(shape: BundleShape, fingerprint: string): X509Certificate {
  const der = shape.certificates.get(fingerprint);
  const label = `certificate ${fingerprint.slice(0, 16)}`;
  if (!der) throw new Failure(`${label}: named by the record, missing from the bundle`);
  if (fingerprintOf(der) !== fingerprint) throw new Failure(`${label}: the bundle's DER does not have this fingerprint`);
  try {
    return new X509Certificate(der);
  } catch {
    throw new Failure(`${label}: not an X.509 certificate`);
  }
}

function checkIssuers(certificates: readonly X509Certificate[], chain: readonly string[]): void {
  for (let i = 0; i + 1 < certificates.length; i += 1) {
    const subject = certificates[i] as X509Certificate;
    const issuer = certificates[i + 1] as X509Certificate;
    if (!subject.checkIssued(issuer) || !subject.verify(issuer.publicKey)) {
      throw new Failure(`certificate ${chain[i]?.slice(0, 16)}: not issued by the next in the chain, ${chain[i + 1]?.slice(0, 16)}`);
    }
  }
}

function fingerprintOf(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex');
}

// ---- reasons ------------------------------------------------------------------------------------

/** Reasons are one line. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

// Values from the bundle go into reasons quoted and cut short, so a hostile bundle cannot write lines.
function printable(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}
