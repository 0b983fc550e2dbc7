// The national payment provider against the real simulator on a loopback port, with a small local
// server playing the gateway's notification endpoint.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NationalPaymentProvider, type NationalPaymentOptions } from '../../adapters/payment/national/provider.js';
import { startNationalPaymentSimulator, type NationalPaymentSimulator } from '../../adapters/payment/national/simulator.js';
import { toTransactionTime } from '../../adapters/payment/national/dates.js';
import { signDetachedJws, verifyDetachedJws } from '../../src/crypto/jws.js';
import type { CreatePaymentInput, NotificationOutcome, ParsedNotification } from '../../src/payments/provider.js';
import { testPki } from '../support/pki.js';

const partnerCode = 'HUE_MOTCUA';
const secret = 'bi-mat-doi-tac-khong-lo';
const client = { id: 'lgsp-gateway', secret: 'client-secret-do-not-leak' };

let sim: NationalPaymentSimulator;
let gateway: Server;
const providers: NationalPaymentProvider[] = [];
/** What the gateway expects: amount and whether it confirmed already, by payment id. */
const expected = new Map<string, { amount: number; confirmed: boolean }>();
const received: { parsed: ParsedNotification; outcome: NotificationOutcome }[] = [];
let verifier: NationalPaymentProvider;

function provider(over: Partial<NationalPaymentOptions> = {}): NationalPaymentProvider {
  const credentials = 'tokenUrl' in over ? {} : { token: sim.token };
  const p = new NationalPaymentProvider({ baseUrl: sim.url, ...credentials, partnerCode, secret, timeoutMs: 2_000, ...over } as NationalPaymentOptions);
  providers.push(p);
  return p;
}

function input(paymentId: string, over: Partial<CreatePaymentInput> = {}): CreatePaymentInput {
  const createdAt = new Date();
  return {
    paymentId,
    dossierCode: 'H46.22-250801-0001',
    amount: 150_000,
    lines: [
      { code: 'LP01', name: 'Lệ phí cấp giấy phép', kind: 'charge', amount: 100_000 },
      { code: 'P01', name: 'Phí thẩm định', kind: 'fee', amount: 50_000 },
    ],
    payer: { name: 'Nguyễn Văn An', idNumber: '046090001234', address: '12 Lê Lợi, Huế' },
    procedure: { code: '1.001234', name: 'Cấp giấy phép xây dựng' },
    agency: { code: 'H46.22', name: 'UBND phường Thuận Hóa' },
    returnUrl: 'https://motcua.example/thanh-toan/ket-qua',
    description: 'Nộp phí, lệ phí hồ sơ H46.22-250801-0001',
    createdAt,
    expiresAt: new Date(createdAt.getTime() + 15 * 60_000),
    clientIp: '203.113.1.10',
    ...over,
  };
}

async function created(paymentId: string): Promise<string> {
  const answer = await provider().createPayment(input(paymentId));
  if (answer.kind !== 'ok') throw new Error(`create failed: ${JSON.stringify(answer)}`);
  expected.set(paymentId, { amount: 150_000, confirmed: false });
  return answer.paymentUrl;
}

beforeAll(async () => {
  sim = await startNationalPaymentSimulator({ partnerCode, secret, clients: [client] });
  verifier = new NationalPaymentProvider({ baseUrl: sim.url, token: sim.token, partnerCode, secret });
  gateway = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const parsed = verifier.parseNotification({ method: 'POST', query: {}, body: Buffer.concat(chunks), contentType: req.headers['content-type'] });
      const outcome = verdict(parsed);
      received.push({ parsed, outcome });
      const answer = verifier.answer(outcome, parsed);
      res.writeHead(answer.status, { 'content-type': answer.contentType });
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
  sim.setNotifyUrl(`http://127.0.0.1:${(gateway.address() as AddressInfo).port}/v1/payments/notifications/national`);
});

/** The payment core's decision, reduced to what these tests need. */
function verdict(parsed: ParsedNotification): NotificationOutcome {
  if (parsed.kind !== 'valid') return parsed.kind;
  const payment = expected.get(parsed.paymentId);
  if (!payment) return 'not-found';
  if (parsed.amount !== payment.amount) return 'invalid-amount';
  if (payment.confirmed) return 'already-confirmed';
  if (parsed.paid) payment.confirmed = true;
  return 'confirmed';
}

