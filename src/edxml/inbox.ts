// The inbox of systems that fetch: what waits for a partner, one waiting package, and its
// acknowledgement, which takes it out of the inbox and writes the outbound record of the message log.
import { appendLog } from '../audit/message-log.js';
import { Problem } from '../core/problems.js';
import type { Db } from '../store/db.js';
import { acknowledge, getDelivery, getPackage, inboxOf, type DeliveryRow, type PackageRow } from './store.js';

export async function waitingFor(db: Db, partnerId: string, limit: number) {
  const rows = await inboxOf(db, partnerId, limit);
  return rows.map((r) => ({
    id: r.id,
    packageId: r.packageId,
    kind: r.kind,
    documentId: r.documentId,
    from: r.fromOrganId,
    organId: r.organId,
    statusCode: r.statusCode,
    receivedAt: new Date(r.createdAt).toISOString(),
    links: { package: `/v1/edxml/inbox/${r.id}`, ack: `/v1/edxml/inbox/${r.id}/ack` },
  }));
}

/** A partner's own inbox item and its package; anything else is not found. */
export async function ownInboxItem(db: Db, id: string, partnerId: string): Promise<{ delivery: DeliveryRow; row: PackageRow; envelope: string }> {
  const delivery = await getDelivery(db, id);
  const row = delivery && delivery.partnerId === partnerId && delivery.mode === 'inbox' ? await getPackage(db, delivery.packageId) : undefined;
  if (!delivery || !row?.envelope) throw new Problem('edxml-not-found', `No inbox item ${id} of yours`);
  return { delivery, row, envelope: row.envelope };
}

/** Acknowledging twice is harmless: the package was handed over once, and is logged once. */
export async function acknowledgeInboxItem(db: Db, id: string, partnerId: string): Promise<void> {
  const { delivery, envelope } = await ownInboxItem(db, id, partnerId);
  await db.transaction(async (tx) => {
    if (!(await acknowledge(tx, delivery.id, partnerId)) || delivery.acknowledgedAt) return;
    await appendLog(tx, { direction: 'out', partnerId, endpoint: `edxml-inbox:${delivery.organId}`, messageId: delivery.id, body: Buffer.from(envelope, 'utf8'), outcome: 'delivered' });
  });
}
