// Applying the operator's status reports, however they arrive (poll or push, duplicated, out of
// order): each report is kept once in the shipment's trail; the ones the transition table allows move
// the shipment and are forwarded to the one-stop system's webhook, in order, through the queue.
import { createHash } from 'node:crypto';
import type { ShipmentReport, ShipmentStatus } from '../../schemas/shipment.js';
import { appendLog, type LogRecord } from '../audit/message-log.js';
import { queuePartnerNotification } from '../delivery/partner-notification.js';
import type { PartnerRegistry } from '../partners/registry.js';
import type { Db, Queryable } from '../store/db.js';
import type { Lane } from '../store/messages.js';
import type { IncomingReport } from './operator.js';
import type { ShipmentRow } from './shipments.js';
import { dispositionOf, type Disposition } from './transitions.js';

export interface ApplyResult {
  shipment: ShipmentRow;
  counts: Record<Disposition | 'duplicate', number>;
  /** Webhook messages to enqueue once the transaction has committed. */
  enqueue: { id: string; lane: Lane }[];
  /** When a delivered report was applied: its time. */
  deliveredAt?: string;
}

export function eventKey(report: IncomingReport): string {
  if (report.eventId) return `id:${report.eventId}`;
  return `sha:${createHash('sha256').update(`${report.operatorCode}|${report.status}|${Date.parse(report.at)}`).digest('hex').slice(0, 32)}`;
}

/** Applies the reports of one shipment, found by its operator order number, in one transaction. */
export async function applyReports(
  db: Db,
  registry: PartnerRegistry,
  orderNumber: string,
  reports: readonly IncomingReport[],
  source: 'poll' | 'push',
  log: LogRecord | undefined,
): Promise<ApplyResult | undefined> {
  return db.transaction(async (tx) => {
    const [shipment] = await tx.query<ShipmentRow>('SELECT * FROM shipments WHERE order_number = $1 FOR UPDATE', [orderNumber]);
    if (!shipment) return undefined;
    const counts = { applied: 0, stale: 0, contradicting: 0, duplicate: 0 };
    const enqueue: { id: string; lane: Lane }[] = [];
    let deliveredAt: string | undefined;
    let current = shipment.status;
    // Within one delivery, order is restored by the operator's event time.
    const ordered = [...reports].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
    for (const report of ordered) {
      const disposition = dispositionOf(current, report.status);
      const inserted = await tx.query(
        `INSERT INTO shipment_events (shipment_id, event_key, status, operator_code, at, report, disposition, source)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (shipment_id, event_key) DO NOTHING RETURNING 1`,
        [shipment.id, eventKey(report), report.status, report.operatorCode, report.at, JSON.stringify(stripIds(report)), disposition, source],
      );
      if (inserted.length === 0) {
        counts.duplicate += 1;
        continue;
      }
      counts[disposition] += 1;
      if (disposition !== 'applied') continue;
      current = report.status;
      if (report.status === 'delivered') deliveredAt = report.at;
      const notification = await notify(tx, registry, shipment, report);
      if (notification) enqueue.push(notification);
    }
    // A push is a message from a partner and is always recorded; a poll only when it taught something.
    if (log && (source === 'push' || counts.applied + counts.stale + counts.contradicting > 0)) {
      await appendLog(tx, { ...log, dossierCode: shipment.dossier_code });
    }
    const itemCode = reports.find((r) => r.itemCode)?.itemCode;
    if (current !== shipment.status || (itemCode && !shipment.item_code)) {
      await tx.query('UPDATE shipments SET status = $2, item_code = COALESCE(item_code, $3), updated_at = now() WHERE id = $1', [shipment.id, current, itemCode ?? null]);
    }
    return { shipment: { ...shipment, status: current as ShipmentStatus | null }, counts, enqueue, ...(deliveredAt ? { deliveredAt } : {}) };
  });
}

function stripIds(report: IncomingReport): ShipmentReport {
  const { eventId: _eventId, itemCode: _itemCode, ...rest } = report;
  return rest;
}

function notify(tx: Queryable, registry: PartnerRegistry, shipment: ShipmentRow, report: IncomingReport) {
  return queuePartnerNotification(tx, registry, {
    partnerId: shipment.partner_id,
    kind: 'shipment-status',
    dossierCode: shipment.dossier_code,
    // The same line as the shipment's other notifications: the one-stop system sees them in order.
    line: `shipment:${shipment.id}`,
    lane: 'live',
    payload: {
      type: 'shipment.status',
      shipmentId: shipment.id,
      kind: shipment.kind,
      dossierCode: shipment.dossier_code,
      status: report.status,
      operatorCode: report.operatorCode,
      at: report.at,
      ...(report.message ? { message: report.message } : {}),
    },
  });
}
