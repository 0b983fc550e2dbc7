// Shipments requested by one-stop systems: stored with the outbound order message and its log record
// in one transaction (as dossiers are), cancelled through the same ordered line, read back with the
// trail of every report the operator made.
import { randomUUID } from 'node:crypto';
import type { ShipmentRequest, ShipmentStatus } from '../../schemas/shipment.js';
import { appendLog } from '../audit/message-log.js';
import type { SignatureRecord } from '../crypto/partner-signature.js';
import { Problem } from '../core/problems.js';
import { mayActOn, partiesOf } from '../partners/ownership.js';
import type { Partner, PartnerRegistry } from '../partners/registry.js';
import type { Db, Queryable } from '../store/db.js';
import { insertMessage, type Lane } from '../store/messages.js';
import type { OrderState } from './operator.js';
import { TERMINAL_STATUSES } from './transitions.js';
import { POSTAL } from '../delivery/destination-names.js';

export interface ShipmentRow {
  id: string;
  partner_id: string;
  kind: 'pickup' | 'delivery';
  dossier_code: string;
  order_number: string;
  request: ShipmentRequest;
  order_state: OrderState;
  status: ShipmentStatus | null;
  item_code: string | null;
  order_error: string | null;
}

export interface WriteContext {
  partner: Partner;
  endpoint: string;
  rawBody: Buffer;
  signature?: SignatureRecord | undefined;
  traceparent?: string | undefined;
}

/**
 * The operator's OrderNumber: the dossier code, as provinces send it; a result delivery of the same
 * dossier gets a suffix, because an operator keeps one order per OrderNumber.
 */
export function orderNumberOf(request: Pick<ShipmentRequest, 'kind' | 'dossierCode'>): string {
  return request.kind === 'pickup' ? request.dossierCode : `${request.dossierCode}-KQ`;
}

export async function requestShipment(db: Db, registry: PartnerRegistry, ctx: WriteContext, request: ShipmentRequest): Promise<{ id: string; messageId: string }> {
  if (request.returnDossierOnDelivery && request.kind !== 'delivery') {
    throw new Problem('invalid-request', 'returnDossierOnDelivery applies to delivery shipments only');
  }
  const id = randomUUID();
  const orderNumber = orderNumberOf(request);
  return db.transaction(async (tx) => {
    // Only a dossier of the caller's agencies; any other is answered as one that does not exist.
    if (mayActOn(registry, ctx.partner, 'ship', await partiesOf(tx, request.dossierCode, { lock: true })) !== 'allowed') {
      throw new Problem('dossier-not-found', `No dossier ${request.dossierCode} among the agencies you act for`);
    }
    const [existing] = await tx.query<{ id: string; order_state: string }>('SELECT id, order_state FROM shipments WHERE order_number = $1 FOR UPDATE', [orderNumber]);
    if (existing && existing.order_state !== 'cancelled' && existing.order_state !== 'refused') {
      throw new Problem('shipment-exists', `A ${request.kind} shipment for dossier ${request.dossierCode} already exists`, { shipmentId: existing.id });
    }
    // A cancelled or refused order frees its number for a new request.
    if (existing) await tx.query(`UPDATE shipments SET order_number = order_number || '#' || id WHERE id = $1`, [existing.id]);
    await tx.query('INSERT INTO shipments (id, partner_id, kind, dossier_code, order_number, request) VALUES ($1, $2, $3, $4, $5, $6)', [
      id,
      ctx.partner.id,
      request.kind,
      request.dossierCode,
      orderNumber,
      JSON.stringify(request),
    ]);
    const messageId = await orderMessage(tx, ctx, id, request.dossierCode, 'postal-create', { shipmentId: id });
    return { id, messageId };
  });
}

export async function requestCancel(db: Db, ctx: WriteContext, id: string): Promise<{ messageId: string }> {
  return db.transaction(async (tx) => {
    const shipment = await ownShipment(tx, ctx.partner, id, true);
    if (shipment.order_state === 'cancelled' || shipment.order_state === 'cancelling') {
      throw new Problem('shipment-not-cancellable', 'The shipment is already cancelled');
    }
    if (shipment.status && TERMINAL_STATUSES.includes(shipment.status)) {
      throw new Problem('shipment-not-cancellable', `The shipment is already ${shipment.status}`);
    }
    await tx.query(`UPDATE shipments SET order_state = 'cancelling', updated_at = now() WHERE id = $1`, [id]);
    return { messageId: await orderMessage(tx, ctx, id, shipment.dossier_code, 'postal-cancel', { shipmentId: id }) };
  });
}

async function orderMessage(tx: Queryable, ctx: WriteContext, shipmentId: string, dossierCode: string, kind: string, payload: unknown): Promise<string> {
  const messageId = randomUUID();
  const lane: Lane = 'live';
  await insertMessage(tx, {
    id: messageId,
    destination: POSTAL,
    kind,
    partnerId: ctx.partner.id,
    dossierCode,
    // One line per shipment: a cancel never overtakes the order it cancels.
    orderKey: `shipment:${shipmentId}`,
    lane,
    batchKey: `${POSTAL}|${messageId}`,
    payload,
    traceparent: ctx.traceparent,
  });
  await appendLog(tx, {
    direction: 'in',
    partnerId: ctx.partner.id,
    endpoint: ctx.endpoint,
    dossierCode,
    messageId,
    body: ctx.rawBody,
    outcome: 'accepted',
    signature: ctx.signature,
  });
  return messageId;
}

export async function ownShipment(q: Queryable, partner: Partner, id: string, forUpdate = false): Promise<ShipmentRow> {
  const [row] = await q.query<ShipmentRow>(`SELECT * FROM shipments WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [id]);
  if (!row || (row.partner_id !== partner.id && !partner.roles.has('admin'))) throw new Problem('shipment-not-found', `No shipment ${id} among yours`);
  return row;
}

export async function shipmentView(q: Queryable, partner: Partner, id: string): Promise<Record<string, unknown>> {
  const row = await ownShipment(q, partner, id);
  const trail = await q.query<{ status: string; operator_code: string; at: string; disposition: string; source: string; report: Record<string, unknown> }>(
    `SELECT status, operator_code, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS at, disposition, source, report
       FROM shipment_events WHERE shipment_id = $1 ORDER BY at, received_at`,
    [id],
  );
  return {
    id: row.id,
    kind: row.kind,
    dossierCode: row.dossier_code,
    orderNumber: row.order_number,
    orderState: row.order_state,
    status: row.status,
    itemCode: row.item_code,
    ...(row.order_error ? { orderError: row.order_error } : {}),
    reports: trail.map((t) => ({
      status: t.status,
      operatorCode: t.operator_code,
      at: t.at,
      disposition: t.disposition,
      source: t.source,
      ...(typeof t.report.message === 'string' ? { message: t.report.message } : {}),
      ...(typeof t.report.postOffice === 'string' ? { postOffice: t.report.postOffice } : {}),
    })),
  };
}
