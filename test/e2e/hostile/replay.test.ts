// Replayed callbacks (docs/callbacks.md): a callback dated outside the window (its provider's own
// time: ThoiGianGD, vnp_PayDate, EventTime; with CALLBACK_CLOCK_SKEW_SECONDS of allowance) is refused
// in the provider's terms; one whose message id was already seen is answered as before and changes
// nothing. Every notification here is correctly signed: the attacker replays what the provider sent.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signMessage, startNationalPaymentSimulator, toTransactionTime, type NationalPaymentSimulator } from '../../../adapters/payment/national/index.js';
import { secureHash, startVnpaySimulator, toVnpDate, type VnpaySimulator } from '../../../adapters/payment/vnpay/index.js';
import { startPostalSimulator, toEventTime, type PostalSimulator } from '../../../adapters/postal-bcci/index.js';
import { JWS_HEADER, signDetachedJws } from '../../../src/crypto/jws.js';
import { sampleDossier } from '../../support/dossiers.js';
import { KEYS, eventually, startTestGateway, type TestGateway } from '../../support/gateway.js';
import { testPki, type TestPki } from '../../support/pki.js';
import { expectProblem, leavesNoTrace } from './support.js';

const NATIONAL = { partnerCode: 'HNI01', secret: 'test-national-secret', token: 'test-national-token' };
const VNPAY = { tmnCode: 'TESTTMN1', hashSecret: 'TESTHASHSECRET0123456789ABCDEFGH' };
const CONSUMER = { key: 'test-consumer', secret: 'test-consumer-secret' };
const HOUR = 3_600_000;