afterAll(async () => {
  await verifier.close();
  await sim.close();
  await new Promise<void>((resolve) => gateway.close(() => resolve()));
});

afterEach(async () => {
  await Promise.all(providers.splice(0).map((p) => p.close()));
  sim.faults.clear();
  sim.payments.clear();
  sim.notifications.length = 0;
  sim.calls.length = 0;
  received.length = 0;
  expected.clear();
});

describe('INIT and the payer page', () => {
  it('gives a payment URL whose page shows the amount with pay and cancel', async () => {
    const url = await created('P-1');
    const kept = sim.payments.get('P-1');
    expect(kept?.init).toMatchObject({ LoaiBanTin: 'INIT', PhienBan: '1.0.6', MaDoiTac: partnerCode, SoTien: 150_000, NgonNgu: 'vi-VN', MaTienTe: 'VND', LoaiHinhThanhToan: 'PAY', Ip: '203.113.1.10' });
    expect(kept?.init.ThoiGianGD).toMatch(/^\d{14}$/);
    expect(kept?.init.ThongTinBienLai).toMatchObject({ MaHoSo: 'H46.22-250801-0001', MaThuTuc: '1.001234', HoTenNguoiNop: 'Nguyễn Văn An' });
    expect(kept?.init.ThongTinBienLai.PhiLePhi).toEqual([
      { LoaiPhiLePhi: '2', MaPhiLePhi: 'LP01', TenPhiLePhi: 'Lệ phí cấp giấy phép', SoTien: 100_000 },
      { LoaiPhiLePhi: '1', MaPhiLePhi: 'P01', TenPhiLePhi: 'Phí thẩm định', SoTien: 50_000 },
    ]);
    const page = await request(url);
    const html = await page.body.text();
    expect(page.statusCode).toBe(200);
    expect(html).toContain('action="/pay/P-1"');
    expect(html).toContain('action="/cancel/P-1"');
    expect(html).toContain('150.000');
  });

  it('gets a token from client credentials when configured with a token URL', async () => {
    const p = provider({ tokenUrl: sim.tokenUrl, clientId: client.id, clientSecret: client.secret });
    expect(await p.createPayment(input('P-T'))).toMatchObject({ kind: 'ok' });
    const wrong = provider({ tokenUrl: sim.tokenUrl, clientId: client.id, clientSecret: 'nope' });
    const refused = await wrong.createPayment(input('P-T2'));
    expect(refused).toMatchObject({ kind: 'unavailable', reason: expect.stringContaining('token refused (HTTP 401)') });
  });

  it('is refused with the platform code when the fee lines do not add up, and by a wrong secret', async () => {
    const bad = await provider().createPayment(input('P-2', { amount: 140_000 }));
    expect(bad).toMatchObject({ kind: 'refused', code: '04' });
    const forged = await provider({ secret: 'another' }).createPayment(input('P-3'));
    expect(forged).toMatchObject({ kind: 'refused', code: '97' });
  });

  it('is unavailable on HTTP 500 and on a refused configured token, and never throws', async () => {
    sim.faults.set({ failNextCalls: 1 });
    expect(await provider().createPayment(input('P-4'))).toEqual({ kind: 'unavailable', reason: 'HTTP 500' });
    expect(await provider({ token: 'wrong-token' }).createPayment(input('P-4'))).toMatchObject({ kind: 'unavailable', reason: expect.stringContaining('HTTP 401') });
    expect(await provider({ baseUrl: 'http://127.0.0.1:1' }).createPayment(input('P-4'))).toMatchObject({ kind: 'unavailable', reason: expect.stringContaining('network error') });
  });

  it('signs every outbound body, the token request too, with the gateway JWS when given sign', async () => {
    const pki = await testPki();
    const p = provider({ tokenUrl: sim.tokenUrl, clientId: client.id, clientSecret: client.secret, sign: (body) => signDetachedJws(body, pki.gateway.signer) });
    await p.createPayment(input('P-J'));
    await p.query({ paymentId: 'P-J', createdAt: new Date(), amount: 150_000 });
    expect(sim.calls.map((c) => c.messageType ?? c.path)).toEqual(['/token', 'INIT', 'QUERY']);
    for (const call of sim.calls) expect(verifyDetachedJws(call.signature.header, call.signature.body).keyId).toBe(pki.gateway.signer.keyId);
  });

  it('masks secrets and payer data a refusal quotes', async () => {
    // A platform that echoes the request in its error text, as validation messages often do.
    const echo = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ MaLoi: '03', MoTaLoi: `Dữ liệu không hợp lệ: Nguyễn Văn An 046090001234 ${secret} ${sim.token} P-S` }));
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    const answer = await provider({ baseUrl: `http://127.0.0.1:${(echo.address() as AddressInfo).port}` }).createPayment(input('P-S'));
    await new Promise<void>((resolve) => echo.close(() => resolve()));
    expect(answer).toMatchObject({ kind: 'refused', code: '03', message: expect.stringContaining('P-S') });
    expect(JSON.stringify(answer)).not.toMatch(new RegExp(`046090001234|Nguyễn Văn An|${secret}|${sim.token}`));
  });
});

