// The VNPost destination on its own, through the postal wing's two ports: what it asks the operator
// for each outbound message, and what it records about the order from the answer.
import { describe, expect, it } from 'vitest';
import { PostalDestination } from '../../adapters/postal-bcci/index.js';
import type { ShipmentRequest } from '../../schemas/shipment.js';
import type { OutboundSigner } from '../../src/crypto/outbound-signer.js';
import type { CreateAnswer, OrderAnswer, OrderRequest, PostalOperator, ShipmentOrder, ShipmentOrders } from '../../src/postal/operator.js';
import type { OutboundMessage } from '../../src/store/messages.js';

/** The destination hands the request to the operator as it is; the operator here does not read it. */
const request = { kind: 'pickup', dossierCode: 'H46.22-250801-0001' } as ShipmentRequest;

/** The shipment rows in memory; each change is written down in the order it was made. */
function ordersWith(order: ShipmentOrder | undefined) {
  const changes: unknown[][] = [];
  const orders: ShipmentOrders = {
    find: async () => order,
    keepItemCode: async (id, itemCode) => void changes.push(['keepItemCode', id, itemCode]),
    created: async (id, itemCode) => void changes.push(['created', id, itemCode]),
    refused: async (id, error) => void changes.push(['refused', id, error]),
    cancelled: async (id) => void changes.push(['cancelled', id]),
  };
  return { orders, changes };
}

/** An operator that answers as told and writes down each call. */
function operatorAnswering(create: CreateAnswer, cancel: OrderAnswer = { kind: 'ok' }) {
  const calls: unknown[][] = [];
  const operator: PostalOperator = {
    createOrder: async (order: OrderRequest) => (calls.push(['createOrder', order.orderNumber, order.itemCode]), create),
    cancelOrder: async (orderNumber) => (calls.push(['cancelOrder', orderNumber]), cancel),
    track: async () => ({ kind: 'unavailable', reason: 'not asked here' }),
    close: async () => undefined,
  };
  return { operator, calls };
}

const signer = { record: () => ({ kind: 'jws' }) } as unknown as OutboundSigner;
const message = (kind: string) => ({ id: 'm1', kind, payload: { shipmentId: 's1' } }) as unknown as OutboundMessage;
const pending: ShipmentOrder = { orderNumber: 'H46.22-250801-0001', orderState: 'pending', itemCode: undefined, request };

async function deliver(destination: PostalDestination, kind: string) {
  return (await destination.deliver([message(kind)])).get('m1');
}

describe('the VNPost destination, through the postal ports', () => {
  it('creates the order under its order number and records the item code the operator gave', async () => {
    const { orders, changes } = ordersWith(pending);
    const { operator, calls } = operatorAnswering({ kind: 'ok', itemCode: 'EL123456785VN', sent: Buffer.from('{}') });
    const outcome = await deliver(new PostalDestination(orders, operator, signer), 'postal-create');
    expect(outcome).toMatchObject({ result: 'delivered', sentBody: Buffer.from('{}') });
    expect(calls).toEqual([['createOrder', 'H46.22-250801-0001', undefined]]);
    expect(changes).toEqual([['created', 's1', 'EL123456785VN']]);
  });

  it('takes "order exists" as its own earlier order whose answer was lost', async () => {
    const { orders, changes } = ordersWith(pending);
    const { operator } = operatorAnswering({ kind: 'refused', code: '03', message: 'exists' });
    expect(await deliver(new PostalDestination(orders, operator, signer), 'postal-create')).toEqual({ result: 'delivered' });
    expect(changes).toEqual([['created', 's1', undefined]]);
  });

  it('records any other refusal on the shipment and refuses the message', async () => {
    const { orders, changes } = ordersWith(pending);
    const { operator } = operatorAnswering({ kind: 'refused', code: '01', message: 'SenderTel empty' });
    expect(await deliver(new PostalDestination(orders, operator, signer), 'postal-create')).toEqual({ result: 'refused', error: 'postal operator refused (01): SenderTel empty' });
    expect(changes).toEqual([['refused', 's1', '01: SenderTel empty']]);
  });

  it('leaves the shipment alone and retries when the operator is unavailable', async () => {
    const { orders, changes } = ordersWith(pending);
    const { operator } = operatorAnswering({ kind: 'unavailable', reason: 'HTTP 503' });
    expect(await deliver(new PostalDestination(orders, operator, signer), 'postal-create')).toEqual({ result: 'retry', error: 'postal operator unavailable: HTTP 503' });
    expect(changes).toEqual([]);
  });

  it('keeps a pre-allocated item code on the shipment before the order goes out, and reuses a kept one', async () => {
    const fresh = ordersWith(pending);
    const first = operatorAnswering({ kind: 'unavailable', reason: 'timeout' });
    await deliver(new PostalDestination(fresh.orders, first.operator, signer, () => 'EL000000010VN'), 'postal-create');
    expect(fresh.changes).toEqual([['keepItemCode', 's1', 'EL000000010VN']]);
    expect(first.calls).toEqual([['createOrder', 'H46.22-250801-0001', 'EL000000010VN']]);

    const kept = ordersWith({ ...pending, itemCode: 'EL000000010VN' });
    const again = operatorAnswering({ kind: 'ok' });
    await deliver(new PostalDestination(kept.orders, again.operator, signer, () => 'EL999999990VN'), 'postal-create');
    expect(again.calls).toEqual([['createOrder', 'H46.22-250801-0001', 'EL000000010VN']]);
    expect(kept.changes).toEqual([['created', 's1', undefined]]);
  });

  it('does not send an order that was cancelled before it went out', async () => {
    const { orders, changes } = ordersWith({ ...pending, orderState: 'cancelling' });
    const { operator, calls } = operatorAnswering({ kind: 'ok' });
    expect(await deliver(new PostalDestination(orders, operator, signer), 'postal-create')).toEqual({ result: 'delivered', note: 'cancelled before the order was sent' });
    expect(calls).toEqual([]);
    expect(changes).toEqual([]);
  });

  it('cancels at the operator and marks the shipment cancelled only when the operator agrees', async () => {
    const agreed = ordersWith({ ...pending, orderState: 'cancelling' });
    const yes = operatorAnswering({ kind: 'ok' }, { kind: 'ok' });
    expect(await deliver(new PostalDestination(agreed.orders, yes.operator, signer), 'postal-cancel')).toMatchObject({ result: 'delivered' });
    expect(yes.calls).toEqual([['cancelOrder', 'H46.22-250801-0001']]);
    expect(agreed.changes).toEqual([['cancelled', 's1']]);

    const collected = ordersWith({ ...pending, orderState: 'cancelling' });
    const no = operatorAnswering({ kind: 'ok' }, { kind: 'refused', code: '05', message: 'already collected' });
    expect(await deliver(new PostalDestination(collected.orders, no.operator, signer), 'postal-cancel')).toMatchObject({ result: 'refused' });
    expect(collected.changes).toEqual([]);
  });

  it('refuses a message whose shipment no longer exists', async () => {
    const { orders } = ordersWith(undefined);
    const { operator, calls } = operatorAnswering({ kind: 'ok' });
    expect(await deliver(new PostalDestination(orders, operator, signer), 'postal-create')).toEqual({ result: 'refused', error: 'the shipment no longer exists' });
    expect(calls).toEqual([]);
  });
});
