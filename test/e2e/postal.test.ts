// The postal path end to end: a one-stop system requests a pickup and a delivery; the gateway orders
// them from the operator (the VNPost simulator), learns their progress by polling and by signed
// pushes, with duplicate and out-of-order events switched on, and the one-stop webhook receives each
// status once and in order. Then every refusal of the callback, each saying what was tried.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostalSimulator, type PostalSimulator } from '../../adapters/postal-bcci/index.js';
import type { ShipmentRequest } from '../../schemas/shipment.js';
import { JWS_HEADER, signDetachedJws } from '../../src/crypto/jws.js';
import { SHIPMENT_TRANSITIONS } from '../../src/postal/transitions.js';
import { sampleDossier } from '../support/dossiers.js';
import { KEYS, eventually, startTestGateway, type TestGateway } from '../support/gateway.js';
import { testPki, type TestPki } from '../support/pki.js';

const CONSUMER = { key: 'test-consumer', secret: 'test-consumer-secret' };

function shipment(kind: 'pickup' | 'delivery', dossierCode: string): ShipmentRequest {
  const citizen = {
    name: 'Nguyễn Thị Lan',
    phone: '0912345678',
    email: 'lan.nguyen@example.vn',
    address: { line: 'Số 12 ngõ 34 phố Kim Mã', provinceCode: '01', communeCode: '00004' },
  };
  const agency = { name: 'Bộ phận Một cửa UBND phường Ba Đình', phone: '02438234567', address: { line: '25 Liễu Giai', provinceCode: '01', communeCode: '00004' } };
  return {
    kind,
    dossierCode,
    sender: kind === 'pickup' ? citizen : agency,
    receiver: kind === 'pickup' ? agency : citizen,
    procedure: { code: '1.001193', name: 'Cấp bản sao trích lục hộ tịch' },
    ...(kind === 'delivery' ? { cod: 50_000 } : {}),
    note: 'Gọi trước khi đến',
  };
}

