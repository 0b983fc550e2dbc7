// What the postal wing asks of a postal operator (the VNPost order API, adapters/postal-bcci/), in
// canonical terms: create an order, cancel it, track it. The operator's own codes and field names
// stay in its adapter, as a payment provider's do (src/payments/provider.ts). Also here: what the
// operator's delivery destination records about an order in the wing's store (ShipmentOrders).
import type { ShipmentReport, ShipmentRequest } from '../../schemas/shipment.js';

/**
 * A shipment request, with the order number the gateway gave it (the dossier code when absent) and,
 * where the operator needs one (VNPost's lgsp variant), the item code already allocated to it by an
 * earlier attempt.
 */
export type OrderRequest = ShipmentRequest & { orderNumber?: string; itemCode?: string };

/** A status report with the operator's ids: the event id deduplicates, the item code names the parcel. */
export interface IncomingReport extends ShipmentReport {
  /** The operator's id of the event, when it has one; otherwise its content identifies it. */
  eventId?: string | undefined;
  itemCode?: string | undefined;
}

/** Per call: the W3C traceparent of the work the call belongs to, sent on each of its requests. */
export interface CallOptions {
  traceparent?: string;
}

export type OrderAnswer =
  | { kind: 'ok'; itemCode?: string }
  | { kind: 'refused'; code: string; message: string }
  | { kind: 'unavailable'; reason: string };

/** `sent`: the exact order body, once it went out at least once, for the message log. */
export type CreateAnswer = OrderAnswer & { sent?: Buffer };

export type TrackAnswer =
  | {
      kind: 'ok';
      itemCode?: string;
      /** In the operator's order; duplicates are left for the caller, which keys them by eventId. */
      events: IncomingReport[];
      /** Events whose status code is not in the table or whose time cannot be read. */
      ignored: number;
    }
  | { kind: 'unavailable'; reason: string };

/** Never throws for what the operator or the network does: it answers with a kind. */
export interface PostalOperator {
  createOrder(request: OrderRequest, call?: CallOptions): Promise<CreateAnswer>;
  cancelOrder(orderNumber: string, call?: CallOptions): Promise<OrderAnswer>;
  track(orderNumber: string, call?: CallOptions): Promise<TrackAnswer>;
  close(): Promise<void>;
}

export type OrderState = 'pending' | 'created' | 'refused' | 'cancelling' | 'cancelled';

/** The order side of a shipment, as the operator's delivery destination reads it. */
export interface ShipmentOrder {
  orderNumber: string;
  orderState: OrderState;
  itemCode: string | undefined;
  request: ShipmentRequest;
}

/** The shipment rows the operator's delivery destination reads and moves with the operator's answers. */
export interface ShipmentOrders {
  find(shipmentId: string): Promise<ShipmentOrder | undefined>;
  /** Keeps an item code allocated before the order is sent, unless the shipment already has one. */
  keepItemCode(shipmentId: string, itemCode: string): Promise<void>;
  /** The operator took the order; its item code, when it gave one, replaces ours. */
  created(shipmentId: string, itemCode: string | undefined): Promise<void>;
  refused(shipmentId: string, error: string): Promise<void>;
  cancelled(shipmentId: string): Promise<void>;
}