describe('notifications', () => {
  it('pay sends a signed notification the gateway verifies and confirms, with a signed answer', async () => {
    await created('N-1');
    await sim.pay('N-1');
    expect(received).toHaveLength(1);
    expect(received[0]?.outcome).toBe('confirmed');
    expect(received[0]?.parsed).toMatchObject({ kind: 'valid', paymentId: 'N-1', amount: 150_000, paid: true, resultCode: '00', providerTxnId: sim.payments.get('N-1')?.txnId });
    expect(sim.notifications[0]).toMatchObject({ outcome: 200, answer: { MaLoi: '00' }, answerAuthentic: true });
  });

  it('the payer page POST sends the browser back and the notification follows', async () => {
    const url = await created('N-2');
    const res = await request(url, { method: 'POST' });
    await res.body.dump();
    expect(res.statusCode).toBe(303);
    expect(String(res.headers.location)).toMatch(/^https:\/\/motcua\.example\/thanh-toan\/ket-qua\?MaThamChieu=N-2&TrangThaiGD=00$/);
    await expect.poll(() => received.length).toBe(1);
    expect(received[0]?.outcome).toBe('confirmed');
  });

  it('cancel sends a notification that is not a payment', async () => {
    await created('N-3');
    await sim.cancel('N-3');
    expect(received[0]?.parsed).toMatchObject({ kind: 'valid', paid: false, resultCode: '09' });
  });

  it('duplicate: the second is answered already-confirmed', async () => {
    await created('N-4');
    sim.faults.set({ duplicateNotification: true });
    await sim.pay('N-4');
    expect(received.map((r) => r.outcome)).toEqual(['confirmed', 'already-confirmed']);
    expect(sim.notifications.map((n) => n.answer?.MaLoi)).toEqual(['00', '02']);
    expect(sim.notifications.every((n) => n.answerAuthentic)).toBe(true);
  });

  it('wrong amount: validly signed, answered invalid-amount (04)', async () => {
    await created('N-5');
    sim.faults.set({ wrongAmount: true });
    await sim.pay('N-5');
    expect(received[0]?.parsed).toMatchObject({ kind: 'valid', amount: 151_000 });
    expect(sim.notifications[0]?.answer?.MaLoi).toBe('04');
  });

  it('bad signature: refused as invalid-signature (97), nothing confirmed', async () => {
    await created('N-6');
    sim.faults.set({ badSignature: true });
    await sim.pay('N-6');
    expect(received[0]).toMatchObject({ parsed: { kind: 'invalid-signature' }, outcome: 'invalid-signature' });
    expect(sim.notifications[0]).toMatchObject({ answer: { MaLoi: '97' }, answerAuthentic: true });
    expect(expected.get('N-6')?.confirmed).toBe(false);
  });

  it('never sent: only QUERY tells that it was paid', async () => {
    await created('N-7');
    sim.faults.set({ neverNotify: true });
    await sim.pay('N-7');
    expect(sim.notifications).toHaveLength(0);
    const answer = await provider().query({ paymentId: 'N-7', createdAt: new Date(), amount: 150_000 });
    expect(answer).toMatchObject({ kind: 'ok', state: 'paid', amount: 150_000, providerTxnId: sim.payments.get('N-7')?.txnId, paidAt: expect.any(Date) });
  });

  it('late: QUERY says paid before the notification arrives', async () => {
    await created('N-8');
    sim.faults.set({ lateNotificationMs: 300 });
    const paying = sim.pay('N-8');
    expect(await provider().query({ paymentId: 'N-8', createdAt: new Date(), amount: 150_000 })).toMatchObject({ kind: 'ok', state: 'paid' });
    expect(received).toHaveLength(0);
    await paying;
    expect(received[0]?.outcome).toBe('confirmed');
  });

  it('parseNotification refuses what is not a JSON POST', () => {
    expect(verifier.parseNotification({ method: 'GET', query: {}, body: Buffer.alloc(0), contentType: undefined })).toMatchObject({ kind: 'malformed' });
    expect(verifier.parseNotification({ method: 'POST', query: {}, body: Buffer.from('MaLoi=00'), contentType: 'application/x-www-form-urlencoded' })).toMatchObject({ kind: 'malformed' });
    expect(verifier.parseNotification({ method: 'POST', query: {}, body: Buffer.from('{"LoaiBanTin":"NOTIFY"}'), contentType: 'application/json' })).toMatchObject({ kind: 'malformed' });
  });
});

