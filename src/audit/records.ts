// Reading the auditors' log: integrated records with their leaf index, filtered and paged by index.
import type { Queryable } from '../store/db.js';

export interface RecordFilter {
  dossierCode?: string | undefined;
  partner?: string | undefined;
  direction?: 'in' | 'out' | undefined;
  from?: string | undefined;
  to?: string | undefined;
  /** Only records whose leaf index is greater (the `next` cursor of the previous page). */
  after?: number | undefined;
  limit: number;
}

export interface RecordSummary {
  index: number;
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
  signed: boolean;
  body: 'kept' | 'pruned' | 'none';
}

export async function findRecords(q: Queryable, filter: RecordFilter): Promise<{ records: RecordSummary[]; next: number | null }> {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (clause: string, value: unknown) => {
    params.push(value);
    where.push(clause.replace('?', `$${params.length}`));
  };
  if (filter.dossierCode) add('m.dossier_code = ?', filter.dossierCode);
  if (filter.partner) add('m.partner_id = ?', filter.partner);
  if (filter.direction) add('m.direction = ?', filter.direction);
  if (filter.from) add('m.at >= ?', filter.from);
  if (filter.to) add('m.at < ?', filter.to);
  if (filter.after !== undefined) add('l.leaf_index > ?', String(filter.after));
  params.push(filter.limit + 1);
  const rows = await q.query<Omit<RecordSummary, 'index'> & { index: string }>(
    `SELECT l.leaf_index::text AS index, m.seq::text AS seq, to_char(m.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at,
            m.direction, m.partner_id AS partner, m.endpoint, m.dossier_code AS "dossierCode", m.message_id::text AS "messageId",
            m.outcome, m.error_code AS "errorCode", m.attempt, (m.signature IS NOT NULL OR m.manifest_sha256 IS NOT NULL) AS signed,
            CASE WHEN b.log_seq IS NULL THEN 'none' WHEN b.pruned_at IS NULL THEN 'kept' ELSE 'pruned' END AS body
       FROM audit_leaves l JOIN message_log m ON m.seq = l.log_seq LEFT JOIN audit_bodies b ON b.log_seq = m.seq
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY l.leaf_index LIMIT $${params.length}`,
    params,
  );
  const records = rows.slice(0, filter.limit).map((r) => ({ ...r, index: Number(r.index) }));
  return { records, next: rows.length > filter.limit ? records.at(-1)!.index : null };
}