describe('postal shipments through the VNPost simulator', () => {
  let pki: TestPki;
  let sim: PostalSimulator;
  let gw: TestGateway;
  let receiver: Server;
  const webhooks: { type: string; shipmentId?: string; status?: string }[] = [];

  beforeAll(async () => {
    pki = await testPki();
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        webhooks.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    sim = await startPostalSimulator({ consumers: [CONSUMER], customerCode: 'HNI' });
    gw = await startTestGateway({
      engine: 'pglite',
      webhookUrl: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`,
      env: {
        POSTAL_URL: sim.url,
        POSTAL_TOKEN_URL: sim.tokenUrl,
        POSTAL_CONSUMER_KEY: CONSUMER.key,
        POSTAL_CONSUMER_SECRET: CONSUMER.secret,
        POSTAL_CUSTOMER_CODE: 'HNI',
        // The pushes below carry fixed EventTimes: keep them inside the replay window for good.
        CALLBACK_WINDOW_SECONDS: String(10 * 365 * 86_400),
        POSTAL_POLL_INTERVAL_MS: '300',
      },
    });
    // The operator pushes to the gateway with its own API key and its own certificate.
    sim.setPush({ url: `${gw.url}/v1/postal/callbacks`, sign: (body) => signDetachedJws(body, pki.partners.postal.signer), headers: { 'x-api-key': KEYS.postal } });
    // Shipments are ordered only for existing dossiers of the caller's agencies (docs/security.md).
    for (const code of ['POSTAL-P-1', 'POSTAL-D-1', 'POSTAL-C-1', 'POSTAL-I-1', 'POSTAL-R-1']) {
      expect((await gw.call('POST', '/v1/dossiers', { key: KEYS.oneStop, body: sampleDossier(code) })).status).toBe(202);
    }
  });
  afterAll(async () => {
    await gw?.close();
    await sim?.close();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  const view = async (id: string) => (await gw.call('GET', `/v1/postal/shipments/${id}`, { key: KEYS.oneStop })).body;
  const statusesSent = (id: string) => webhooks.filter((w) => w.type === 'shipment.status' && w.shipmentId === id).map((w) => w.status!);

  /** Each status forwarded once, each step one the transition table allows. */
  function expectOnceAndInOrder(statuses: string[], last: string): void {
    expect(new Set(statuses).size).toBe(statuses.length);
    let current = 'none';
    for (const status of statuses) {
      expect(SHIPMENT_TRANSITIONS[current as keyof typeof SHIPMENT_TRANSITIONS]).toContain(status);
      current = status;
    }
    expect(current).toBe(last);
  }

  async function runLife(kind: 'pickup' | 'delivery', dossierCode: string): Promise<string> {
    const created = await gw.call('POST', '/v1/postal/shipments', { key: KEYS.oneStop, body: shipment(kind, dossierCode) });
    expect(created.status, JSON.stringify(created.body)).toBe(202);
    const id = created.body.id as string;
    await eventually(async () => (await view(id)).orderState === 'created', `${kind} ordered at the operator`);
    const orderNumber = (await view(id)).orderNumber as string;
    expect(sim.orders.get(orderNumber)?.order.CustomerCode).toBe('HNI');
    for (let step = 0; step < 6 && (await view(id)).status !== 'delivered'; step++) {
      await sim.advance(orderNumber);
      await new Promise((r) => setTimeout(r, 400)); // a poll between steps, too
    }
    await eventually(async () => statusesSent(id).at(-1) === 'delivered', `${kind} delivered, webhook told`);
    return id;
  }

  it('runs a pickup through its whole life with duplicate and out-of-order events; the webhook hears each status once, in order', async () => {
    sim.faults.set({ duplicateEvents: true, outOfOrderEvents: true });
    const id = await runLife('pickup', 'POSTAL-P-1');
    expectOnceAndInOrder(statusesSent(id), 'delivered');
    const trail = (await view(id)).reports as { disposition: string; source: string }[];
    expect(trail.length).toBeGreaterThanOrEqual(statusesSent(id).length);
    // Learned both ways: the operator pushed, and the gateway polled the same order meanwhile; what
    // a poll saw again after a push is a duplicate and stays out of the trail.
    expect(trail.some((r) => r.source === 'push')).toBe(true);
    expect(sim.calls.some((c) => c.method === 'GET' && c.orderNumber === 'POSTAL-P-1')).toBe(true);
    expect((await view(id)).itemCode).toMatch(/\S+/);
  });

  it('runs a result delivery (with COD) the same way, its order number apart from the pickup of the same dossier', async () => {
    const pickup = await gw.call('POST', '/v1/postal/shipments', { key: KEYS.oneStop, body: shipment('pickup', 'POSTAL-D-1') });
    expect(pickup.status).toBe(202);
    const id = await runLife('delivery', 'POSTAL-D-1');
    expectOnceAndInOrder(statusesSent(id), 'delivered');
    expect((await view(id)).orderNumber).toBe('POSTAL-D-1-KQ');
    expect(sim.orders.get('POSTAL-D-1-KQ')?.order.CODAmount).toBe(50_000);
    sim.faults.clear();
  });

  it('moves the dossier to RETURNED when its delivered result shipment asked for it, and tells the national portal', async () => {
    expect((await gw.call('POST', '/v1/dossiers', { key: KEYS.oneStop, body: sampleDossier('POSTAL-RET-1', { status: 'COMPLETED' }) })).status).toBe(202);
    const created = await gw.call('POST', '/v1/postal/shipments', { key: KEYS.oneStop, body: { ...shipment('delivery', 'POSTAL-RET-1'), returnDossierOnDelivery: true } });
    expect(created.status).toBe(202);
    const id = created.body.id as string;
    await eventually(async () => (await view(id)).orderState === 'created', 'ordered');
    for (let step = 0; step < 4; step++) await sim.advance('POSTAL-RET-1-KQ');
    await eventually(async () => (await gw.call('GET', '/v1/dossiers/POSTAL-RET-1', { key: KEYS.oneStop })).body.status === 'RETURNED', 'dossier RETURNED');
    await eventually(() => gw.sim.receivedOrder.includes('progress:POSTAL-RET-1:10'), 'RETURNED sent to the portal');
  });

  it('refuses returnDossierOnDelivery on a pickup', async () => {
    const refused = await gw.call('POST', '/v1/postal/shipments', { key: KEYS.oneStop, body: { ...shipment('pickup', 'POSTAL-RET-2'), returnDossierOnDelivery: true } });
    expect(refused.status).toBe(400);
  });

  it('signs every call to the operator and records each order with its signature for the auditors', async () => {
    expect(sim.calls.filter((c) => c.path.includes('/order')).every((c) => typeof c.signature.header === 'string')).toBe(true);
    const [record] = await gw.gateway.db.query<{ signature: string | null }>(
      `SELECT signature FROM message_log WHERE dossier_code = 'POSTAL-P-1' AND direction = 'out' AND endpoint = 'postal:order' AND outcome = 'delivered'`,
    );
    expect(record?.signature).toMatch(/^[\w-]+\.\.[\w-]+$/);
  });

  it('cancels a shipment at the operator, and refuses to cancel it twice', async () => {
    const created = await gw.call('POST', '/v1/postal/shipments', { key: KEYS.oneStop, body: shipment('pickup', 'POSTAL-C-1') });
    const id = created.body.id as string;
    await eventually(async () => (await view(id)).orderState === 'created', 'ordered');
    expect((await gw.call('POST', `/v1/postal/shipments/${id}/cancel`, { key: KEYS.oneStop })).status).toBe(202);
    await eventually(async () => (await view(id)).orderState === 'cancelled', 'cancelled at the operator');
    const again = await gw.call('POST', `/v1/postal/shipments/${id}/cancel`, { key: KEYS.oneStop });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('shipment-not-cancellable');
  });

  it("keeps one partner's shipments from another", async () => {
    const created = await gw.call('POST', '/v1/postal/shipments', { key: KEYS.oneStop, body: shipment('pickup', 'POSTAL-I-1') });
    const other = await gw.call('GET', `/v1/postal/shipments/${created.body.id}`, { key: KEYS.otherOneStop });
    expect(other.status).toBe(404);
    expect(other.body.code).toBe('shipment-not-found');
  });

  describe('callback refusals', () => {
    const push = (order: string, events: unknown[], options: { signer?: 'postal' | 'hanoi' | 'none'; tamper?: boolean; raw?: string } = {}) => {
      const body = Buffer.from(options.raw ?? JSON.stringify({ OrderNumber: order, Events: events }));
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      const signer = options.signer ?? 'postal';
      if (signer !== 'none') {
        const credential = signer === 'postal' ? pki.partners.postal : pki.partners['hanoi-one-stop'];
        headers[JWS_HEADER] = signDetachedJws(options.tamper ? Buffer.from(`${body.toString()} `) : body, credential.signer);
      }
      return gw.call('POST', '/v1/postal/callbacks', { key: KEYS.postal, raw: body, headers });
    };
    const event = (id: string, code: string, time: string) => ({ Id: id, ItemCode: 'EL000000001VN', StatusCode: code, StatusMessage: 'test', EventTime: time, POSID: '100000', Notes: null });

    /** What the pushes did; the gateway keeps polling the simulator for this shipment meanwhile. */
    const pushed = (shipmentView: { reports: { source: string; disposition: string }[] }) => shipmentView.reports.filter((r) => r.source === 'push');
    let shipmentId: string;
    beforeAll(async () => {
      // From here the test plays the operator's pushes itself; the simulator's own would mix in.
      sim.setPush(undefined);
      const created = await gw.call('POST', '/v1/postal/shipments', { key: KEYS.oneStop, body: shipment('pickup', 'POSTAL-R-1') });
      shipmentId = created.body.id;
      await eventually(async () => (await view(shipmentId)).orderState === 'created', 'ordered');
    });

    it('refuses an unsigned push: signature-missing, nothing applied', async () => {
      const response = await push('POSTAL-R-1', [event('r-1', '200', '23/11/2026 08:00:00')], { signer: 'none' });
      expect(response.status).toBe(401);
      expect(response.body.code).toBe('signature-missing');
      expect(pushed(await view(shipmentId))).toHaveLength(0);
    });

    it('refuses a push signed over other bytes (signature-invalid) and one signed with another partner key (certificate-untrusted)', async () => {
      expect((await push('POSTAL-R-1', [event('r-1', '200', '23/11/2026 08:00:00')], { tamper: true })).body.code).toBe('signature-invalid');
      expect((await push('POSTAL-R-1', [event('r-1', '200', '23/11/2026 08:00:00')], { signer: 'hanoi' })).body.code).toBe('certificate-untrusted');
      expect(pushed(await view(shipmentId))).toHaveLength(0);
    });

    it('answers 404 for a report about an unknown shipment', async () => {
      const response = await push('NO-SUCH-ORDER', [event('x-1', '200', '23/11/2026 08:00:00')]);
      expect(response.status).toBe(404);
      expect(response.body.code).toBe('shipment-not-found');
    });

    it('refuses a malformed body and an unknown status code with 400', async () => {
      expect((await push('POSTAL-R-1', [], { raw: '{"OrderNumber": "POSTAL-R-1", "Events": "nope"}' })).status).toBe(400);
      expect((await push('POSTAL-R-1', [event('r-9', '999', '23/11/2026 08:00:00')])).status).toBe(400);
      expect(pushed(await view(shipmentId))).toHaveLength(0);
    });

    it('applies a duplicate report once and acknowledges it every time', async () => {
      const first = await push('POSTAL-R-1', [event('r-2', '200', '23/11/2026 08:00:00')]);
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({ received: 1, applied: 1, duplicate: 0 });
      const again = await push('POSTAL-R-1', [event('r-2', '200', '23/11/2026 08:00:00')]);
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ received: 1, applied: 0, duplicate: 1 });
      expect(pushed(await view(shipmentId))).toHaveLength(1);
    });

    it('keeps a late report as stale and flags one that contradicts the shipment, acknowledging both', async () => {
      expect((await push('POSTAL-R-1', [event('r-3', '201', '23/11/2026 10:00:00')])).body).toMatchObject({ applied: 1 });
      const late = await push('POSTAL-R-1', [event('r-4', '200', '23/11/2026 09:00:00')]);
      expect(late.body).toMatchObject({ stale: 1, applied: 0 });
      // Cancelled after the papers were picked up: not a step the table allows, and not behind it.
      const contradicting = await push('POSTAL-R-1', [event('r-5', '102', '23/11/2026 11:00:00')]);
      expect(contradicting.status).toBe(200);
      expect(contradicting.body).toMatchObject({ contradicting: 1, applied: 0 });
      const shipmentNow = await view(shipmentId);
      expect(shipmentNow.status).toBe('picked_up');
      expect(pushed(shipmentNow).map((r) => r.disposition)).toEqual(['applied', 'stale', 'applied', 'contradicting']);
    });
  });
});