describe('QUERY, GET_BILL, STATEMENT', () => {
  it('QUERY states: pending, paid, failed (cancelled); unknown and HTTP 500 are unavailable', async () => {
    const p = provider();
    await created('Q-1');
    await created('Q-2');
    const ask = (id: string) => p.query({ paymentId: id, createdAt: new Date(), amount: 150_000 });
    expect(await ask('Q-1')).toEqual({ kind: 'ok', state: 'pending', amount: 150_000 });
    await sim.pay('Q-1');
    await sim.cancel('Q-2');
    expect(await ask('Q-1')).toMatchObject({ kind: 'ok', state: 'paid' });
    expect(await ask('Q-2')).toMatchObject({ kind: 'ok', state: 'failed' });
    expect(await ask('Q-none')).toMatchObject({ kind: 'unavailable', reason: expect.stringContaining('MaLoi 01') });
    sim.faults.set({ failNextCalls: 1 });
    expect(await ask('Q-1')).toEqual({ kind: 'unavailable', reason: 'HTTP 500' });
  });

  it('GET_BILL returns the PDF receipt of a paid payment, nothing before', async () => {
    const p = provider();
    await created('B-1');
    expect(await p.receipt({ paymentId: 'B-1' })).toBeUndefined();
    await sim.pay('B-1');
    const pdf = await p.receipt({ paymentId: 'B-1' });
    expect(pdf?.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const text = pdf?.toString('latin1') ?? '';
    expect(text).toContain('Tong so tien: 150000 VND');
    expect(text.trimEnd().endsWith('%%EOF')).toBe(true);
    // The cross-reference offset points at the xref table.
    const startxref = Number(/startxref\n(\d+)/.exec(text)?.[1]);
    expect(text.slice(startxref, startxref + 4)).toBe('xref');
    const offsets = [...text.slice(startxref).matchAll(/^(\d{10}) 00000 n $/gm)].map((m) => Number(m[1]));
    expect(offsets.map((o, i) => text.startsWith(`${i + 1} 0 obj`, o))).toEqual([true, true, true, true, true]);
  });

  it("STATEMENT lists a day's paid transactions and is unavailable on HTTP 500", async () => {
    const p = provider();
    await created('S-1');
    await created('S-2');
    await created('S-3');
    await sim.pay('S-1');
    await sim.pay('S-2');
    await sim.cancel('S-3');
    const today = toTransactionTime(new Date()).replace(/^(\d{4})(\d{2})(\d{2}).*/, '$1-$2-$3');
    const answer = await p.statement(today);
    expect(answer.kind).toBe('ok');
    const lines = answer.kind === 'ok' ? answer.transactions : [];
    expect(lines.map((l) => l.paymentId).sort()).toEqual(['S-1', 'S-2']);
    expect(lines[0]).toMatchObject({ amount: 150_000, providerTxnId: expect.stringMatching(/^PG/), paidAt: expect.any(Date) });
    expect(await p.statement('2001-01-01')).toEqual({ kind: 'ok', transactions: [] });
    sim.faults.set({ failNextCalls: 1 });
    expect(await p.statement(today)).toEqual({ kind: 'unavailable', reason: 'HTTP 500' });
  });
});
