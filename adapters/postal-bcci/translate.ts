// The mapping between the canonical shipment model and VNPost's wire fields, and nowhere else
// (README.md shows it as tables).
import type { ShipmentRequest } from '../../schemas/shipment.js';
import type { IncomingReport, OrderRequest } from '../../src/postal/operator.js';
import { epochEventTimeToRfc3339, eventTimeToRfc3339 } from './dates.js';
import { canonicalStatus } from './statuses.js';
import type { NgspRhDoc, VnpostEvent, VnpostOrder, VnpostVariant } from './wire.js';

export interface OrderContext {
  customerCode: string;
  variant: VnpostVariant;
  /** lgsp only, and required there: the pre-allocated postal item code. */
  itemCode?: string;
}

/** FlagConfig (lgsp variant): which public postal service the order is for. Our choice, see README.md. */
export const FLAG_CONFIG = { pickup: '1', delivery: '2' } as const;

/** How Description starts: the operator's staff read it (the simulator, on its own, tells the kind from it in the direct variant). */
export const DESCRIPTION_PREFIX = { pickup: 'Thu gom hồ sơ', delivery: 'Chuyển trả kết quả' } as const;

type Address = ShipmentRequest['sender']['address'];

export function toVnpostOrder(request: OrderRequest, ctx: OrderContext): VnpostOrder {
  const { sender, receiver } = request;
  const order: VnpostOrder = {
    CustomerCode: ctx.customerCode,
    OrderNumber: request.orderNumber ?? request.dossierCode,
    CODAmount: request.cod ?? 0,
    SenderName: sender.name,
    SenderAddress: addressText(sender.address),
    SenderTel: sender.phone,
    SenderEmail: sender.email ?? '',
    SenderProvince: Number(sender.address.provinceCode),
    ...(sender.address.districtCode ? { SenderDistrict: Number(sender.address.districtCode) } : {}),
    SenderDesc: request.note ?? '',
    ReceiverName: receiver.name,
    ReceiverAddress: addressText(receiver.address),
    ReceiverTel: receiver.phone,
    ReceiverEmail: receiver.email ?? '',
    ReceiverProvince: Number(receiver.address.provinceCode),
    ...(receiver.address.districtCode ? { ReceiverDistrict: Number(receiver.address.districtCode) } : {}),
    Description: `${DESCRIPTION_PREFIX[request.kind]} ${request.dossierCode}: ${request.procedure.name} (${request.procedure.code})`,
  };
  if (ctx.variant === 'lgsp') {
    if (!ctx.itemCode) throw new TypeError('the lgsp variant needs a pre-allocated item code');
    order.ItemCode = ctx.itemCode;
    order.FlagConfig = FLAG_CONFIG[request.kind];
  }
  return order;
}

/**
 * The API has no commune field, and since the 2025 reform most addresses have no district: the
 * commune code goes into the address text, where the operator's address matching and the postman
 * both see it, for sender and receiver alike (the receiver has no Desc field).
 */
export function addressText(address: Address): string {
  return `${address.line} (mã xã ${address.communeCode})`;
}

/** A canonical report of an operator event, or undefined when its status code or time cannot be read. */
export function fromVnpostEvent(event: VnpostEvent): IncomingReport | undefined {
  const operatorCode = String(event.StatusCode ?? '').trim();
  const status = canonicalStatus(operatorCode);
  const at =
    typeof event.EventTime === 'string' ? eventTimeToRfc3339(event.EventTime) : typeof event.EventTime === 'number' ? epochEventTimeToRfc3339(event.EventTime) : undefined;
  if (!status || !at) return undefined;
  const report: IncomingReport = { status, operatorCode, at };
  const message = clean(event.StatusMessage, 500);
  if (message) report.message = message;
  const postOffice = clean(event.POSID, 50);
  if (postOffice) report.postOffice = postOffice;
  const note = clean(event.Notes, 500);
  if (note) report.note = note;
  const eventId = clean(event.Id, 64);
  if (eventId) report.eventId = eventId;
  const itemCode = clean(event.ItemCode, 64);
  if (itemCode) report.itemCode = itemCode;
  return report;
}

/** The event of an NGSP tracking record: its document id is the event id. */
export function fromRhDoc(doc: NgspRhDoc): VnpostEvent {
  const id = doc._id?.$oid;
  return {
    ...(typeof id === 'string' ? { Id: id } : {}),
    ...(doc.ItemCode !== undefined ? { ItemCode: doc.ItemCode } : {}),
    StatusCode: doc.StatusCode ?? '',
    ...(doc.StatusMessage !== undefined ? { StatusMessage: doc.StatusMessage } : {}),
    EventTime: doc.EventTime ?? '',
    ...(doc.POSID !== undefined ? { POSID: doc.POSID } : {}),
    ...(doc.Notes !== undefined ? { Notes: doc.Notes } : {}),
  };
}

/** Text of a wire value without control characters, cut to the canonical model's limit. */
function clean(value: unknown, max: number): string | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const text = String(value).replace(/[\p{Cc}\p{Cf}]+/gu, ' ').trim();
  return text === '' ? undefined : text.slice(0, max);
}
