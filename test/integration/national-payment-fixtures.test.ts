// The national payment platform's golden fixtures (test/fixtures/national-payment/, written from the
// public PASETO client) replayed through the gateway's provider against a stand-in platform that
// checks each MaXacThuc with the order the fixture gives, never with the adapter's table.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { signMessage } from '../../adapters/payment/national/auth-code.js';
import { fromTransactionTime } from '../../adapters/payment/national/dates.js';
import { NationalPaymentProvider } from '../../adapters/payment/national/provider.js';

interface Fixture {
  secret: string;
  order: string[];
  message: Record<string, string | number>;
  authText: string;
  MaXacThuc: string;
  answer?: { fields: string[] };
}

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/national-payment/${name}.json`, import.meta.url), 'utf8')) as Fixture;
const init = fixture('init');
const query = fixture('query');
const bill = fixture('get-bill');
const notification = fixture('notification');
const secret = init.secret;
const reference = String(init.message.MaThamChieu);

/** The platform's check, from a fixture's order: each field's text, joined by |, the secret last. */
function expectedCode(order: string[], body: Record<string, unknown>): string {
  const text = [...order.map((f) => (body[f] === undefined || body[f] === null ? '' : String(body[f]))), secret].join('|');
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** What the stand-in received, by LoaiBanTin, and whether the fixture's order authenticates it. */
const seen = new Map<string, { body: Record<string, unknown>; authentic: boolean }>();
/** The QUERY answer the stand-in gives (the answer's own order is the gateway's: no public source shows one). */
let queryAnswer: Record<string, unknown> = { MaLoi: '01', MoTaLoi: 'Không tìm thấy giao dịch' };
let platform: Server;
let provider: NationalPaymentProvider;

beforeAll(async () => {
  const orders: Record<string, string[]> = { INIT: init.order, QUERY: query.order, GET_BILL: bill.order };
  platform = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      const type = String(body.LoaiBanTin);
      const order = orders[type];
      const authentic = order !== undefined && body.MaXacThuc === expectedCode(order, body);
      seen.set(type, { body, authentic });
      const answer = !authentic ? { MaLoi: '97', MoTaLoi: 'Mã xác thực không hợp lệ' } : type === 'QUERY' ? queryAnswer : { MaLoi: '01', MoTaLoi: 'Không tìm thấy giao dịch' };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => platform.listen(0, '127.0.0.1', resolve));
  provider = new NationalPaymentProvider({
    baseUrl: `http://127.0.0.1:${(platform.address() as AddressInfo).port}`,
    token: 'token-of-the-test',
    partnerCode: String(init.message.MaDoiTac),
    secret,
    bankCode: String(init.message.MaNganHang),
    channel: String(init.message.MaKenhThanhToan),
  });
});

afterEach(() => {
  vi.useRealTimers();
});

afterAll(async () => {
  await provider.close();
  await new Promise<void>((resolve) => platform.close(() => resolve()));
});

describe('the fixtures themselves', () => {
  for (const f of [init, query, bill, notification]) {
    it(`${String(f.message.LoaiBanTin)}: the text is the fields in the public order, and its sha256sum vector matches`, () => {
      expect(f.authText).toBe([...f.order.map((name) => String(f.message[name] ?? '')), f.secret].join('|'));
      expect(createHash('sha256').update(f.authText, 'utf8').digest('hex')).toBe(f.MaXacThuc);
    });
  }
});

