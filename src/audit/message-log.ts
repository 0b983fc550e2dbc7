// The message log, record format v1 (docs/message-log.md): one row per thing that crossed the
// gateway's edge. Rows are only ever inserted, in the same transaction as the change they describe.
import type { Queryable } from '../store/db.js';

export type LogOutcome = 'accepted' | 'refused' | 'delivered' | 'failed' | 'dead';

export interface LogRecord {
  direction: 'in' | 'out';
  partnerId: string | undefined;
  /** Route for inbound messages (`POST /v1/dossiers`), destination service for outbound (`national-portal:DongBoHoSoMC`). */
  endpoint: string;
  dossierCode?: string | undefined;
  messageId?: string | undefined;
  bodySha256?: string | undefined;
  outcome: LogOutcome;
  errorCode?: string | undefined;
  attempt?: number | undefined;
}

export async function appendLog(q: Queryable, r: LogRecord): Promise<void> {
  await q.query(
    `INSERT INTO message_log (direction, partner_id, endpoint, dossier_code, message_id, body_sha256, outcome, error_code, attempt)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [r.direction, r.partnerId ?? null, r.endpoint, r.dossierCode ?? null, r.messageId ?? null, r.bodySha256 ?? null, r.outcome, r.errorCode ?? null, r.attempt ?? null],
  );
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
}

export async function logForDossier(q: Queryable, dossierCode: string): Promise<LogRow[]> {
  return q.query<LogRow>(
    `SELECT seq::text AS seq, record_version AS "recordVersion", to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at,
            direction, partner_id AS "partnerId", endpoint, dossier_code AS "dossierCode", message_id AS "messageId",
            body_sha256 AS "bodySha256", outcome, error_code AS "errorCode", attempt
       FROM message_log WHERE dossier_code = $1 ORDER BY seq`,
    [dossierCode],
  );
}
