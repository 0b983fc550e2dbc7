// The message log, record format v2 (docs/message-log.md): one row per thing that crossed the
// gateway's edge. Rows are only ever inserted, in the same transaction as the change they describe.
import { pooledRandomBytes } from '../core/random-pool.js';
import { sha256Hex } from '../core/hash.js';
import type { SignatureRecord } from '../crypto/partner-signature.js';
import type { Queryable } from '../store/db.js';
import { MANIFEST_SIGNATURE_FORMAT, type ManifestSignature } from './call-manifest.js';
import { storeManifests } from './call-manifests.js';
import { bodyCommitment } from './bodies.js';

export type LogOutcome = 'accepted' | 'refused' | 'delivered' | 'failed' | 'dead';

export interface LogRecord {
  direction: 'in' | 'out';
  partnerId: string | undefined;
  /** Route for inbound messages (`POST /v1/dossiers`), destination and its service for outbound (`national-portal:<service>`, the adapter names the service). */
  endpoint: string;
  dossierCode?: string | undefined;
  messageId?: string | undefined;
  /** The exact bytes received or sent; kept apart (audit_bodies) and committed to with a salt. Never for refusals. */
  body?: Buffer | undefined;
  outcome: LogOutcome;
  errorCode?: string | undefined;
  attempt?: number | undefined;
  /** The partner's signature of an inbound message; the gateway's signature of an outbound one, or of its call's manifest. */
  signature?: SignatureRecord | ManifestSignature | undefined;
}

export async function appendLog(q: Queryable, r: LogRecord): Promise<void> {
  await appendLogs(q, [r]);
}

/**
 * Any number of records in one statement, their seq in the order given. Each record with a body gets
 * its own salt; the salt makes the commitment useless for guessing short personal values, and it is
 * kept with the body, so pruning the body also forgets the salt.
 */
export async function appendLogs(q: Queryable, records: readonly LogRecord[]): Promise<void> {
  if (records.length === 0) return;
  const column = (f: (r: LogRecord) => unknown) => records.map((r) => f(r) ?? null);
  // A body signed through its call's manifest keeps the salt the manifest committed it with.
  const salts = records.map((r) => (r.body ? (viaManifest(r)?.salt ?? pooledRandomBytes(32)) : undefined));
  await storeManifests(q, records.flatMap((r) => viaManifest(r)?.manifest ?? []));
  await q.query(
    `WITH input AS (
       SELECT nextval(pg_get_serial_sequence('message_log', 'seq')) AS seq, s.*
         FROM (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::uuid[], $6::text[], $7::text[], $8::text[], $9::integer[],
                                    $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[],
                                    $17::text[], $18::integer[])
                 WITH ORDINALITY AS u(direction, partner_id, endpoint, dossier_code, message_id, body_sha256, outcome, error_code, attempt,
                                      signature_format, signature, signer_key_id, signer_chain, body_commitment, salt, body,
                                      manifest_sha256, manifest_position, ord)
                ORDER BY ord) s
     ),
     record AS (
       INSERT INTO message_log (seq, direction, partner_id, endpoint, dossier_code, message_id, body_sha256, outcome, error_code, attempt,
                                signature_format, signature, signer_key_id, signer_chain, body_commitment, manifest_sha256, manifest_position)
       SELECT seq, direction, partner_id, endpoint, dossier_code, message_id, body_sha256, outcome, error_code, attempt,
              signature_format, signature, signer_key_id, signer_chain::text[], body_commitment, manifest_sha256, manifest_position
         FROM input ORDER BY seq
     )
     INSERT INTO audit_bodies (log_seq, salt, body)
     SELECT seq, decode(salt, 'hex'), decode(body, 'hex') FROM input WHERE body IS NOT NULL`,
    [
      column((r) => r.direction),
      column((r) => r.partnerId),
      column((r) => r.endpoint),
      // A refusal of a caller nobody authenticated names no dossier: the code would be whatever an
      // anonymous client chose to write into the audit log (issue 14, finding 14).
      column((r) => (r.outcome === 'refused' && r.partnerId === undefined ? undefined : r.dossierCode)),
      column((r) => r.messageId),
      column((r) => (r.body ? sha256Hex(r.body) : null)),
      column((r) => r.outcome),
      column((r) => r.errorCode),
      column((r) => r.attempt),
      column((r) => r.signature?.format),
      // A manifest's JWS is kept once, with the manifest, not in each of its items' records.
      column((r) => (r.signature && !viaManifest(r) ? (r.signature as SignatureRecord).value : null)),
      column((r) => r.signature?.keyId),
      // A text[] per record cannot ride in a text[] column: each chain goes as its array literal.
      column((r) => (r.signature?.chain ? arrayLiteral(r.signature.chain) : null)),
      records.map((r, i) => (r.body ? bodyCommitment(salts[i]!, r.body) : null)),
      salts.map((salt) => salt?.toString('hex') ?? null),
      column((r) => r.body?.toString('hex')),
      column((r) => viaManifest(r)?.manifest.sha256),
      column((r) => viaManifest(r)?.position),
    ],
  );
}

function viaManifest(r: LogRecord): ManifestSignature | undefined {
  return r.signature?.format === MANIFEST_SIGNATURE_FORMAT ? r.signature : undefined;
}

/** A PostgreSQL array literal of strings (certificate fingerprints: no quotes or backslashes, but escaped anyway). */
function arrayLiteral(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`).join(',')}}`;
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
