// Leaf format lgsp-leaf/v1 (docs/audit-log.md): a message-log record as canonical JSON, so that
// anyone holding the record can recompute the leaf hash. Every field is always present.
import { canonicalJson } from '../core/canonical-json.js';

export const LEAF_FORMAT_VERSION = 1;

export interface LeafRecord {
  v: 1;
  seq: string;
  at: string;
  direction: string;
  partner: string | null;
  endpoint: string;
  dossierCode: string | null;
  messageId: string | null;
  outcome: string;
  errorCode: string | null;
  attempt: number | null;
  body: { commitment: string } | null;
  signature: { format: string; value: string; keyId: string; chain: string[] } | ManifestReference | null;
}

/** A record signed through its call's manifest (format `jws-manifest`): the manifest's hash and the item's position in it. */
export interface ManifestReference {
  format: string;
  manifest: string;
  position: number;
  keyId: string;
  chain: string[];
}

/** A message_log row as the integrator reads it. */
export interface LogRowForLeaf {
  seq: string;
  at: string;
  direction: string;
  partner_id: string | null;
  endpoint: string;
  dossier_code: string | null;
  message_id: string | null;
  outcome: string;
  error_code: string | null;
  attempt: number | null;
  body_commitment: string | null;
  signature_format: string | null;
  signature: string | null;
  signer_key_id: string | null;
  signer_chain: string[] | null;
  manifest_sha256: string | null;
  manifest_position: number | null;
}

export function leafRecord(row: LogRowForLeaf): LeafRecord {
  return {
    v: LEAF_FORMAT_VERSION,
    seq: row.seq,
    at: row.at,
    direction: row.direction,
    partner: row.partner_id,
    endpoint: row.endpoint,
    dossierCode: row.dossier_code,
    messageId: row.message_id,
    outcome: row.outcome,
    errorCode: row.error_code,
    attempt: row.attempt,
    body: row.body_commitment ? { commitment: row.body_commitment } : null,
    signature: signatureOf(row),
  };
}

function signatureOf(row: LogRowForLeaf): LeafRecord['signature'] {
  const signer = { keyId: row.signer_key_id ?? '', chain: row.signer_chain ?? [] };
  if (row.signature_format && row.manifest_sha256 && row.manifest_position !== null) {
    return { format: row.signature_format, manifest: row.manifest_sha256, position: row.manifest_position, ...signer };
  }
  return row.signature_format && row.signature ? { format: row.signature_format, value: row.signature, ...signer } : null;
}

export function encodeLeaf(record: LeafRecord): Buffer {
  return Buffer.from(canonicalJson(record), 'utf8');
}

/** The record a leaf encodes, if the bytes are exactly its canonical encoding; undefined otherwise. */
export function decodeLeaf(bytes: Uint8Array): LeafRecord | undefined {
  try {
    const record = JSON.parse(Buffer.from(bytes).toString('utf8')) as LeafRecord;
    if (record?.v !== LEAF_FORMAT_VERSION) return undefined;
    return encodeLeaf(record).equals(Buffer.from(bytes)) ? record : undefined;
  } catch {
    return undefined;
  }
}

/** The SELECT list that reads message_log rows in the shape leafRecord() takes. */
export const LEAF_COLUMNS = `seq::text AS seq, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at, direction, partner_id, endpoint,
  dossier_code, message_id::text AS message_id, outcome, error_code, attempt, body_commitment, signature_format, signature, signer_key_id, signer_chain,
  manifest_sha256, manifest_position`;
