// Message bodies under the retention policy. Pruning forgets the body and its salt together; the
// leaf keeps only the salted commitment, so every proof stays valid and nothing personal is left.
import { createHash } from 'node:crypto';
import type { Queryable } from '../store/db.js';

/** hex SHA-256(salt || body): what a leaf commits to (docs/audit-log.md). */
export function bodyCommitment(salt: Uint8Array, body: Uint8Array): string {
  return createHash('sha256').update(salt).update(body).digest('hex');
}

export interface StoredBody {
  salt: Buffer;
  body: Buffer;
}

export type BodyState = StoredBody | { prunedAt: string } | undefined;

export async function bodyOf(q: Queryable, logSeq: string): Promise<BodyState> {
  const [row] = await q.query<{ salt: Uint8Array | null; body: Uint8Array | null; pruned_at: string | null }>(
    `SELECT salt, body, to_char(pruned_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS pruned_at FROM audit_bodies WHERE log_seq = $1`,
    [logSeq],
  );
  if (!row) return undefined;
  if (row.pruned_at || !row.salt || !row.body) return { prunedAt: row.pruned_at ?? '' };
  return { salt: Buffer.from(row.salt), body: Buffer.from(row.body) };
}

/** Prunes bodies recorded before `before`; answers how many. */
export async function pruneBodies(q: Queryable, before: Date): Promise<number> {
  const rows = await q.query<{ n: number }>(
    `WITH pruned AS (
       UPDATE audit_bodies b SET body = NULL, salt = NULL, pruned_at = now()
         FROM message_log m
        WHERE m.seq = b.log_seq AND m.at < $1 AND b.pruned_at IS NULL
       RETURNING 1
     ) SELECT count(*)::int AS n FROM pruned`,
    [before],
  );
  return rows[0]!.n;
}
