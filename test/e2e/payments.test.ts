// Fee payments end to end, for both providers: the one-stop system asks, the payer pays on the
// provider's (simulated) page, the notification arrives and is applied once, the dossier's fees are
// paid, and the webhook and the national portal are each told once. Then duplicates racing on
// PostgreSQL, every refusal in the provider's own terms, expiry, and reconciliation.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signMessage, startNationalPaymentSimulator, toTransactionTime, type NationalPaymentSimulator } from '../../adapters/payment/national/index.js';
import { startVnpaySimulator, type VnpaySimulator } from '../../adapters/payment/vnpay/index.js';
import type { PaymentRequest } from '../../schemas/payment.js';
import { sampleDossier } from '../support/dossiers.js';
import { KEYS, eventually, startTestGateway, type TestGateway } from '../support/gateway.js';

const NATIONAL = { partnerCode: 'HNI01', secret: 'test-national-secret', token: 'test-national-token' };
const VNPAY = { tmnCode: 'TESTTMN1', hashSecret: 'TESTHASHSECRET0123456789ABCDEFGH' };

function paymentRequest(dossierCode: string, provider: 'national' | 'vnpay', lines = [{ code: 'LP01', name: 'Lệ phí cấp bản sao', kind: 'fee' as const, amount: 8_000 }]): PaymentRequest {
  return { dossierCode, lines, provider, returnUrl: 'https://motcua.hanoi.example.vn/thanh-toan/ket-qua', payer: { name: 'Trần Văn Minh', idNumber: '001090012345' }, clientIp: '203.0.113.7' };
}

