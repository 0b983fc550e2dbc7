// The VNPay provider against the real simulator on a loopback port: the payer page accepts the
// signed URL, the IPN reaches a small gateway that verifies it with parseNotification and answers
// with answer(), each IPN fault, querydr, the statement, VND × 100, and failures as unavailable.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CreatePaymentInput, NotificationOutcome, ParsedNotification } from '../../src/payments/provider.js';
import { toVnpDate } from '../../adapters/payment/vnpay/dates.js';
import { VnpayProvider, type VnpayProviderOptions } from '../../adapters/payment/vnpay/provider.js';
import { secureHash } from '../../adapters/payment/vnpay/secure-hash.js';
import { startVnpaySimulator, type VnpaySimulator } from '../../adapters/payment/vnpay/simulator.js';
import { fromVnpAmount, toVnpAmount } from '../../adapters/payment/vnpay/wire.js';

const tmnCode = 'TESTTMN1';
const hashSecret = 'vnpay-hash-secret-from-configuration';

/** The gateway's side, reduced: payments it knows, by id, and what each IPN came to. */
interface GatewayPayment {
  amount: number;
  state: 'pending' | 'paid' | 'failed';
}
const known = new Map<string, GatewayPayment>();
const received: { parsed: ParsedNotification; outcome: NotificationOutcome }[] = [];

let sim: VnpaySimulator;
let gateway: Server;
let ipnUrl: string;
const providers: VnpayProvider[] = [];

function provider(over: Partial<VnpayProviderOptions> = {}): VnpayProvider {
  const p = new VnpayProvider({ payUrl: sim.payUrl, apiUrl: sim.apiUrl, statementUrl: sim.statementUrl, tmnCode, hashSecret, timeoutMs: 2_000, ...over });
  providers.push(p);
  return p;
}

function verdict(parsed: ParsedNotification): NotificationOutcome {
  if (parsed.kind !== 'valid') return parsed.kind;
  const payment = known.get(parsed.paymentId);
  if (!payment) return 'not-found';
  if (payment.amount !== parsed.amount) return 'invalid-amount';
  if (payment.state !== 'pending') return 'already-confirmed';
  payment.state = parsed.paid ? 'paid' : 'failed';
  return 'confirmed';
}

function input(amount = 150_000, over: Partial<CreatePaymentInput> = {}): CreatePaymentInput {
  const createdAt = new Date();
  return {
    paymentId: randomUUID(),
    dossierCode: 'H46.22-261123-0001',
    amount,
    lines: [{ code: 'LP01', name: 'Lệ phí cấp đổi', kind: 'fee', amount }],
    payer: { name: 'Nguyễn Văn An', idNumber: '046090001234' },
    returnUrl: 'https://dvc.example.vn/thanh-toan/ket-qua?nguon=vnpay',
    description: 'Lệ phí cấp đổi giấy phép lái xe, hồ sơ H46.22-261123-0001',
    createdAt,
    expiresAt: new Date(createdAt.getTime() + 15 * 60_000),
    clientIp: '203.0.113.7',
    ...over,
  };
}

/** Creates the payment, tells the gateway about it, and opens the payer page as a browser would. */
async function opened(p: VnpayProvider, payment = input()): Promise<{ payment: CreatePaymentInput; url: URL }> {
  const created = await p.createPayment(payment);
  if (created.kind !== 'ok') throw new Error(`createPayment: ${created.kind}`);
  known.set(payment.paymentId, { amount: payment.amount, state: 'pending' });
  const res = await request(created.paymentUrl);
  expect(res.statusCode).toBe(200);
  await res.body.dump();
  return { payment, url: new URL(created.paymentUrl) };
}

