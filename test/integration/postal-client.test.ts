// The VNPost client against the real simulator on a loopback port, and the simulator's pushes.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ShipmentRequest } from '../../schemas/shipment.js';
import { VnpostClient, type VnpostClientOptions } from '../../adapters/postal-bcci/client.js';
import { startPostalSimulator, type PostalSimulator } from '../../adapters/postal-bcci/simulator.js';
import { fromVnpostEvent } from '../../adapters/postal-bcci/translate.js';
import type { VnpostPush } from '../../adapters/postal-bcci/wire.js';
import { signDetachedJws, verifyDetachedJws } from '../../src/crypto/jws.js';
import { testPki, type TestPki } from '../support/pki.js';

const consumer = { key: 'lgsp-gateway', secret: 'consumer-secret-do-not-leak' };
const customerCode = 'HUE_BCCI';

const request: ShipmentRequest = {
  kind: 'pickup',
  dossierCode: 'H46.22-250801-0001',
  sender: { name: 'Nguyễn Văn An', phone: '0912345678', address: { line: '12 Lê Lợi', provinceCode: '46', communeCode: '19753' } },
  receiver: { name: 'Trung tâm Phục vụ hành chính công', phone: '02343822222', address: { line: '1 Lê Lai', provinceCode: '46', communeCode: '19753' } },
  procedure: { code: '1.001234', name: 'Cấp đổi giấy phép lái xe' },
};
const shipment = (code: string, kind: ShipmentRequest['kind'] = 'pickup'): ShipmentRequest => ({ ...request, kind, dossierCode: code });

let pki: TestPki;
let sim: PostalSimulator;
const clients: VnpostClient[] = [];

function client(over: Partial<VnpostClientOptions> = {}, on: PostalSimulator = sim): VnpostClient {
  const c = new VnpostClient({ baseUrl: on.url, tokenUrl: on.tokenUrl, consumerKey: consumer.key, consumerSecret: consumer.secret, customerCode, variant: 'direct', timeoutMs: 2_000, ...over });
  clients.push(c);
  return c;
}

const tokenRequests = (on: PostalSimulator = sim) => on.calls.filter((c) => c.path === '/token').length;
const orderCalls = (on: PostalSimulator = sim) => on.calls.filter((c) => c.path !== '/token');

beforeAll(async () => {
  pki = await testPki();
  sim = await startPostalSimulator({ consumers: [consumer], customerCode });
});
afterAll(async () => {
  await sim.close();
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  sim.faults.clear();
  sim.orders.clear();
  sim.calls.length = 0;
});

