// The postal operator as a delivery destination: an order message creates the order, a cancel
// message cancels it, one per call and in order per shipment. The shipment row follows the answer,
// through the postal wing's ShipmentOrders port (its SQL is in src/postal/store.ts).
import type { OutboundSigner } from '../../src/crypto/outbound-signer.js';
import { outboundTraceparent } from '../../src/observability/trace-context.js';
import type { OrderAnswer, PostalOperator, ShipmentOrders } from '../../src/postal/operator.js';
import type { OutboundMessage } from '../../src/store/messages.js';
import type { Destination, ItemOutcome } from '../../src/delivery/destination.js';

export class PostalDestination implements Destination {
  readonly maxBatch = 1;

  constructor(
    private readonly orders: ShipmentOrders,
    private readonly operator: PostalOperator,
    private readonly signer: OutboundSigner,
    /** The lgsp variant's pre-allocated item codes; one is kept per shipment, so a retried order reuses it. */
    private readonly allocateItemCode?: () => string,
  ) {}

  endpoint(message: OutboundMessage): string {
    return message.kind === 'postal-cancel' ? 'postal:cancel' : 'postal:order';
  }

  async deliver(messages: OutboundMessage[]): Promise<Map<string, ItemOutcome>> {
    const outcomes = new Map<string, ItemOutcome>();
    for (const message of messages) outcomes.set(message.id, await this.send(message));
    return outcomes;
  }

  private async send(message: OutboundMessage): Promise<ItemOutcome> {
    const { shipmentId } = message.payload as { shipmentId: string };
    const shipment = await this.orders.find(shipmentId);
    if (!shipment) return { result: 'refused', error: 'the shipment no longer exists' };
    const call = { traceparent: outboundTraceparent(message.traceparent) };
    if (message.kind === 'postal-cancel') {
      const sent = Buffer.from(JSON.stringify({ orderNumber: shipment.orderNumber }));
      const answer = await this.operator.cancelOrder(shipment.orderNumber, call);
      if (answer.kind === 'ok') await this.orders.cancelled(shipmentId);
      return { ...outcomeOf(answer), sentBody: sent, signature: this.signer.record(sent) };
    }
    if (shipment.orderState === 'cancelling' || shipment.orderState === 'cancelled') {
      return { result: 'delivered', note: 'cancelled before the order was sent' };
    }
    let itemCode = shipment.itemCode;
    if (!itemCode && this.allocateItemCode) {
      itemCode = this.allocateItemCode();
      await this.orders.keepItemCode(shipmentId, itemCode);
    }
    const created = await this.operator.createOrder({ ...shipment.request, orderNumber: shipment.orderNumber, ...(itemCode ? { itemCode } : {}) }, call);
    // Order numbers are ours alone: "already exists" is our own earlier order whose answer was lost.
    const answer: typeof created = created.kind === 'refused' && created.code === ORDER_EXISTS ? { kind: 'ok' } : created;
    const sent = created.sent;
    if (answer.kind === 'ok') await this.orders.created(shipmentId, answer.itemCode);
    else if (answer.kind === 'refused') await this.orders.refused(shipmentId, `${answer.code}: ${answer.message}`.slice(0, 300));
    return { ...outcomeOf(answer), ...(sent ? { sentBody: sent, signature: this.signer.record(sent) } : {}) };
  }
}

/** The `Status` of a create whose OrderNumber the operator already has (the simulator's convention, README.md). */
const ORDER_EXISTS = '03';

function outcomeOf(answer: OrderAnswer): ItemOutcome {
  if (answer.kind === 'ok') return { result: 'delivered' };
  if (answer.kind === 'refused') return { result: 'refused', error: `postal operator refused (${answer.code}): ${answer.message}`.slice(0, 300) };
  return { result: 'retry', error: `postal operator unavailable: ${answer.reason}` };
}
