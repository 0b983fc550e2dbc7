// VNPost NGSP golden fixtures (test/fixtures/vnpost/, written from the SDK shipped with OpenCPS)
// replayed through the gateway's client against a stand-in that types the order as the SDK's MOrder
// does and answers tracking as the SDK's MStatus pages, from the fixtures alone.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VnpostClient } from '../../adapters/postal-bcci/client.js';
import type { ShipmentRequest } from '../../schemas/shipment.js';

interface OrderFixture {
  types: Record<string, string>;
  body: Record<string, unknown>;
  answer: Record<string, unknown>;
}
interface TrackingFixture {
  request: { firstLastId: string; pageSize: number; query: string[] };
  pages: { _embedded: { 'rh:doc': { _id: { $oid: string } }[] } }[];
  expected: { orderNumber: string; itemCode: string; reports: Record<string, string>[]; ignored: number };
}

const fixture = <T>(name: string) => JSON.parse(readFileSync(new URL(`../fixtures/vnpost/${name}.json`, import.meta.url), 'utf8')) as T;
const order = fixture<OrderFixture>('order');
const tracking = fixture<TrackingFixture>('tracking');

/** The fields of a body that MOrder's Java types would refuse or lose. */
function typeProblems(body: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const [field, type] of Object.entries(order.types)) {
    const value = body[field];
    const nullable = type.endsWith('|null');
    if (value === undefined || value === null) {
      if (!nullable) problems.push(`${field} missing`);
    } else if (type.startsWith('integer') ? !Number.isInteger(value) : typeof value !== type) {
      problems.push(`${field}: ${JSON.stringify(value)} is not ${type}`);
    }
  }
  return problems;
}

const received: { orders: Record<string, unknown>[]; trackQueries: URLSearchParams[] } = { orders: [], trackQueries: [] };
let server: Server;
let base: string;

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

beforeAll(async () => {
  server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://stand-in');
      const text = await body(req);
      const reply = (status: number, json: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(json));
      };
      if (url.pathname === '/token') return reply(200, { access_token: 'stand-in-token', token_type: 'Bearer', expires_in: 3600 });
      if (req.headers.authorization !== 'Bearer stand-in-token') return reply(401, {});
      if (req.method === 'POST' && url.pathname === '/api/order/post') {
        const sent = JSON.parse(text) as Record<string, unknown>;
        received.orders.push(sent);
        // A typed server (Gson into MOrder) cannot read a string or '' into an Integer.
        return typeProblems(sent).length === 0 ? reply(200, order.answer) : reply(400, { Status: 400, Message: typeProblems(sent).join('; ') });
      }
      if (req.method === 'GET' && url.pathname === '/api/order') {
        received.trackQueries.push(url.searchParams);
        const lastId = url.searchParams.get('lastId');
        const index = lastId === tracking.request.firstLastId ? 0 : tracking.pages.findIndex((p, i) => i > 0 && tracking.pages[i - 1]?._embedded['rh:doc'].at(-1)?._id.$oid === lastId);
        return index < 0 ? reply(400, { message: 'lastId không hợp lệ' }) : reply(200, tracking.pages[index]);
      }
      return reply(404, {});
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const client = () =>
  new VnpostClient({ baseUrl: `${base}/api`, tokenUrl: `${base}/token`, consumerKey: 'k', consumerSecret: 's', customerCode: String(order.body.CustomerCode), variant: 'direct', pageSize: tracking.request.pageSize });

describe('VNPost NGSP order, as the SDK types it', () => {
  it('sends the province and district codes as numbers and leaves out an absent district, and the typed stand-in accepts it', async () => {
    const request: ShipmentRequest = {
      kind: 'pickup',
      dossierCode: String(order.body.OrderNumber),
      sender: { name: 'Nguyễn Văn An', phone: '0912345678', email: 'an@example.vn', address: { line: '12 Lê Lợi, phường Thuận Hóa', provinceCode: '46', communeCode: '19753' } },
      receiver: { name: 'Trung tâm Phục vụ hành chính công tỉnh', phone: '02343822222', address: { line: '1 Lê Lai, phường Thuận Hóa', provinceCode: '46', communeCode: '19753', districtCode: '474' } },
      procedure: { code: '1.001234', name: 'Cấp đổi giấy phép lái xe' },
    };
    const c = client();
    const answer = await c.createOrder(request);
    await c.close();
    const sent = received.orders.at(-1) ?? {};
    expect(typeProblems(sent)).toEqual([]);
    expect(answer.kind).toBe('ok');
    for (const field of ['SenderProvince', 'ReceiverProvince', 'ReceiverDistrict']) expect(sent[field], field).toBe(order.body[field]);
    expect(sent).not.toHaveProperty('SenderDistrict');
    // Every field MOrder has, and no other name for one.
    for (const field of Object.keys(sent)) expect(Object.keys(order.types), field).toContain(field);
  });
});

describe('VNPost NGSP tracking, as the SDK pages it', () => {
  it("walks the feed by the last _id.$oid from 24 zeros, keeps the order's records, and reads integer codes and epoch times", async () => {
    received.trackQueries.length = 0;
    const c = client();
    const answer = await c.track(tracking.expected.orderNumber);
    await c.close();
    expect(received.trackQueries.map((q) => q.get('lastId'))).toEqual(tracking.pages.map((_, i) => (i === 0 ? tracking.request.firstLastId : tracking.pages[i - 1]?._embedded['rh:doc'].at(-1)?._id.$oid)));
    for (const q of received.trackQueries) for (const name of tracking.request.query) expect(q.has(name), name).toBe(true);
    expect(answer).toMatchObject({ kind: 'ok', itemCode: tracking.expected.itemCode, ignored: tracking.expected.ignored });
    if (answer.kind !== 'ok') return;
    expect(answer.events.map(({ operatorCode, status, at, eventId }) => ({ operatorCode, status, at, eventId }))).toEqual(
      tracking.expected.reports.map(({ operatorCode, status, at, eventId }) => ({ operatorCode, status, at, eventId })),
    );
    expect(answer.events[2]?.note).toBe(tracking.expected.reports[2]?.note);
  });
});