describe('VnpostClient, direct variant', () => {
  it('creates an order with a Bearer token and answers the allocated item code and the exact body sent', async () => {
    const answer = await client().createOrder({ ...shipment('C-1', 'delivery'), orderNumber: 'C-1-KQ' });
    expect(answer).toMatchObject({ kind: 'ok', itemCode: expect.stringMatching(/^EL\d{9}VN$/) });
    const kept = sim.orders.get('C-1-KQ');
    expect(kept?.kind).toBe('delivery');
    expect(kept?.itemCode).toBe(answer.kind === 'ok' ? answer.itemCode : undefined);
    const post = orderCalls().find((c) => c.path === '/api/order/post');
    expect(post).toMatchObject({ auth: 'bearer', answer: '00', orderNumber: 'C-1-KQ' });
    expect(answer.sent?.equals(post!.signature.body)).toBe(true);
    expect(JSON.parse(answer.sent!.toString('utf8'))).not.toHaveProperty('ItemCode');
  });

  it('keeps one token across calls and asks for a new one once 80% of a short lifetime has passed', async () => {
    const short = await startPostalSimulator({ consumers: [consumer], customerCode, tokenTtlSeconds: 1 });
    try {
      const c = client({}, short);
      expect((await c.createOrder(shipment('T-1'))).kind).toBe('ok');
      expect((await c.track('T-1')).kind).toBe('ok');
      expect(tokenRequests(short)).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 850)); // past 800 ms, before the 1 s expiry
      expect((await c.track('T-1')).kind).toBe('ok');
      expect(tokenRequests(short)).toBe(2);
      // Renewed before expiry: no call ever met a 401 (a tracking page carries no Status: http-200).
      expect(orderCalls(short).map((call) => call.answer)).toEqual(['00', 'http-200', 'http-200']);
    } finally {
      await short.close();
    }
  });

  it('shares one token request between five concurrent first calls', async () => {
    const c = client();
    const answers = await Promise.all(['S-1', 'S-2', 'S-3', 'S-4', 'S-5'].map((code) => c.createOrder(shipment(code))));
    expect(answers.map((a) => a.kind)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    expect(tokenRequests()).toBe(1);
  });

  it('after a 401 mid-way, gets a new token and sends the same order once more, which the operator keeps once', async () => {
    const c = client();
    await c.createOrder(shipment('R-1'));
    sim.faults.set({ rejectTokens: 1 });
    const answer = await c.createOrder(shipment('R-2'));
    expect(answer.kind).toBe('ok');
    expect(tokenRequests()).toBe(2);
    const posts = orderCalls().filter((call) => call.orderNumber === 'R-2');
    expect(posts.map((call) => call.answer)).toEqual(['http-401', '00']);
    expect(posts[0]!.signature.body.equals(posts[1]!.signature.body)).toBe(true);
    expect(sim.orders.get('R-2')?.events.length).toBe(1);
    expect([...sim.orders.keys()]).toEqual(['R-1', 'R-2']);
  });

  it('answers unavailable when even a freshly issued token meets a 401', async () => {
    sim.faults.set({ rejectTokens: 2 });
    expect(await client().track('none')).toEqual({ kind: 'unavailable', reason: 'the operator refused a freshly issued token (HTTP 401)' });
    expect(tokenRequests()).toBe(2);
  });

  it('answers unavailable, naming the HTTP status and not the secret, when the token endpoint refuses the credentials', async () => {
    const answer = await client({ consumerSecret: 'wrong-secret' }).createOrder(shipment('W-1'));
    expect(answer).toEqual({ kind: 'unavailable', reason: 'token refused (HTTP 401): Client Authentication failed.' });
    expect(sim.orders.size).toBe(0);
    expect('sent' in answer).toBe(false);
  });

  it('answers unavailable on HTTP 500 and succeeds on the next call', async () => {
    const c = client();
    sim.faults.set({ failNextCalls: 1 });
    const failed = await c.createOrder(shipment('F-1'));
    expect(failed).toMatchObject({ kind: 'unavailable', reason: 'HTTP 500' });
    expect(failed.sent).toBeInstanceOf(Buffer);
    expect((await c.createOrder(shipment('F-1'))).kind).toBe('ok');
  });

  it('answers unavailable with the timeout code when the operator answers too late', async () => {
    // undici checks its timeouts on a coarse (about one second) clock, hence the long delay.
    const c = client({ timeoutMs: 300 });
    await c.track('none'); // the token, before the delay
    sim.faults.set({ delayMs: 2_500 });
    expect(await c.cancelOrder('D-1')).toEqual({ kind: 'unavailable', reason: 'network error (UND_ERR_HEADERS_TIMEOUT)' });
    expect(await c.track('D-1')).toEqual({ kind: 'unavailable', reason: 'network error (UND_ERR_HEADERS_TIMEOUT)' });
  });

  it('answers refused with the operator Status for a wrong customer code, an existing order and invalid data', async () => {
    expect(await client({ customerCode: 'OTHER' }).createOrder(shipment('X-1'))).toMatchObject({ kind: 'refused', code: '02', message: 'Mã khách hàng không đúng' });
    const c = client();
    await c.createOrder(shipment('X-2'));
    expect(await c.createOrder(shipment('X-2'))).toMatchObject({ kind: 'refused', code: '03', message: 'Đơn hàng đã tồn tại: X-2' });
    const badProvince = { ...request, dossierCode: 'X-3', sender: { ...request.sender, address: { ...request.sender.address, provinceCode: 'x4' } } };
    expect(await c.createOrder(badProvince)).toMatchObject({ kind: 'refused', code: '01', message: 'Dữ liệu không hợp lệ: SenderProvince phải là số nguyên' });
  });

  it('cancels a registered order, accepts a repeated cancel, and refuses to cancel a collected one or an unknown one', async () => {
    const c = client();
    await c.createOrder(shipment('K-1'));
    expect(await c.cancelOrder('K-1')).toEqual({ kind: 'ok' });
    expect(await c.cancelOrder('K-1')).toEqual({ kind: 'ok' });
    expect(sim.orders.get('K-1')?.lastCode).toBe('102');
    await c.createOrder(shipment('K-2'));
    await sim.advance('K-2');
    await sim.advance('K-2');
    expect(await c.cancelOrder('K-2')).toEqual({ kind: 'refused', code: '05', message: 'Không thể hủy đơn hàng đã thu gom: K-2' });
    expect(await c.cancelOrder('K-9')).toEqual({ kind: 'refused', code: '04', message: 'Không tìm thấy đơn hàng: K-9' });
  });

  it('tracks a pickup through pages of two when it has five events, in order, as canonical reports', async () => {
    const c = client({ pageSize: 2 });
    await c.createOrder(shipment('P-1'));
    for (let i = 0; i < 4; i++) await sim.advance('P-1');
    const answer = await c.track('P-1', { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
    expect(answer.kind).toBe('ok');
    if (answer.kind !== 'ok') return;
    expect(answer.events.map((e) => `${e.operatorCode}:${e.status}`)).toEqual(['100:registered', '200:collecting', '201:picked_up', '301:in_transit', '400:delivered']);
    expect(answer.itemCode).toBe(sim.orders.get('P-1')?.itemCode);
    expect(answer.ignored).toBe(0);
    expect(answer.events.every((e) => e.at.endsWith('+07:00') && e.itemCode === answer.itemCode)).toBe(true);
    const gets = orderCalls().filter((call) => call.method === 'GET');
    expect(gets.length).toBe(3);
    expect(gets.every((call) => call.traceparent === '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01')).toBe(true);
  });

  it("finds no events for an order the operator's feed does not hold", async () => {
    expect(await client().track('U-1')).toEqual({ kind: 'ok', events: [], ignored: 0 });
  });

  it('signs every request it makes, the token request and the empty GET body included, with a verifying x-jws-signature', async () => {
    const c = client({ sign: (body) => signDetachedJws(body, pki.gateway.signer) });
    await c.createOrder(shipment('J-1'));
    await c.track('J-1');
    await c.cancelOrder('J-1');
    expect(sim.calls.map((call) => `${call.method} ${call.path}`)).toEqual(['POST /token', 'POST /api/order/post', 'GET /api/order', 'POST /api/order/cancel']);
    for (const call of sim.calls) {
      expect(call.signature.header).toBeDefined();
      expect(verifyDetachedJws(call.signature.header, call.signature.body).keyId).toBe(pki.gateway.signer.keyId);
    }
  });
});

describe('VnpostClient, lgsp variant', () => {
  let lgsp: PostalSimulator;
  beforeAll(async () => {
    lgsp = await startPostalSimulator({ consumers: [consumer], customerCode, variant: 'lgsp' });
  });
  afterAll(async () => {
    await lgsp.close();
  });

  it('refuses to be built without a source of pre-allocated item codes', () => {
    expect(() => new VnpostClient({ baseUrl: lgsp.url, tokenUrl: lgsp.tokenUrl, consumerKey: 'k', consumerSecret: 's', customerCode, variant: 'lgsp' })).toThrow(TypeError);
  });

  it('sends the token in access_token, adds ItemCode and FlagConfig, and reads Status 101 and 100 as success', async () => {
    let serial = 0;
    const c = client({ variant: 'lgsp', itemCodes: () => `EL${String(++serial).padStart(9, '0')}VN` }, lgsp);
    expect(await c.createOrder(shipment('L-1', 'delivery'))).toMatchObject({ kind: 'ok', itemCode: 'EL000000001VN' });
    const track = await c.track('L-1');
    expect(track).toMatchObject({ kind: 'ok', itemCode: 'EL000000001VN', events: [{ operatorCode: '100', status: 'registered' }] });
    expect(await c.cancelOrder('L-1')).toEqual({ kind: 'ok' });
    const calls = orderCalls(lgsp);
    expect(calls.map((call) => `${call.auth}:${call.answer}`)).toEqual(['access_token:101', 'access_token:http-200', 'access_token:100']);
    expect(JSON.parse(calls[0]!.signature.body.toString('utf8'))).toMatchObject({ ItemCode: 'EL000000001VN', FlagConfig: '2' });
    expect(lgsp.orders.get('L-1')?.kind).toBe('delivery');
  });

  it('sends the item code a retried create already has instead of allocating a new one', async () => {
    const c = client({ variant: 'lgsp', itemCodes: () => 'EL999999999VN' }, lgsp);
    expect(await c.createOrder({ ...shipment('L-2'), itemCode: 'EL000000042VN' })).toMatchObject({ kind: 'ok', itemCode: 'EL000000042VN' });
    expect(lgsp.orders.get('L-2')?.order).toMatchObject({ ItemCode: 'EL000000042VN', FlagConfig: '1' });
  });

  it('is refused by the operator when it sends a Bearer token instead of access_token', async () => {
    const c = client({}, lgsp); // a direct client against an lgsp operator
    expect(await c.track('L-1')).toEqual({ kind: 'unavailable', reason: 'the operator refused a freshly issued token (HTTP 401)' });
  });
});

describe('postal simulator', () => {
  let receiver: Server;
  let received: { body: Buffer; signature: string | undefined; apiKey: string | undefined }[];
  let pushing: PostalSimulator;

  beforeAll(async () => {
    received = [];
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({ body: Buffer.concat(chunks), signature: req.headers['x-jws-signature'] as string | undefined, apiKey: req.headers['x-api-key'] as string | undefined });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const { port } = receiver.address() as AddressInfo;
    pushing = await startPostalSimulator({
      consumers: [consumer],
      customerCode,
      push: { url: `http://127.0.0.1:${port}/v1/postal/callbacks`, sign: (body) => signDetachedJws(body, pki.partners.postal.signer), headers: { 'x-api-key': 'postal-operator-key' } },
    });
  });
  afterAll(async () => {
    await pushing.close();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  });
  afterEach(() => {
    received.length = 0;
    pushing.faults.clear();
  });

  const pushed = () => received.map((r) => JSON.parse(r.body.toString('utf8')) as VnpostPush);

  it('pushes each new event, signed with the operator key and with the configured headers, in the format the gateway reads', async () => {
    await client({}, pushing).createOrder(shipment('PU-1'));
    await pushing.advance('PU-1');
    expect(received.map((r) => r.apiKey)).toEqual(['postal-operator-key', 'postal-operator-key']);
    for (const r of received) expect(verifyDetachedJws(r.signature, r.body).keyId).toBe(pki.partners.postal.signer.keyId);
    expect(pushed().map((p) => [p.OrderNumber, p.Events.map((e) => fromVnpostEvent(e)?.status)])).toEqual([
      ['PU-1', ['registered']],
      ['PU-1', ['collecting']],
    ]);
    expect(pushing.pushes.map((p) => p.outcome)).toEqual([200, 200]);
  });

  it('pushes a signature that does not verify over the body when badPushSignature is set', async () => {
    pushing.faults.set({ badPushSignature: true });
    await client({}, pushing).createOrder(shipment('PU-2'));
    await pushing.advance();
    expect(received.length).toBeGreaterThan(0);
    for (const r of received) expect(() => verifyDetachedJws(r.signature, r.body)).toThrow('does not verify');
  });

  it('lists and pushes each event twice, with the same Id, when duplicateEvents is set', async () => {
    pushing.faults.set({ duplicateEvents: true });
    await client({}, pushing).createOrder(shipment('PU-3'));
    const answer = await client({}, pushing).track('PU-3');
    const id = pushing.orders.get('PU-3')!.events[0]!.Id;
    expect(answer).toMatchObject({ kind: 'ok', events: [{ eventId: String(id) }, { eventId: String(id) }] });
    expect(pushed().map((p) => p.Events.map((e) => e.Id))).toEqual([[id], [id]]);
  });

  it('holds each event back until after the next one when outOfOrderEvents is set: later Id, earlier time', async () => {
    pushing.faults.set({ outOfOrderEvents: true });
    await client({}, pushing).createOrder(shipment('PU-4'));
    expect(received.length).toBe(0);
    await pushing.advance('PU-4');
    const events = pushed()[0]!.Events.map((e) => fromVnpostEvent(e)!);
    expect(events.map((e) => e.operatorCode)).toEqual(['200', '100']);
    expect(Number(events[1]!.eventId)).toBeGreaterThan(Number(events[0]!.eventId));
    expect(Date.parse(events[1]!.at)).toBeLessThan(Date.parse(events[0]!.at));
  });

  it('plays a delivery that fails on failDelivery: registered, in transit twice, failed, returned, then nothing more', async () => {
    pushing.faults.set({ failDelivery: true });
    await client({}, pushing).createOrder(shipment('PU-5', 'delivery'));
    for (let i = 0; i < 6; i++) await pushing.advance('PU-5');
    expect(pushing.orders.get('PU-5')!.events.map((e) => `${String(e.StatusCode)}:${fromVnpostEvent(e)?.status}`)).toEqual([
      '100:registered',
      '300:in_transit',
      '302:in_transit',
      '401:failed',
      '501:returned',
    ]);
  });

  it('moves orders on its own clock when stepMs is given', async () => {
    const clocked = await startPostalSimulator({ consumers: [consumer], customerCode, stepMs: 20 });
    try {
      await client({}, clocked).createOrder(shipment('CL-1', 'delivery'));
      await expect.poll(() => clocked.orders.get('CL-1')?.lastCode, { timeout: 2_000 }).toBe('400');
    } finally {
      await clocked.close();
    }
  });

  it('answers its state and takes faults through the control API', async () => {
    const set = await fetch(`${new URL(pushing.url).origin}/__simulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"failNextCalls":2}' });
    expect(set.status).toBe(200);
    expect(pushing.faults.current).toEqual({ failNextCalls: 2 });
    const state = (await (await fetch(`${new URL(pushing.url).origin}/__simulator/state`)).json()) as { variant: string; faults: unknown };
    expect(state).toMatchObject({ variant: 'direct', faults: { failNextCalls: 2 } });
  });
});