describe('the gateway sends what the public client sends', () => {
  it('INIT: MaXacThuc of the public formula (no UrlTraVe), the authenticated fields as the client writes them', async () => {
    const createdAt = fromTransactionTime(String(init.message.ThoiGianGD));
    if (!createdAt) throw new Error('fixture ThoiGianGD');
    await provider.createPayment({
      paymentId: reference,
      dossierCode: 'H46.22-251203-0007',
      amount: Number(init.message.SoTien),
      lines: [{ code: 'LP01', name: 'Lệ phí', kind: 'charge', amount: Number(init.message.SoTien) }],
      payer: { name: 'Nguyễn Văn An', idNumber: '046090001234' },
      returnUrl: 'https://motcua.example/thanh-toan/ket-qua',
      description: String(init.message.ThongTinGiaoDich),
      createdAt,
      expiresAt: new Date(createdAt.getTime() + 15 * 60_000),
      clientIp: String(init.message.Ip),
    });
    const sent = seen.get('INIT');
    expect(sent?.authentic).toBe(true);
    expect(sent?.body.MaXacThuc).toBe(init.MaXacThuc);
    for (const field of init.order) expect(String(sent?.body[field]), field).toBe(String(init.message[field]));
  });

  it('QUERY: MaXacThuc of the public formula, with the INIT time', async () => {
    const createdAt = fromTransactionTime(String(query.message.ThoiGianGD));
    if (!createdAt) throw new Error('fixture ThoiGianGD');
    await provider.query({ paymentId: reference, createdAt, amount: 150_000 });
    expect(seen.get('QUERY')?.authentic).toBe(true);
    expect(seen.get('QUERY')?.body.MaXacThuc).toBe(query.MaXacThuc);
  });

  it('GET_BILL: MaXacThuc of the public formula, with the time of asking', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(fromTransactionTime(String(bill.message.ThoiGianGD)) ?? new Date(NaN));
    await provider.receipt({ paymentId: reference });
    expect(seen.get('GET_BILL')?.authentic).toBe(true);
    expect(seen.get('GET_BILL')?.body.MaXacThuc).toBe(bill.MaXacThuc);
  });

  it("QUERY answers: reads the public client's TrangThaiGD (1 paid, 3 pending, 4 failed)", async () => {
    const createdAt = fromTransactionTime(String(query.message.ThoiGianGD)) ?? new Date();
    const states: Record<string, string> = { '1': 'paid', '3': 'pending', '4': 'failed' };
    for (const [value, state] of Object.entries(states)) {
      const unsigned = { MaLoi: '00', MoTaLoi: 'Thành công', MaDoiTac: 'HUE_MOTCUA', MaThamChieu: reference, SoTien: 150000, TrangThaiGD: value, MaGiaoDich: 'PG1', ThoiGianGD: '20251203144501' };
      queryAnswer = { ...unsigned, MaXacThuc: signMessage('QUERY_ANSWER', unsigned, secret) };
      expect(await provider.query({ paymentId: reference, createdAt, amount: 150_000 }), value).toMatchObject({ kind: 'ok', state });
    }
  });
});

describe('the confirmation, as the public client receives and answers it', () => {
  const post = (body: Record<string, unknown>) =>
    provider.parseNotification({ method: 'POST', query: {}, contentType: 'application/json', body: Buffer.from(JSON.stringify(body)) });

  it('is verified with the public formula and answered with its own MaXacThuc handed back', () => {
    const parsed = post({ ...notification.message, MaXacThuc: notification.MaXacThuc });
    expect(parsed).toMatchObject({ kind: 'valid', paymentId: reference, amount: 150000, paid: true, providerTxnId: 'PG20251203144501' });
    const answer = JSON.parse(provider.answer('confirmed', parsed).body) as Record<string, unknown>;
    expect(Object.keys(answer)).toEqual(expect.arrayContaining(notification.answer?.fields ?? []));
    expect(answer).toMatchObject({ MaLoi: '00', MaDoiTac: 'HUE_MOTCUA', ThoiGianGD: notification.message.ThoiGianGD, MaXacThuc: notification.MaXacThuc });
  });

  it('a refusal (97) carries the MaXacThuc it refused, so that the platform can match the answer to its call', () => {
    const forged = createHash('sha256').update(`${notification.authText}x`).digest('hex');
    const parsed = post({ ...notification.message, MaXacThuc: forged });
    expect(parsed.kind).toBe('invalid-signature');
    expect(JSON.parse(provider.answer('invalid-signature', parsed).body)).toMatchObject({ MaLoi: '97', MaThamChieu: reference, MaXacThuc: forged });
  });

  it('an amount sent as a string of digits is the same confirmation', () => {
    expect(post({ ...notification.message, SoTien: String(notification.message.SoTien), MaXacThuc: notification.MaXacThuc })).toMatchObject({ kind: 'valid', amount: 150000 });
  });
});
