// C2SP tlog-cosignature v1 with Ed25519 (https://c2sp.org/tlog-cosignature): a witness's signed,
// timestamped statement that a checkpoint is the largest consistent tree head it has seen.
//
// Signed message: "cosignature/v1\ntime <seconds>\n" followed by the whole checkpoint text,
// extension lines included (an earlier revision signed only the first three lines).
// Signature bytes: key id (4) || timestamp (8, big-endian) || Ed25519 signature (64).
import { sign } from 'node:crypto';
import { parseCheckpoint } from './checkpoint.js';
import {
  NoteError,
  decodeEd25519SignerKey,
  decodeEd25519VerifierKey,
  ed25519PublicKey,
  formatSignatureLine,
  generateEd25519Key,
  openNote,
  verifyEd25519,
} from './note.js';
import type { Ed25519KeyMaterial, NoteVerifier } from './note.js';

/** Signature type byte of timestamped Ed25519 cosignatures in the signed-note registry. */
export const SIGNATURE_TYPE_COSIGNATURE_V1 = 0x04;

const TIMESTAMP_BYTES = 8;
const ED25519_SIGNATURE_BYTES = 64;

export type Cosigner = Ed25519KeyMaterial;

/** A note verifier for one witness, usable with openNote on a cosigned checkpoint. */
export interface CosignatureVerifier extends NoteVerifier {
  readonly publicKey: Buffer;
}

/** Key strings as for notes, with type byte 0x04: `PRIVATE+KEY+<name>+<id>+<base64(0x04 || seed)>`. */
export function generateCosignerKey(name: string): { signerKey: string; verifierKey: string } {
  return generateEd25519Key(name, SIGNATURE_TYPE_COSIGNATURE_V1);
}

export function parseCosignerKey(signerKey: string): Cosigner {
  return decodeEd25519SignerKey(signerKey, SIGNATURE_TYPE_COSIGNATURE_V1);
}

export function parseCosignatureVerifierKey(verifierKey: string): CosignatureVerifier {
  const { name, keyId, publicKey } = decodeEd25519VerifierKey(verifierKey, SIGNATURE_TYPE_COSIGNATURE_V1);
  const key = ed25519PublicKey(publicKey);
  return {
    name,
    keyId,
    publicKey,
    verify: (text, signature) => {
      if (signature.length !== TIMESTAMP_BYTES + ED25519_SIGNATURE_BYTES) return false;
      const time = signature.readBigUInt64BE(0);
      if (time > BigInt(Number.MAX_SAFE_INTEGER)) return false;
      return verifyEd25519(key, cosignedMessage(text.toString(), Number(time)), signature.subarray(TIMESTAMP_BYTES));
    },
  };
}

/** The exact bytes a witness signs for a checkpoint text at a time in POSIX seconds. */
export function cosignedMessage(checkpointText: string, time: number): Buffer {
  return Buffer.from(`cosignature/v1\ntime ${time}\n${checkpointText}`);
}

/**
 * Cosigns a checkpoint text (the note text, without signature lines) and returns the signature
 * line to append to the checkpoint's signatures.
 */
export function cosign(checkpointText: string, witness: Cosigner, time: number): string {
  parseCheckpoint(checkpointText);
  checkTime(time);
  const timestamp = Buffer.alloc(TIMESTAMP_BYTES);
  timestamp.writeBigUInt64BE(BigInt(time));
  const signature = sign(null, cosignedMessage(checkpointText, time), witness.privateKey);
  return formatSignatureLine(witness.name, witness.keyId, Buffer.concat([timestamp, signature]));
}

/**
 * Verifies one witness's signature line over a checkpoint text and returns its timestamp in
 * POSIX seconds; throws NoteError when the line is not that witness's valid cosignature.
 */
export function verifyCosignature(checkpointText: string, signatureLine: string, witness: CosignatureVerifier): number {
  parseCheckpoint(checkpointText);
  const line = signatureLine.endsWith('\n') ? signatureLine : `${signatureLine}\n`;
  const opened = openNote(`${checkpointText}\n${line}`, [witness]);
  const signature = opened.verifiedBy[0]?.signature;
  if (opened.unverified.length > 0 || signature === undefined) {
    throw new NoteError('malformed-note', 'expected exactly one signature line of the witness');
  }
  return Number(signature.readBigUInt64BE(0));
}

function checkTime(time: number): void {
  // The specification allows up to 2^63 - 1; a JavaScript number is exact up to 2^53 - 1.
  if (!Number.isSafeInteger(time) || time < 0) {
    throw new RangeError(`timestamp ${time} is not a non-negative safe integer`);
  }
}