describe('replayed and stale callbacks (pglite)', () => {
  let pki: TestPki;
  let national: NationalPaymentSimulator;
  let vnpay: VnpaySimulator;
  let postal: PostalSimulator;
  let gw: TestGateway;
  let receiver: Server;
  const webhooks: { type: string; paymentId?: string }[] = [];

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
    national = await startNationalPaymentSimulator(NATIONAL);
    vnpay = await startVnpaySimulator(VNPAY);
    postal = await startPostalSimulator({ consumers: [CONSUMER], customerCode: 'HNI' });
    gw = await startTestGateway({
      engine: 'pglite',
      webhookUrl: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`,
      env: {
        NATIONAL_PAYMENT_URL: national.url,
        NATIONAL_PAYMENT_PARTNER_CODE: NATIONAL.partnerCode,
        NATIONAL_PAYMENT_SECRET: NATIONAL.secret,
        NATIONAL_PAYMENT_TOKEN: NATIONAL.token,
        VNPAY_PAY_URL: vnpay.payUrl,
        VNPAY_API_URL: vnpay.apiUrl,
        VNPAY_TMN_CODE: VNPAY.tmnCode,
        VNPAY_HASH_SECRET: VNPAY.hashSecret,
        // Nobody pays: the gateway must not ask the providers about these payments meanwhile.
        PAYMENT_QUERY_AFTER_MS: String(24 * HOUR),
        POSTAL_URL: postal.url,
        POSTAL_TOKEN_URL: postal.tokenUrl,
        POSTAL_CONSUMER_KEY: CONSUMER.key,
        POSTAL_CONSUMER_SECRET: CONSUMER.secret,
        POSTAL_CUSTOMER_CODE: 'HNI',
        POSTAL_POLL_INTERVAL_MS: String(HOUR),
        CALLBACK_WINDOW_SECONDS: String(24 * 3600),
        CALLBACK_CLOCK_SKEW_SECONDS: '300',
      },
    });
  });
  afterAll(async () => {
    await gw?.close();
    await national?.close();
    await vnpay?.close();
    await postal?.close();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  /** Waits until every outbound message is delivered, so that a footprint taken next stays still. */
  const quiet = () =>
    eventually(async () => (await gw.gateway.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM messages WHERE state NOT IN ('delivered', 'superseded')`))[0]!.n === 0, 'all delivered');

  async function paymentFor(code: string, provider: 'national' | 'vnpay'): Promise<string> {
    expect((await gw.call('POST', '/v1/dossiers', { key: KEYS.oneStop, body: sampleDossier(code) })).status).toBe(202);
    await quiet();
    const created = await gw.call('POST', '/v1/payments', {
      key: KEYS.oneStop,
      body: { dossierCode: code, provider, lines: [{ code: 'LP01', name: 'Lệ phí', kind: 'fee', amount: 8_000 }], returnUrl: 'https://motcua.hanoi.example.vn/kq', payer: { name: 'Trần Văn Minh', idNumber: '001090012345' }, clientIp: '203.0.113.7' },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body.id as string;
  }
  const state = async (id: string) => (await gw.call('GET', `/v1/payments/${id}`, { key: KEYS.oneStop })).body.state as string;

  const nationalNotice = (id: string, at: Date, overrides: Record<string, unknown> = {}) => {
    const body: Record<string, unknown> = {
      LoaiBanTin: 'NOTIFY', MaLoi: '00', MaDoiTac: NATIONAL.partnerCode, MaThamChieu: id, SoTien: 8_000, MaTienTe: 'VND',
      MaGiaoDich: `GD-${id.slice(0, 8)}`, MaNganHang: 'VCB', ThoiGianGD: toTransactionTime(at), ThongTinGiaoDich: 'replay test', ...overrides,
    };
    return { ...body, MaXacThuc: signMessage('NOTIFY', body, NATIONAL.secret) };
  };
  const notifyNational = (body: unknown) => gw.call('POST', '/v1/payments/notifications/national', { body });
  const vnpayIpn = (id: string, at: Date) => {
    const q: Record<string, string> = { vnp_TmnCode: VNPAY.tmnCode, vnp_TxnRef: id, vnp_Amount: '800000', vnp_ResponseCode: '00', vnp_TransactionStatus: '00', vnp_TransactionNo: '14000001', vnp_BankCode: 'NCB', vnp_PayDate: toVnpDate(at) };
    return `/v1/payments/notifications/vnpay?${new URLSearchParams({ ...q, vnp_SecureHash: secureHash(q, VNPAY.hashSecret) })}`;
  };

  describe('payment notifications', () => {
    it('refuses a national notification paid 25 hours ago (ThoiGianGD outside the window) with MaLoi 03, leaving the payment pending', async () => {
      const id = await paymentFor('HOSTILE-RP-N1', 'national');
      const answer = await leavesNoTrace(gw, () => notifyNational(nationalNotice(id, new Date(Date.now() - 25 * HOUR))));
      expect(answer.body.MaLoi).toBe('03');
      expect(await state(id)).toBe('pending');
    });

    it('refuses a national notification dated 10 minutes ahead (beyond the 5-minute skew) with MaLoi 03', async () => {
      const id = await paymentFor('HOSTILE-RP-N2', 'national');
      const answer = await leavesNoTrace(gw, () => notifyNational(nationalNotice(id, new Date(Date.now() + 10 * 60_000))));
      expect(answer.body.MaLoi).toBe('03');
      expect(await state(id)).toBe('pending');
    });

    it('refuses a VNPay IPN whose vnp_PayDate is two days old with RspCode 99, leaving the payment pending', async () => {
      const id = await paymentFor('HOSTILE-RP-V1', 'vnpay');
      const answer = await leavesNoTrace(gw, () => gw.call('GET', vnpayIpn(id, new Date(Date.now() - 48 * HOUR))));
      expect(answer.body).toEqual({ RspCode: '99', Message: 'Unknow error' });
      expect(await state(id)).toBe('pending');
    });

    it('accepts a notification dated 2 minutes ahead (within the skew), then answers its replay 02 without a second record or webhook', async () => {
      const id = await paymentFor('HOSTILE-RP-N3', 'national');
      const notice = nationalNotice(id, new Date(Date.now() + 2 * 60_000));
      expect((await notifyNational(notice)).body.MaLoi).toBe('00');
      expect(await state(id)).toBe('paid');
      // Settling tells the portal and the one-stop system; let that finish before measuring.
      await quiet();
      const replay = await leavesNoTrace(gw, () => notifyNational(notice));
      expect(replay.body.MaLoi).toBe('02');
    });

    it('answers a replayed "payment failed" notification as before, adding no second record and no second webhook message', async () => {
      const id = await paymentFor('HOSTILE-RP-N4', 'national');
      const failed = nationalNotice(id, new Date(), { MaLoi: '09' });
      expect((await notifyNational(failed)).body.MaLoi).toBe('00');
      expect(await state(id)).toBe('failed');
      await quiet();
      expect(webhooks.filter((w) => w.type === 'payment.failed' && w.paymentId === id)).toHaveLength(1);
      const replay = await leavesNoTrace(gw, () => notifyNational(failed));
      expect(replay.body.MaLoi).toBe('02');
      expect(await state(id)).toBe('failed');
      expect(webhooks.filter((w) => w.type === 'payment.failed' && w.paymentId === id)).toHaveLength(1);
    });

    it('remembers seen notifications in Redis with a TTL of the window plus twice the skew, shared by every instance', async () => {
      const { Redis } = await import('ioredis');
      const redis = new Redis(gw.redisUrl);
      try {
        const keys = await redis.keys(`${gw.redisPrefix}:replay:payment:national:*`);
        expect(keys.length).toBeGreaterThanOrEqual(2);
        for (const key of keys) {
          const ttl = await redis.ttl(key);
          expect(ttl).toBeGreaterThan(24 * 3600);
          expect(ttl).toBeLessThanOrEqual(24 * 3600 + 600);
        }
      } finally {
        redis.disconnect();
      }
    });
  });

  describe('postal pushes', () => {
    let shipmentId: string;
    const push = (events: unknown[]) => {
      const body = Buffer.from(JSON.stringify({ OrderNumber: 'HOSTILE-RP-P1', Events: events }));
      const headers = { 'content-type': 'application/json', [JWS_HEADER]: signDetachedJws(body, pki.partners.postal.signer) };
      return { body, send: () => gw.call('POST', '/v1/postal/callbacks', { key: KEYS.postal, raw: body, headers }) };
    };
    const event = (id: string, code: string, at: Date) => ({ Id: id, ItemCode: 'EL000000001VN', StatusCode: code, StatusMessage: 'test', EventTime: toEventTime(at), POSID: '100000', Notes: null });

    beforeAll(async () => {
      expect((await gw.call('POST', '/v1/dossiers', { key: KEYS.oneStop, body: sampleDossier('HOSTILE-RP-P1') })).status).toBe(202);
      const created = await gw.call('POST', '/v1/postal/shipments', {
        key: KEYS.oneStop,
        body: {
          kind: 'pickup',
          dossierCode: 'HOSTILE-RP-P1',
          sender: { name: 'Nguyễn Thị Lan', phone: '0912345678', address: { line: 'Số 12 phố Kim Mã', provinceCode: '01', communeCode: '00004' } },
          receiver: { name: 'Bộ phận Một cửa', phone: '02438234567', address: { line: '25 Liễu Giai', provinceCode: '01', communeCode: '00004' } },
          procedure: { code: '1.001193', name: 'Cấp bản sao trích lục hộ tịch' },
        },
      });
      expect(created.status, JSON.stringify(created.body)).toBe(202);
      shipmentId = created.body.id;
      await eventually(async () => (await gw.call('GET', `/v1/postal/shipments/${shipmentId}`, { key: KEYS.oneStop })).body.orderState === 'created', 'ordered');
      await quiet();
    });

    it('refuses a push whose only EventTime is two days old with 400 callback-stale', async () => {
      expectProblem(await leavesNoTrace(gw, () => push([event('rp-1', '200', new Date(Date.now() - 48 * HOUR))]).send()), 400, 'callback-stale');
    });

    it('refuses a push with an EventTime an hour ahead of the clock with 400 callback-stale, even beside a fresh event', async () => {
      const response = await leavesNoTrace(gw, () => push([event('rp-2', '200', new Date()), event('rp-3', '201', new Date(Date.now() + HOUR))]).send());
      expectProblem(response, 400, 'callback-stale');
    });

    it('takes a backlog of old events when the newest is fresh, then acknowledges the same bytes replayed as duplicates, storing nothing more', async () => {
      const fresh = push([event('rp-4', '200', new Date(Date.now() - 30 * HOUR)), event('rp-5', '201', new Date())]);
      const first = await fresh.send();
      expect(first.status, JSON.stringify(first.body)).toBe(200);
      expect(first.body).toMatchObject({ received: 2 });
      await quiet();
      const replay = await leavesNoTrace(gw, () => fresh.send());
      expect(replay.status).toBe(200);
      expect(replay.body).toEqual({ received: 2, applied: 0, duplicate: 2, stale: 0, contradicting: 0 });
    });
  });

  it('records each refused replay as metadata only, with its code', async () => {
    const rows = await gw.gateway.db.query<{ error_code: string; body_sha256: string | null }>(`SELECT error_code, body_sha256 FROM message_log WHERE outcome = 'refused'`);
    const codes = new Set(rows.map((r) => r.error_code));
    expect(codes).toContain('callback-stale');
    expect(codes).toContain('callback-replayed');
    expect(rows.every((r) => r.body_sha256 === null)).toBe(true);
  });
});
