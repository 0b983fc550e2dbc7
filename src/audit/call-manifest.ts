// Call manifests, format lgsp-call-manifest/v1 (docs/audit-log.md): one outbound call carries many
// citizens' dossiers, and RSA is the largest single cost of delivering them. The gateway signs once
// per call a manifest that lists each item's salted body commitment in order; an item's record keeps
// the manifest's hash and its position, so one dossier's record is checked without the others' bytes.
import { createHash } from 'node:crypto';
import { pooledRandomBytes } from '../core/random-pool.js';
import { canonicalJson } from '../core/canonical-json.js';
import type { OutboundSigner } from '../crypto/outbound-signer.js';
import { bodyCommitment } from './bodies.js';

export const CALL_MANIFEST_FORMAT = 'lgsp-call-manifest/v1';
/** The signature format of a record signed through its call's manifest. */
export const MANIFEST_SIGNATURE_FORMAT = 'jws-manifest';

export interface CallManifest {
  format: typeof CALL_MANIFEST_FORMAT;
  /** The destination (`national-portal`) and its service, as the records' `endpoint`. */
  destination: string;
  endpoint: string;
  /** When the gateway signed it, UTC, milliseconds, `Z`. */
  at: string;
  /** hex SHA-256(salt || body) of each item, in the order sent. */
  items: string[];
}

/** A manifest as stored once per call: its canonical bytes, their hash (its id) and the detached JWS over them. */
export interface SignedCallManifest {
  sha256: string;
  bytes: Buffer;
  jws: string;
}

/** How an item's record is signed: by its call's manifest, at `position`. */
export interface ManifestSignature {
  format: typeof MANIFEST_SIGNATURE_FORMAT;
  manifest: SignedCallManifest;
  position: number;
  /** The salt the manifest's commitment was made with; the message log keeps it with the body. */
  salt: Buffer;
  keyId: string;
  chain: string[];
}

export function encodeManifest(manifest: CallManifest): Buffer {
  return Buffer.from(canonicalJson(manifest), 'utf8');
}

/** The manifest these bytes encode, if they are exactly its canonical encoding; undefined otherwise. */
export function decodeManifest(bytes: Uint8Array): CallManifest | undefined {
  try {
    const manifest = JSON.parse(Buffer.from(bytes).toString('utf8')) as CallManifest;
    if (manifest?.format !== CALL_MANIFEST_FORMAT || !Array.isArray(manifest.items)) return undefined;
    return encodeManifest(manifest).equals(Buffer.from(bytes)) ? manifest : undefined;
  } catch {
    return undefined;
  }
}

export function manifestHash(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * One signature for the bodies of one call: each body gets a fresh salt and its commitment goes into
 * the manifest at its index; answers each body's signature record, in the order given.
 */
export function signCall(signer: OutboundSigner, call: { destination: string; endpoint: string }, bodies: readonly Buffer[]): ManifestSignature[] {
  const salts = bodies.map(() => pooledRandomBytes(32));
  const bytes = encodeManifest({
    format: CALL_MANIFEST_FORMAT,
    destination: call.destination,
    endpoint: call.endpoint,
    at: new Date().toISOString(),
    items: bodies.map((body, i) => bodyCommitment(salts[i]!, body)),
  });
  const manifest: SignedCallManifest = { sha256: manifestHash(bytes), bytes, jws: signer.jws(bytes) };
  const { keyId, chain } = signer.record(bytes, manifest.jws);
  return salts.map((salt, position) => ({ format: MANIFEST_SIGNATURE_FORMAT, manifest, position, salt, keyId, chain }));
}
