// The postal operator as a delivery destination: an order message creates the order, a cancel
// message cancels it, one per call and in order per shipment. The shipment row follows the answer.
import type { VnpostClient } from './client.js';
import type { OutboundSigner } from '../../src/crypto/outbound-signer.js';
import { outboundTraceparent } from '../../src/observability/trace-context.js';
import type { ShipmentRow } from '../../src/postal/shipments.js';
import type { Db } from '../../src/store/db.js';
import type { OutboundMessage } from '../../src/store/messages.js';
import type { Destination, ItemOutcome } from '../../src/delivery/destination.js';

export class PostalDestination implements Destination {
  readonly maxBatch = 1;

  constructor(
    private readonly db: Db,
    private readonly client: VnpostClient,
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
    const [shipment] = await this.db.query<ShipmentRow>('SELECT * FROM shipments WHERE id = $1', [shipmentId]);
    if (!shipment) return { result: 'refused', error: 'the shipment no longer exists' };
    const call = { traceparent: outboundTraceparent(message.traceparent) };
    if (message.kind === 'postal-cancel') {
      const sent = Buffer.from(JSON.stringify({ orderNumber: shipment.order_number }));
      const answer = await this.client.cancelOrder(shipment.order_number, call);
      if (answer.kind === 'ok') await this.db.query(`UPDATE shipments SET order_state = 'cancelled', status = 'cancelled', updated_at = now() WHERE id = $1`, [shipmentId]);
      return { ...outcomeOf(answer), sentBody: sent, signature: this.signer.record(sent) };
    }
    if (shipment.order_state === 'cancelling' || shipment.order_state === 'cancelled') {
      return { result: 'delivered', note: 'cancelled before the order was sent' };
    }
    let itemCode = shipment.item_code ?? undefined;
    if (!itemCode && this.allocateItemCode) {
      itemCode = this.allocateItemCode();
      await this.db.query('UPDATE shipments SET item_code = $2 WHERE id = $1 AND item_code IS NULL', [shipmentId, itemCode]);
    }
    const created = await this.client.createOrder({ ...shipment.request, orderNumber: shipment.order_number, ...(itemCode ? { itemCode } : {}) }, call);
    // Order numbers are ours alone: "already exists" is our own earlier order whose answer was lost.
    const answer: typeof created = created.kind === 'refused' && created.code === ORDER_EXISTS ? { kind: 'ok' } : created;
    const sent = created.sent;
    if (answer.kind === 'ok') {
      await this.db.query(`UPDATE shipments SET order_state = 'created', item_code = COALESCE($2, item_code), updated_at = now() WHERE id = $1`, [shipmentId, answer.itemCode ?? null]);
    } else if (answer.kind === 'refused') {
      await this.db.query(`UPDATE shipments SET order_state = 'refused', order_error = $2, updated_at = now() WHERE id = $1`, [shipmentId, `${answer.code}: ${answer.message}`.slice(0, 300)]);
    }
    return { ...outcomeOf(answer), ...(sent ? { sentBody: sent, signature: this.signer.record(sent) } : {}) };
  }
}

const ORDER_EXISTS = '03';

function outcomeOf(answer: { kind: 'ok' } | { kind: 'refused'; code: string; message: string } | { kind: 'unavailable'; reason: string }): ItemOutcome {
  if (answer.kind === 'ok') return { result: 'delivered' };
  if (answer.kind === 'refused') return { result: 'refused', error: `postal operator refused (${answer.code}): ${answer.message}`.slice(0, 300) };
  return { result: 'retry', error: `postal operator unavailable: ${answer.reason}` };
}
