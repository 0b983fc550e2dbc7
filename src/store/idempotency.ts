// Idempotency-Key: a retried request with the same key and the same body gets the first answer again;
// the same key with another body is refused rather than silently ignored.
import { Problem } from '../core/problems.js';
import type { Queryable } from './db.js';

export interface StoredResponse {
  statusCode: number;
  body: Record<string, unknown>;
}

export async function recallResponse(q: Queryable, partnerId: string, key: string, requestSha256: string): Promise<StoredResponse | undefined> {
  const [row] = await q.query<{ request_sha256: string; status_code: number; response: Record<string, unknown> }>(
    'SELECT request_sha256, status_code, response FROM idempotency_keys WHERE partner_id = $1 AND key = $2',
    [partnerId, key],
  );
  if (!row) return undefined;
  if (row.request_sha256 !== requestSha256) {
    throw new Problem('idempotency-key-reused', 'This Idempotency-Key was first used with a different body; use a new key for a new request');
  }
  return { statusCode: row.status_code, body: row.response };
}

export async function rememberResponse(q: Queryable, partnerId: string, key: string, requestSha256: string, response: StoredResponse): Promise<void> {
  await q.query(
    'INSERT INTO idempotency_keys (partner_id, key, request_sha256, status_code, response) VALUES ($1, $2, $3, $4, $5)',
    [partnerId, key, requestSha256, response.statusCode, JSON.stringify(response.body)],
  );
}