describe('payments through the national payment platform and a VNPay-like gateway (postgres)', () => {
  let national: NationalPaymentSimulator;
  let vnpay: VnpaySimulator;
  let gw: TestGateway;
  let receiver: Server;
  const webhooks: { type: string; paymentId?: string }[] = [];

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        webhooks.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    national = await startNationalPaymentSimulator(NATIONAL);
    vnpay = await startVnpaySimulator(VNPAY);
    gw = await startTestGateway({
      engine: 'postgres',
      webhookUrl: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`,
      env: {
        NATIONAL_PAYMENT_URL: national.url,
        NATIONAL_PAYMENT_PARTNER_CODE: NATIONAL.partnerCode,
        NATIONAL_PAYMENT_SECRET: NATIONAL.secret,
        NATIONAL_PAYMENT_TOKEN: NATIONAL.token,
        VNPAY_PAY_URL: vnpay.payUrl,
        VNPAY_API_URL: vnpay.apiUrl,
        VNPAY_STATEMENT_URL: vnpay.statementUrl,
        VNPAY_TMN_CODE: VNPAY.tmnCode,
        VNPAY_HASH_SECRET: VNPAY.hashSecret,
        // Long enough that the refusal tests see their payments untouched, short enough for the lost-notification test.
        PAYMENT_QUERY_AFTER_MS: '3000',
        PAYMENT_CHECK_INTERVAL_MS: '300',
        PAYMENT_EXPIRY_MINUTES: '1',
      },
    });
    national.setNotifyUrl(`${gw.url}/v1/payments/notifications/national`);
    vnpay.setIpnUrl(`${gw.url}/v1/payments/notifications/vnpay`);
  });
  afterAll(async () => {
    await gw?.close();
    await national?.close();
    await vnpay?.close();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  const payment = async (id: string) => (await gw.call('GET', `/v1/payments/${id}`, { key: KEYS.oneStop })).body;
  const told = (id: string) => webhooks.filter((w) => w.type === 'payment.paid' && w.paymentId === id).length;

  async function payFor(code: string, provider: 'national' | 'vnpay'): Promise<string> {
    expect((await gw.call('POST', '/v1/dossiers', { key: KEYS.oneStop, body: sampleDossier(code) })).status).toBe(202);
    const created = await gw.call('POST', '/v1/payments', { key: KEYS.oneStop, body: paymentRequest(code, provider) });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ state: 'pending', amount: 8_000 });
    expect(created.body.paymentUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
    // The payer opens the provider's page, a real page of the simulator.
    expect((await fetch(created.body.paymentUrl)).status).toBe(200);
    return created.body.id as string;
  }

  for (const provider of ['national', 'vnpay'] as const) {
    it(`${provider}: request, pay on the provider's page, the notification marks the fees paid; webhook and portal told once`, async () => {
      const code = `PAY-${provider.toUpperCase()}-1`;
      const id = await payFor(code, provider);
      await (provider === 'national' ? national.pay(id) : vnpay.pay(id));
      await eventually(async () => (await payment(id)).state === 'paid', 'paid');
      await eventually(() => told(id) === 1, 'webhook told');
      await eventually(async () => {
        const dossier = (await gw.call('GET', `/v1/dossiers/${code}`, { key: KEYS.oneStop })).body;
        return dossier.dossier.fees?.[0]?.paidOnline === true && dossier.deliveries.length === 2 && dossier.deliveries.every((d: { state: string }) => d.state === 'delivered');
      }, 'the portal got the paid fee');
      expect(gw.sim.dossiers.get(code)?.DuocThanhToanTrucTuyen).toBe('1');
      if (provider === 'national') {
        // The platform's electronic receipt (GET_BILL) is kept with the payment.
        await eventually(async () => (await payment(id)).receipt, 'receipt kept');
        const pdf = await fetch(`${gw.url}/v1/payments/${id}/receipt`, { headers: { 'x-api-key': KEYS.oneStop } });
        expect(Buffer.from(await pdf.arrayBuffer()).subarray(0, 5).toString()).toBe('%PDF-');
      }
      await new Promise((r) => setTimeout(r, 500));
      expect(told(id)).toBe(1);
    });
  }

  it('refuses to charge a fee line the dossier already paid', async () => {
    const again = await gw.call('POST', '/v1/payments', { key: KEYS.oneStop, body: paymentRequest('PAY-NATIONAL-1', 'national') });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('fee-already-paid');
  });

  it('applies duplicate and concurrent notifications once (PostgreSQL, where requests really race)', async () => {
    national.faults.set({ duplicateNotification: true });
    vnpay.faults.set({ duplicateIpn: true });
    const ids = [await payFor('PAY-DUP-N', 'national'), await payFor('PAY-DUP-V', 'vnpay')];
    await Promise.all([national.pay(ids[0]!), vnpay.pay(ids[1]!)]);
    for (const id of ids) await eventually(async () => (await payment(id)).state === 'paid', 'paid');
    await new Promise((r) => setTimeout(r, 800));
    for (const id of ids) expect(told(id)).toBe(1);
    const answers = national.notifications.filter((n) => n.body.MaThamChieu === ids[0]).map((n) => n.answer?.MaLoi);
    expect(answers.sort()).toEqual(['00', '02']);
    national.faults.clear();
    vnpay.faults.clear();
  });

  it('applies eight copies of one notification sent at the same instant once: one 00, seven 02 (PostgreSQL row lock)', async () => {
    const id = await payFor('PAY-RACE-N', 'national');
    const body: Record<string, unknown> = {
      LoaiBanTin: 'NOTIFY',
      MaLoi: '00',
      MaDoiTac: NATIONAL.partnerCode,
      MaThamChieu: id,
      SoTien: 8_000,
      MaTienTe: 'VND',
      MaGiaoDich: 'GD-RACE-1',
      MaNganHang: 'VCB',
      ThoiGianGD: toTransactionTime(new Date()),
      ThongTinGiaoDich: 'race',
    };
    body.MaXacThuc = signMessage('NOTIFY', body, NATIONAL.secret);
    const answers = await Promise.all(Array.from({ length: 8 }, () => gw.call('POST', '/v1/payments/notifications/national', { body })));
    expect(answers.map((a) => a.body.MaLoi).sort()).toEqual(['00', '02', '02', '02', '02', '02', '02', '02']);
    await eventually(() => told(id) === 1, 'webhook told');
    await new Promise((r) => setTimeout(r, 500));
    expect(told(id)).toBe(1);
    const [fees] = await gw.gateway.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM paid_fees WHERE dossier_code = 'PAY-RACE-N'`);
    expect(fees!.n).toBe(1);
  });

  it("refuses a wrong amount and a bad signature in each provider's terms, changing nothing", async () => {
    // Each payment is paid once on the provider's side; the fault changes what reaches the gateway.
    const tried: { id: string; answer: () => string | undefined; expected: string }[] = [];
    for (const [fault, expected] of [['wrongAmount', '04'], ['badSignature', '97']] as const) {
      const n = await payFor(`PAY-BAD-N-${fault}`, 'national');
      national.faults.set({ [fault]: true });
      await national.pay(n);
      national.faults.clear();
      tried.push({ id: n, expected, answer: () => String(national.notifications.find((x) => x.body.MaThamChieu === n)?.answer?.MaLoi) });
      const v = await payFor(`PAY-BAD-V-${fault}`, 'vnpay');
      vnpay.faults.set({ [fault === 'wrongAmount' ? 'wrongAmount' : 'badSignature']: true });
      await vnpay.pay(v);
      vnpay.faults.clear();
      tried.push({ id: v, expected, answer: () => (vnpay.ipns.find((x) => x.url.includes(v))?.answer as { RspCode?: string } | undefined)?.RspCode });
    }
    for (const t of tried) {
      expect(t.answer()).toBe(t.expected);
      expect((await payment(t.id)).state).not.toBe('paid');
      expect(told(t.id)).toBe(0);
    }
  });

  it("answers an unknown payment and a replayed old notification in the provider's terms", async () => {
    const unknown = await gw.call('GET', `/v1/payments/notifications/vnpay?vnp_TxnRef=00000000-0000-0000-0000-000000000000&vnp_Amount=100`);
    expect(unknown.status).toBe(200);
    expect(['97', '99', '01']).toContain(unknown.body.RspCode);
    const paidIpn = vnpay.ipns.find((x) => x.url.includes((webhooks.find((w) => w.type === 'payment.paid')?.paymentId) ?? 'none'));
    if (paidIpn) {
      const replay = await gw.call('GET', new URL(paidIpn.url).pathname + new URL(paidIpn.url).search);
      expect(replay.body.RspCode).toBe('02');
    }
  });

  it('checks a payment whose notification never came with the provider query, and closes one that expired unpaid', async () => {
    national.faults.set({ neverNotify: true });
    const lost = await payFor('PAY-LOST-N', 'national');
    await national.pay(lost);
    national.faults.clear();
    await eventually(async () => (await payment(lost)).state === 'paid', 'found paid by query', 15_000);
    expect(told(lost)).toBeLessThanOrEqual(1);
  });

  it('reconciles a day: a planted missing transaction and a planted amount mismatch are reported by a reconciliation job, as JSON and as a spreadsheet', async () => {
    const day = new Date(Date.now() + 7 * 3_600_000).toISOString().slice(0, 10);
    // Plant: one paid payment the provider never had, and one whose amount we recorded differently.
    await gw.gateway.db.query(
      `INSERT INTO payments (id, partner_id, dossier_code, provider, amount, lines, payer, return_url, state, provider_txn_id, paid_at, expires_at)
       VALUES (gen_random_uuid(), 'hanoi-one-stop', 'PAY-PLANTED', 'national', 12000, '[]', '{}', 'https://x', 'paid', 'NONE', now(), now())`,
    );
    const [changed] = await gw.gateway.db.query<{ id: string }>(`UPDATE payments SET amount = amount + 1000 WHERE dossier_code = 'PAY-NATIONAL-1' RETURNING id`);
    const response = await gw.call('POST', '/v1/admin/reconciliations', { key: KEYS.admin, body: { provider: 'national', day } });
    expect(response.status, JSON.stringify(response.body)).toBe(202);
    const location = `/v1/admin/reconciliations/${response.body.id}`;
    expect(response.headers.location).toBe(location);
    expect(['queued', 'running', 'done']).toContain(response.body.state);
    // The worker runs the job; its report is what the synchronous call used to answer.
    const job = await eventually(async () => {
      const seen = await gw.call('GET', location, { key: KEYS.admin });
      return seen.body.state === 'done' || seen.body.state === 'failed' ? seen.body : undefined;
    }, 'the reconciliation job finishes');
    expect(job, JSON.stringify(job)).toMatchObject({ state: 'done', provider: 'national', day, progress: { stepsDone: 4, stepsTotal: 4 } });
    const report = job.result;
    expect(report.id).toBe(job.id);
    expect(report.missingAtProvider.map((l: { paymentId: string }) => l.paymentId).length).toBeGreaterThanOrEqual(1);
    expect(report.amountMismatches.map((l: { paymentId: string }) => l.paymentId)).toContain(changed!.id);
    expect(report.summary.matched).toBeGreaterThanOrEqual(1);
    const csv = await fetch(`${gw.url}/v1/admin/reconciliations/${report.id}?format=csv`, { headers: { 'x-api-key': KEYS.admin } });
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const bytes = Buffer.from(await csv.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(bytes.toString('utf8')).toContain('Lệch số tiền / Amount mismatch');
    const metrics = await gw.call('GET', '/metrics', { key: KEYS.admin });
    expect(String(metrics.body)).toMatch(/lgsp_reconciliation_mismatches_total\{provider="national"\} [1-9]/);
  });

  it('answers an unknown reconciliation with a 404 problem, and a one-stop system with 403', async () => {
    const unknown = await gw.call('GET', '/v1/admin/reconciliations/99999999-9999-4999-8999-999999999999', { key: KEYS.admin });
    expect(unknown.status).toBe(404);
    expect(unknown.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(unknown.body.code).toBe('reconciliation-not-found');
    const asked = await gw.call('POST', '/v1/admin/reconciliations', { key: KEYS.oneStop, body: { provider: 'national', day: '2026-11-20' } });
    expect(asked.status).toBe(403);
    expect(asked.body.code).toBe('forbidden-role');
    const read = await gw.call('GET', '/v1/admin/reconciliations/99999999-9999-4999-8999-999999999999', { key: KEYS.oneStop });
    expect(read.status).toBe(403);
  });

  it('a failed reconciliation says why, and has no spreadsheet (409 problem)', async () => {
    const [failed] = await gw.gateway.db.query<{ id: string }>(
      `INSERT INTO reconciliation_jobs (id, provider, day, state, progress, attempts, error, requested_by, started_at, finished_at)
       VALUES (gen_random_uuid(), 'national', '2026-01-02', 'failed', '{"stepsDone":1,"stepsTotal":4,"gatewayPayments":0,"providerTransactions":0}', 1, 'the national statement for 2026-01-02 is unavailable: HTTP 503', 'ops', now(), now()) RETURNING id`,
    );
    const job = await gw.call('GET', `/v1/admin/reconciliations/${failed!.id}`, { key: KEYS.admin });
    expect(job.status).toBe(200);
    expect(job.body).toMatchObject({ state: 'failed', error: 'the national statement for 2026-01-02 is unavailable: HTTP 503', progress: { stepsDone: 1 } });
    expect(job.body.result).toBeUndefined();
    const csv = await gw.call('GET', `/v1/admin/reconciliations/${failed!.id}?format=csv`, { key: KEYS.admin });
    expect(csv.status).toBe(409);
    expect(csv.body).toMatchObject({ code: 'reconciliation-not-done', state: 'failed' });
  });
});
