// Rows of the edXML road: packages (accepted or refused), their deliveries, and dossier holders.
import type { Envelope, TraceHeader } from '../../adapters/edxml/index.js';
import type { Queryable } from '../store/db.js';

export interface StoredAttachment {
  contentId: string;
  contentType: string;
  attachmentName: string;
  description: string;
  size: number;
  sha256: string;
}

export interface PackageRow {
  id: string;
  kind: 'document' | 'status' | 'unreadable';
  documentId: string | null;
  partnerId: string;
  fromOrganId: string | null;
  toOrganIds: string[];
  statusCode: string | null;
  state: 'accepted' | 'refused';
  refusalCode: string | null;
  refusalReason: string | null;
  envelope: string | null;
  header: { envelope: Envelope; senderSha256: string } | null;
  attachments: StoredAttachment[];
  receivedAt: Date;
}

const PACKAGE_COLUMNS = `id, kind, document_id AS "documentId", partner_id AS "partnerId", from_organ_id AS "fromOrganId",
  to_organ_ids AS "toOrganIds", status_code AS "statusCode", state, refusal_code AS "refusalCode",
  refusal_reason AS "refusalReason", envelope, header, attachments, received_at AS "receivedAt"`;

export async function insertPackage(q: Queryable, row: Omit<PackageRow, 'receivedAt'>): Promise<void> {
  await q.query(
    `INSERT INTO edxml_packages (id, kind, document_id, partner_id, from_organ_id, to_organ_ids, status_code, state, refusal_code, refusal_reason, envelope, header, attachments)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
    [
      row.id,
      row.kind,
      row.documentId,
      row.partnerId,
      row.fromOrganId,
      row.toOrganIds,
      row.statusCode,
      row.state,
      row.refusalCode,
      row.refusalReason,
      row.envelope,
      row.header === null ? null : JSON.stringify(row.header),
      JSON.stringify(row.attachments),
    ],
  );
}

export async function getPackage(q: Queryable, id: string): Promise<PackageRow | undefined> {
  const [row] = await q.query<PackageRow>(`SELECT ${PACKAGE_COLUMNS} FROM edxml_packages WHERE id = $1`, [id]);
  return row;
}

export async function packagesOfDocument(q: Queryable, documentId: string): Promise<PackageRow[]> {
  return q.query<PackageRow>(`SELECT ${PACKAGE_COLUMNS} FROM edxml_packages WHERE document_id = $1 ORDER BY received_at, id`, [documentId]);
}

/** The accepted document package with this DocumentId, if any. */
export async function acceptedDocument(q: Queryable, documentId: string): Promise<PackageRow | undefined> {
  const [row] = await q.query<PackageRow>(
    `SELECT ${PACKAGE_COLUMNS} FROM edxml_packages WHERE document_id = $1 AND kind = 'document' AND state = 'accepted' ORDER BY received_at LIMIT 1`,
    [documentId],
  );
  return row;
}

export interface DeliveryRow {
  id: string;
  packageId: string;
  organId: string;
  partnerId: string;
  mode: 'push' | 'inbox';
  acknowledgedAt: Date | null;
  createdAt: Date;
  /** From the messages table, for pushed packages. */
  state: string | null;
  attempts: number | null;
  lastError: string | null;
  deliveredAt: Date | null;
}

const DELIVERY_COLUMNS = `d.id, d.package_id AS "packageId", d.organ_id AS "organId", d.partner_id AS "partnerId", d.mode,
  d.acknowledged_at AS "acknowledgedAt", d.created_at AS "createdAt", m.state, m.attempts, m.last_error AS "lastError", m.delivered_at AS "deliveredAt"`;

export async function insertDelivery(q: Queryable, d: { id: string; packageId: string; organId: string; partnerId: string; mode: 'push' | 'inbox' }): Promise<void> {
  await q.query('INSERT INTO edxml_deliveries (id, package_id, organ_id, partner_id, mode) VALUES ($1, $2, $3, $4, $5)', [d.id, d.packageId, d.organId, d.partnerId, d.mode]);
}

export async function deliveriesOf(q: Queryable, packageIds: string[]): Promise<DeliveryRow[]> {
  if (packageIds.length === 0) return [];
  return q.query<DeliveryRow>(
    `SELECT ${DELIVERY_COLUMNS} FROM edxml_deliveries d LEFT JOIN messages m ON m.id = d.id WHERE d.package_id = ANY($1::uuid[]) ORDER BY d.created_at, d.organ_id`,
    [packageIds],
  );
}

export async function getDelivery(q: Queryable, id: string): Promise<DeliveryRow | undefined> {
  const [row] = await q.query<DeliveryRow>(`SELECT ${DELIVERY_COLUMNS} FROM edxml_deliveries d LEFT JOIN messages m ON m.id = d.id WHERE d.id = $1`, [id]);
  return row;
}

export async function inboxOf(q: Queryable, partnerId: string, limit: number): Promise<(DeliveryRow & { kind: string; documentId: string; fromOrganId: string; statusCode: string | null })[]> {
  return q.query(
    `SELECT ${DELIVERY_COLUMNS}, p.kind, p.document_id AS "documentId", p.from_organ_id AS "fromOrganId", p.status_code AS "statusCode"
       FROM edxml_deliveries d JOIN edxml_packages p ON p.id = d.package_id LEFT JOIN messages m ON m.id = d.id
      WHERE d.partner_id = $1 AND d.mode = 'inbox' AND d.acknowledged_at IS NULL ORDER BY d.created_at, d.id LIMIT $2`,
    [partnerId, limit],
  );
}

export async function acknowledge(q: Queryable, id: string, partnerId: string): Promise<boolean> {
  const rows = await q.query(
    `UPDATE edxml_deliveries SET acknowledged_at = coalesce(acknowledged_at, now()) WHERE id = $1 AND partner_id = $2 AND mode = 'inbox' RETURNING id`,
    [id, partnerId],
  );
  return rows.length > 0;
}

/** Hops of a package: its TraceHeaders, the sender's first and the gateway's last. */
export function hopsOf(row: PackageRow): TraceHeader[] {
  return row.header?.envelope.traces ?? [];
}

export async function setHolder(q: Queryable, h: { dossierCode: string; agencyCode: string; partnerId: string; documentId: string }): Promise<void> {
  await q.query(
    `INSERT INTO dossier_holders (dossier_code, agency_code, partner_id, document_id) VALUES ($1, $2, $3, $4)
     ON CONFLICT (dossier_code) DO UPDATE SET agency_code = $2, partner_id = $3, document_id = $4, since = now()`,
    [h.dossierCode, h.agencyCode, h.partnerId, h.documentId],
  );
}

/** The agencies holding any of these dossiers after a hand-over, in one statement (dossier code → agency). */
export async function holdersOf(q: Queryable, dossierCodes: readonly string[]): Promise<Map<string, string>> {
  if (dossierCodes.length === 0) return new Map();
  const rows = await q.query<{ code: string; agency: string }>(
    'SELECT dossier_code AS code, agency_code AS agency FROM dossier_holders WHERE dossier_code = ANY($1::text[])',
    [dossierCodes],
  );
  return new Map(rows.map((r) => [r.code, r.agency]));
}
