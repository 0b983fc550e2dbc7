// Idempotency-Key: a retried request with the same key and the same body gets the first answer again;
// the same key with another body is refused rather than silently ignored.
import { Problem } from '../core/problems.js';
import type { Queryable } from './db.js';

export interface StoredResponse {
  statusCode: number;
  body: Record<string, unknown>;
}

export interface KeyedRequest {
  partnerId: string;
  key: string;
  requestSha256: string;
}

export interface StoredAnswer extends StoredResponse {
  requestSha256: string;
}

/** How the answers below are looked up: partner and key, apart. */
export function keyOf(partnerId: string, key: string): string {
  return `${partnerId}\u0000${key}`;
}

/** The stored answers for any number of keys, in one statement. */
export async function recallResponses(q: Queryable, keys: readonly { partnerId: string; key: string }[]): Promise<Map<string, StoredAnswer>> {
  if (keys.length === 0) return new Map();
  const rows = await q.query<{ partner_id: string; key: string; request_sha256: string; status_code: number; response: Record<string, unknown> }>(
    `SELECT partner_id, key, request_sha256, status_code, response FROM idempotency_keys
      WHERE (partner_id, key) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
    [keys.map((k) => k.partnerId), keys.map((k) => k.key)],
  );
  return new Map(rows.map((r) => [keyOf(r.partner_id, r.key), { requestSha256: r.request_sha256, statusCode: r.status_code, body: r.response }]));
}

/** The answer a request with this key gets again, or the refusal of a key reused with another body. */
export function replayOf(stored: StoredAnswer | undefined, requestSha256: string): StoredResponse | undefined {
  if (!stored) return undefined;
  if (stored.requestSha256 !== requestSha256) {
    throw new Problem('idempotency-key-reused', 'This Idempotency-Key was first used with a different body; use a new key for a new request');
  }
  return { statusCode: stored.statusCode, body: stored.body };
}

/**
 * Stores the answers in one statement. Returns false when another transaction stored one of the keys
 * first (two requests with one key raced): the caller rolls back and tries again, and then answers
 * from the stored key.
 */
export async function rememberResponses(q: Queryable, answers: readonly (KeyedRequest & StoredResponse)[]): Promise<boolean> {
  if (answers.length === 0) return true;
  const rows = await q.query(
    `INSERT INTO idempotency_keys (partner_id, key, request_sha256, status_code, response)
     SELECT partner_id, key, request_sha256, status_code, response::jsonb
       FROM unnest($1::text[], $2::text[], $3::text[], $4::integer[], $5::text[]) AS a(partner_id, key, request_sha256, status_code, response)
     ON CONFLICT (partner_id, key) DO NOTHING RETURNING key`,
    [answers.map((a) => a.partnerId), answers.map((a) => a.key), answers.map((a) => a.requestSha256), answers.map((a) => a.statusCode), answers.map((a) => JSON.stringify(a.body))],
  );
  return rows.length === answers.length;
}