beforeAll(async () => {
  gateway = createServer((req, res) => {
    const query = Object.fromEntries(new URL(req.url ?? '/', 'http://gateway').searchParams);
    const p = providers[0] ?? provider();
    const parsed = p.parseNotification({ method: 'GET', query, body: Buffer.alloc(0), contentType: undefined });
    const outcome = verdict(parsed);
    received.push({ parsed, outcome });
    const answer = p.answer(outcome, parsed);
    res.writeHead(answer.status, { 'content-type': answer.contentType });
    res.end(answer.body);
  });
  await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
  ipnUrl = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}/v1/payments/notifications/vnpay`;
  sim = await startVnpaySimulator({ tmnCode, hashSecret, ipnUrl });
});
afterAll(async () => {
  await sim.close();
  await new Promise<void>((resolve) => gateway.close(() => resolve()));
});
afterEach(async () => {
  await Promise.all(providers.splice(0).map((p) => p.close()));
  sim.faults.clear();
  sim.setIpnUrl(ipnUrl);
  sim.payments.clear();
  sim.ipns.length = 0;
  known.clear();
  received.length = 0;
});

describe('createPayment', () => {
  it('builds the signed redirect URL without a network call, amounts in VND × 100, times in GMT+7', async () => {
    const payment = input(150_000, { createdAt: new Date('2026-11-23T03:04:05Z'), expiresAt: new Date('2026-11-23T03:19:05Z') });
    const created = await provider({ payUrl: 'http://127.0.0.1:9/paymentv2/vpcpay.html' }).createPayment(payment);
    expect(created.kind).toBe('ok');
    const url = new URL(created.kind === 'ok' ? created.paymentUrl : '');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      vnp_Version: '2.1.0',
      vnp_Command: 'pay',
      vnp_TmnCode: tmnCode,
      vnp_Amount: '15000000',
      vnp_CurrCode: 'VND',
      vnp_TxnRef: payment.paymentId,
      vnp_OrderInfo: 'Le phi cap doi giay phep lai xe, ho so H46.22-261123-0001',
      vnp_OrderType: 'other',
      vnp_Locale: 'vn',
      vnp_ReturnUrl: payment.returnUrl,
      vnp_IpAddr: '203.0.113.7',
      vnp_CreateDate: '20261123100405',
      vnp_ExpireDate: '20261123101905',
      vnp_SecureHash: expect.stringMatching(/^[0-9a-f]{128}$/),
    });
    // The hash is the last parameter and covers all the others.
    expect(url.search).toMatch(/&vnp_SecureHash=[0-9a-f]{128}$/);
    const { vnp_SecureHash, ...rest } = Object.fromEntries(url.searchParams);
    expect(vnp_SecureHash).toBe(secureHash(rest, hashSecret));
  });

  it('is accepted by the payer page, which shows the order; a changed amount is refused as a bad signature', async () => {
    const { payment, url } = await opened(provider());
    expect(sim.payments.get(payment.paymentId)).toMatchObject({ amount: 15_000_000, state: 'pending', createDate: toVnpDate(payment.createdAt) });
    const again = await request(url.toString());
    const html = await again.body.text();
    expect(html).toContain('150.000 VND');
    expect(html).toContain('action="/paymentv2/pay"');
    expect(html).toContain('action="/paymentv2/cancel"');
    url.searchParams.set('vnp_Amount', '100');
    const tampered = await request(url.toString());
    expect(tampered.statusCode).toBe(400);
    expect(await tampered.body.text()).toContain('Sai chữ ký');
  });

  it('refuses what VNPay cannot take: a fraction of a đồng, no amount, a long or odd payment id', async () => {
    const p = provider();
    for (const bad of [input(1.5), input(0), input(100, { paymentId: 'x'.repeat(37) }), input(100, { paymentId: 'a&b' })]) {
      expect(await p.createPayment(bad)).toMatchObject({ kind: 'refused', code: 'invalid-input' });
    }
  });
});

describe('IPN', () => {
  it('pay: the signed GET reaches the gateway, parseNotification reads it, answer(confirmed) says 00', async () => {
    const p = provider();
    const { payment } = await opened(p);
    await sim.pay(payment.paymentId);
    expect(sim.ipns).toHaveLength(1);
    expect(sim.ipns[0]?.answer).toEqual({ RspCode: '00', Message: 'Confirm Success' });
    expect(sim.ipns[0]?.url.startsWith(`${ipnUrl}?vnp_Amount=15000000&`)).toBe(true);
    const parsed = received[0]?.parsed;
    expect(parsed).toMatchObject({ kind: 'valid', paymentId: payment.paymentId, amount: 150_000, paid: true, bankCode: 'NCB', resultCode: '00' });
    const txn = sim.payments.get(payment.paymentId);
    expect(parsed?.kind === 'valid' && parsed.providerTxnId).toBe(txn?.transactionNo);
    expect(parsed?.kind === 'valid' && parsed.paidAt && toVnpDate(parsed.paidAt)).toBe(txn?.payDate);
    expect(known.get(payment.paymentId)?.state).toBe('paid');
  });

  it('the payer page: pay sends the browser back with a signed result, and the IPN follows', async () => {
    const { payment } = await opened(provider());
    const res = await request(`${new URL(sim.payUrl).origin}/paymentv2/pay`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `txnRef=${payment.paymentId}`,
    });
    expect(res.statusCode).toBe(302);
    await res.body.dump();
    const back = new URL(String(res.headers.location));
    expect(back.origin + back.pathname).toBe('https://dvc.example.vn/thanh-toan/ket-qua');
    expect(back.searchParams.get('nguon')).toBe('vnpay');
    const { nguon: _ours, ...vnp } = Object.fromEntries(back.searchParams);
    expect(provider().parseNotification({ method: 'GET', query: vnp, body: Buffer.alloc(0), contentType: undefined })).toMatchObject({ kind: 'valid', paid: true, amount: 150_000 });
    await vi.waitFor(() => expect(sim.ipns[0]?.answer).toEqual({ RspCode: '00', Message: 'Confirm Success' }));
  });

  it('cancel: a valid notification that says not paid (24)', async () => {
    const { payment } = await opened(provider());
    await sim.cancel(payment.paymentId);
    expect(received[0]?.parsed).toMatchObject({ kind: 'valid', paid: false, resultCode: '24', amount: 150_000 });
    expect(received[0]?.parsed).not.toHaveProperty('paidAt');
    expect(known.get(payment.paymentId)?.state).toBe('failed');
  });

  it('duplicate: the second copy is answered 02', async () => {
    const { payment } = await opened(provider());
    sim.faults.set({ duplicateIpn: true });
    await sim.pay(payment.paymentId);
    expect(sim.ipns.map((i) => i.answer)).toEqual([
      { RspCode: '00', Message: 'Confirm Success' },
      { RspCode: '02', Message: 'Order already confirmed' },
    ]);
  });

  it('late: nothing at first, then the IPN', async () => {
    const { payment } = await opened(provider());
    sim.faults.set({ lateIpnMs: 300 });
    await sim.pay(payment.paymentId);
    expect(sim.ipns).toHaveLength(0);
    await vi.waitFor(() => expect(sim.ipns[0]?.answer).toEqual({ RspCode: '00', Message: 'Confirm Success' }), { timeout: 3_000 });
  });

  it('wrong amount: signed correctly, answered 04', async () => {
    const { payment } = await opened(provider());
    sim.faults.set({ wrongAmount: true });
    await sim.pay(payment.paymentId);
    expect(received[0]?.parsed).toMatchObject({ kind: 'valid', amount: 151_000 });
    expect(sim.ipns[0]?.answer).toEqual({ RspCode: '04', Message: 'invalid amount' });
    expect(known.get(payment.paymentId)?.state).toBe('pending');
  });

  it('bad signature: answered 97', async () => {
    const { payment } = await opened(provider());
    sim.faults.set({ badSignature: true });
    await sim.pay(payment.paymentId);
    expect(received[0]?.parsed).toEqual({ kind: 'invalid-signature' });
    expect(sim.ipns[0]?.answer).toEqual({ RspCode: '97', Message: 'Invalid signature' });
  });

  it('never sent: no IPN, and querydr tells the payment was made', async () => {
    const p = provider();
    const { payment } = await opened(p);
    sim.faults.set({ neverNotify: true });
    await sim.pay(payment.paymentId);
    expect(sim.ipns).toHaveLength(0);
    const answer = await p.query(payment);
    expect(answer).toMatchObject({ kind: 'ok', state: 'paid', amount: 150_000, providerTxnId: sim.payments.get(payment.paymentId)?.transactionNo });
    expect(answer.kind === 'ok' && answer.paidAt && toVnpDate(answer.paidAt)).toBe(sim.payments.get(payment.paymentId)?.payDate);
  });

  it('an order the gateway does not know is answered 01', async () => {
    const { payment } = await opened(provider());
    known.delete(payment.paymentId);
    await sim.pay(payment.paymentId);
    expect(sim.ipns[0]?.answer).toEqual({ RspCode: '01', Message: 'Order not found' });
  });
});

describe('parseNotification and answer', () => {
  const sign = (q: Record<string, string>) => ({ ...q, vnp_SecureHash: secureHash(q, hashSecret) });
  const base = { vnp_TxnRef: 'P-1', vnp_ResponseCode: '00', vnp_TransactionStatus: '00', vnp_TmnCode: tmnCode, vnp_TransactionNo: '14000001', vnp_PayDate: '20261123100405' };
  const parse = (query: Record<string, string>) => provider().parseNotification({ method: 'GET', query, body: Buffer.alloc(0), contentType: undefined });

  it('converts vnp_Amount back to VND and refuses one that is not whole đồng', () => {
    expect(parse(sign({ ...base, vnp_Amount: '1806000' }))).toMatchObject({ kind: 'valid', amount: 18_060, paidAt: new Date('2026-11-23T03:04:05Z') });
    expect(parse(sign({ ...base, vnp_Amount: '1806050' }))).toMatchObject({ kind: 'malformed' });
    expect(parse(sign({ ...base, vnp_Amount: '-100' }))).toMatchObject({ kind: 'malformed' });
    expect(parse(sign({ ...base, vnp_Amount: '100', vnp_TmnCode: 'OTHERTMN' }))).toMatchObject({ kind: 'malformed' });
    expect(parse({ ...base, vnp_Amount: '100' })).toEqual({ kind: 'invalid-signature' });
    expect(toVnpAmount(18_060)).toBe('1806000');
    expect(fromVnpAmount('1806000')).toBe(18_060);
    expect(fromVnpAmount('1')).toBeUndefined();
  });

  it('answers each outcome as VNPay expects: HTTP 200, JSON RspCode and Message', () => {
    const p = provider();
    const codes = (['confirmed', 'not-found', 'already-confirmed', 'invalid-amount', 'invalid-signature', 'malformed', 'error'] as const).map((o) => {
      const a = p.answer(o, undefined);
      expect(a.status).toBe(200);
      expect(a.contentType).toMatch(/^application\/json/);
      return JSON.parse(a.body) as { RspCode: string };
    });
    expect(codes.map((c) => c.RspCode)).toEqual(['00', '01', '02', '04', '97', '99', '99']);
    expect(p.answer('confirmed', undefined).body).toBe('{"RspCode":"00","Message":"Confirm Success"}');
  });
});

describe('query (querydr)', () => {
  it('pending while the payer is on the page, paid after paying, failed after cancelling', async () => {
    const p = provider();
    const a = await opened(p);
    expect(await p.query(a.payment)).toMatchObject({ kind: 'ok', state: 'pending', amount: 150_000 });
    await sim.pay(a.payment.paymentId);
    expect(await p.query(a.payment)).toMatchObject({ kind: 'ok', state: 'paid', amount: 150_000 });
    const b = await opened(p, input(20_000));
    await sim.cancel(b.payment.paymentId);
    expect(await p.query(b.payment)).toMatchObject({ kind: 'ok', state: 'failed', amount: 20_000 });
  });

  it('pending when VNPay does not know the transaction (91): the payer never opened the page', async () => {
    const p = provider();
    const payment = input();
    expect(await p.query(payment)).toEqual({ kind: 'ok', state: 'pending' });
    // VNPay finds it by reference and creation time; another time is another transaction.
    const { payment: made } = await opened(p);
    expect(await p.query({ ...made, createdAt: new Date(made.createdAt.getTime() - 1_000) })).toEqual({ kind: 'ok', state: 'pending' });
  });

  it('unavailable: HTTP 500, another secret (97), a closed port, a wrong URL', async () => {
    const { payment } = await opened(provider());
    sim.faults.set({ failNextCalls: 1 });
    expect(await provider().query(payment)).toEqual({ kind: 'unavailable', reason: 'HTTP 500' });
    expect(await provider({ hashSecret: 'another-secret' }).query(payment)).toMatchObject({ kind: 'unavailable' });
    expect(await provider({ apiUrl: 'http://127.0.0.1:9/merchant_webapi/api/transaction' }).query(payment)).toMatchObject({ kind: 'unavailable', reason: expect.stringMatching(/^network error/) });
    expect(await provider({ apiUrl: `${new URL(sim.apiUrl).origin}/nowhere` }).query(payment)).toEqual({ kind: 'unavailable', reason: 'HTTP 404' });
  });
});

describe('statement', () => {
  const today = () => toVnpDate(new Date()).slice(0, 8).replace(/^(\d{4})(\d{2})(\d{2})$/, '$1-$2-$3');

  it("lists the day's paid transactions in VND, not the cancelled or pending ones", async () => {
    const p = provider();
    const paid = await opened(p, input(150_000));
    const cancelled = await opened(p, input(30_000));
    await opened(p, input(40_000));
    await sim.pay(paid.payment.paymentId);
    await sim.cancel(cancelled.payment.paymentId);
    const answer = await p.statement(today());
    expect(answer).toEqual({
      kind: 'ok',
      transactions: [{ paymentId: paid.payment.paymentId, providerTxnId: sim.payments.get(paid.payment.paymentId)?.transactionNo, amount: 150_000, paidAt: expect.any(Date) }],
    });
    expect(await p.statement('2020-01-01')).toEqual({ kind: 'ok', transactions: [] });
  });

  it('unavailable: no statement URL, not a day, HTTP 500, another secret', async () => {
    expect(await provider({ statementUrl: undefined }).statement(today())).toMatchObject({ kind: 'unavailable' });
    expect(await provider().statement('2026-02-31')).toMatchObject({ kind: 'unavailable' });
    sim.faults.set({ failNextCalls: 1 });
    expect(await provider().statement(today())).toEqual({ kind: 'unavailable', reason: 'HTTP 500' });
    expect(await provider({ hashSecret: 'another-secret' }).statement(today())).toEqual({ kind: 'unavailable', reason: 'statement: HTTP 403' });
  });
});
