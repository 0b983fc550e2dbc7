// Dead letters chosen by a filter, to look at (a dry run) or to replay at once after an outage: the
// same reset as one replay (attempts to 0, pending now), for every match, in one statement.
import type { Lane } from './messages.js';
import type { Queryable } from './db.js';

export interface DeadLetterFilter {
  destination?: string | undefined;
  /** Died (last changed) at or after / before these instants. */
  deadFrom?: Date | undefined;
  deadTo?: Date | undefined;
  /** The start of the recorded error, e.g. `portal unavailable: HTTP 503` or `webhook answered HTTP 4`. */
  errorPrefix?: string | undefined;
  limit: number;
}

export interface DeadLetter {
  id: string;
  destination: string;
  lane: Lane;
  dossierCode: string | null;
  lastError: string | null;
  diedAt: string;
}

function where(filter: DeadLetterFilter): { sql: string; params: unknown[] } {
  const params: unknown[] = [filter.destination ?? null, filter.deadFrom ?? null, filter.deadTo ?? null, filter.errorPrefix === undefined ? null : escapeLike(filter.errorPrefix), filter.limit];
  const sql = `SELECT id FROM messages
                WHERE state = 'dead' AND ($1::text IS NULL OR destination = $1) AND ($2::timestamptz IS NULL OR updated_at >= $2)
                  AND ($3::timestamptz IS NULL OR updated_at < $3) AND ($4::text IS NULL OR last_error LIKE $4 || '%')
                ORDER BY created_at, id LIMIT $5`;
  return { sql, params };
}

const FIELDS = `id, destination, lane, dossier_code AS "dossierCode", last_error AS "lastError", to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "diedAt"`;

/** The dead letters the filter matches, oldest first, unchanged. */
export function findDeadLetters(q: Queryable, filter: DeadLetterFilter): Promise<DeadLetter[]> {
  const { sql, params } = where(filter);
  return q.query<DeadLetter>(`SELECT ${FIELDS} FROM messages WHERE id IN (${sql}) ORDER BY created_at, id`, params);
}

/** Puts every matching dead letter back to pending; returns them as they were when they died. */
export function replayDeadLetters(q: Queryable, filter: DeadLetterFilter): Promise<DeadLetter[]> {
  const { sql, params } = where(filter);
  return q.query<DeadLetter>(
    `WITH chosen AS (SELECT ${FIELDS} FROM messages WHERE id IN (${sql}))
     UPDATE messages m SET state = 'pending', attempts = 0, next_attempt_at = now(), lease_until = NULL, updated_at = now()
       FROM chosen WHERE m.id = chosen.id AND m.state = 'dead'
     RETURNING chosen.id, chosen.destination, chosen.lane, chosen."dossierCode", chosen."lastError", chosen."diedAt"`,
    params,
  );
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
