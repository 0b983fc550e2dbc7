// The message log, record format v2 (docs/message-log.md): one row per thing that crossed the
// gateway's edge. Rows are only ever inserted, in the same transaction as the change they describe.
import { createHash, randomBytes } from 'node:crypto';
import { sha256Hex } from '../core/hash.js';
import type { SignatureRecord } from '../crypto/partner-signature.js';
import type { Queryable } from '../store/db.js';

export type LogOutcome = 'accepted' | 'refused' | 'delivered' | 'failed' | 'dead';

export interface LogRecord {
  direction: 'in' | 'out';
  partnerId: string | undefined;
  /** Route for inbound messages (`POST /v1/dossiers`), destination service for outbound (`national-portal:DongBoHoSoMC`). */
  endpoint: string;
  dossierCode?: string | undefined;
  messageId?: string | undefined;
  /** The exact bytes received or sent; kept apart (audit_bodies) and committed to with a salt. Never for refusals. */
  body?: Buffer | undefined;
  outcome: LogOutcome;
  errorCode?: string | undefined;
  attempt?: number | undefined;
  /** The partner's signature of an inbound message; the gateway's signature of an outbound one. */
  signature?: SignatureRecord | undefined;
}

export async function appendLog(q: Queryable, r: LogRecord): Promise<void> {
  // A refusal of a caller nobody authenticated names no dossier: the code would be whatever an
  // anonymous client chose to write into the audit log (issue 14, finding 14).
  const dossierCode = r.outcome === 'refused' && r.partnerId === undefined ? undefined : r.dossierCode;
  const values = [
    r.direction,
    r.partnerId ?? null,
    r.endpoint,
    dossierCode ?? null,
    r.messageId ?? null,
    r.body ? sha256Hex(r.body) : null,
    r.outcome,
    r.errorCode ?? null,
    r.attempt ?? null,
    r.signature?.format ?? null,
    r.signature?.value ?? null,
    r.signature?.keyId ?? null,
    r.signature?.chain ?? null,
  ];
  const columns = `direction, partner_id, endpoint, dossier_code, message_id, body_sha256, outcome, error_code, attempt,
                   signature_format, signature, signer_key_id, signer_chain`;
  if (!r.body) {
    await q.query(`INSERT INTO message_log (${columns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`, values);
    return;
  }
  // The salt makes the commitment useless for guessing short personal values; it is kept with the
  // body, so pruning the body also forgets the salt.
  const salt = randomBytes(32);
  await q.query(
    `WITH record AS (
       INSERT INTO message_log (${columns}, body_commitment) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING seq
     )
     INSERT INTO audit_bodies (log_seq, salt, body) SELECT seq, $15, $16 FROM record`,
    [...values, bodyCommitment(salt, r.body), salt, r.body],
  );
}

/** hex SHA-256(salt || body): what a leaf commits to (docs/audit-log.md). */
export function bodyCommitment(salt: Uint8Array, body: Uint8Array): string {
  return createHash('sha256').update(salt).update(body).digest('hex');
}

export interface LogRow {
  seq: string;
  recordVersion: number;
  at: string;
  direction: string;
  partnerId: string | null;
  endpoint: string;
  dossierCode: string | null;
  messageId: string | null;
  bodySha256: string | null;
  outcome: string;
  errorCode: string | null;
  attempt: number | null;
  signatureFormat: string | null;
  signature: string | null;
  signerKeyId: string | null;
  signerChain: string[] | null;
}

export async function logForDossier(q: Queryable, dossierCode: string): Promise<LogRow[]> {
  return q.query<LogRow>(
    `SELECT seq::text AS seq, record_version AS "recordVersion", to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at,
            direction, partner_id AS "partnerId", endpoint, dossier_code AS "dossierCode", message_id AS "messageId",
            body_sha256 AS "bodySha256", outcome, error_code AS "errorCode", attempt, signature_format AS "signatureFormat",
            signature, signer_key_id AS "signerKeyId", signer_chain AS "signerChain"
       FROM message_log WHERE dossier_code = $1 ORDER BY message_log.seq`,
    [dossierCode],
  );
}
