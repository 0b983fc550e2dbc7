// A flood of refusals is counted in full (lgsp_refusals_total) but recorded in the message log only as
// a sample: per source (partner, provider, or address) and code, the first REFUSALS_LOGGED_PER_MINUTE
// each minute one by one, the rest in one summary record whose `attempt` says how many it stands for.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UNLOGGED_REFUSALS_ENDPOINT } from '../../../src/audit/refusal-log.js';
import { KEYS, startTestGateway, type TestGateway } from '../../support/gateway.js';
import { footprint } from './support.js';

const PER_MINUTE = 5;
const FLOOD = 1000;
const VNPAY_ENV = { VNPAY_PAY_URL: 'http://127.0.0.1:9/pay', VNPAY_API_URL: 'http://127.0.0.1:9/api', VNPAY_TMN_CODE: 'TESTTMN1', VNPAY_HASH_SECRET: 'TESTHASHSECRET0123456789ABCDEFGH' };

describe('a flood of refusals (pglite)', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({
      engine: 'pglite',
      env: { REFUSALS_LOGGED_PER_MINUTE: String(PER_MINUTE), RATE_LIMIT_PARTNER_PER_MINUTE: '100000', RATE_LIMIT_ANONYMOUS_PER_MINUTE: '100000', ...VNPAY_ENV },
    });
  });
  afterAll(async () => gw?.close());

  async function flood(send: () => Promise<{ status: number }>, expected: number): Promise<void> {
    for (let sent = 0; sent < FLOOD; sent += 50) {
      const statuses = await Promise.all(Array.from({ length: 50 }, send));
      expect(new Set(statuses.map((s) => s.status))).toEqual(new Set([expected]));
    }
  }
  const counted = async (code: string) => {
    const text = (await gw.call('GET', '/metrics', { key: KEYS.admin })).body as string;
    return Number(new RegExp(`^lgsp_refusals_total\\{code="${code}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  };
  const records = (code: string) =>
    gw.gateway.db.query<{ endpoint: string; partner_id: string | null; attempt: number | null; body_sha256: string | null }>(
      `SELECT endpoint, partner_id, attempt, body_sha256 FROM message_log WHERE outcome = 'refused' AND error_code = $1`,
      [code],
    );

  /** At most the sample of two minutes (the flood may straddle a minute) and their summaries. */
  const bound = 2 * PER_MINUTE + 2;

  it(`records ${FLOOD} broken JSON bodies from one partner as a bounded sample, and counts all ${FLOOD}`, async () => {
    const before = await footprint(gw);
    await flood(() => gw.call('POST', '/v1/dossiers', { key: KEYS.oneStop, raw: '{"code":', headers: { 'content-type': 'application/json' } }), 400);
    await gw.gateway.app!.refusals.flush(true);
    const rows = await records('malformed-json');
    expect(rows.length).toBeLessThanOrEqual(bound);
    expect(rows.every((r) => r.partner_id === 'hanoi-one-stop' && r.body_sha256 === null)).toBe(true);
    const summaries = rows.filter((r) => r.endpoint === UNLOGGED_REFUSALS_ENDPOINT);
    expect(summaries.length).toBeGreaterThanOrEqual(1);
    // Every refusal is accounted for: recorded one by one, or inside a summary's count.
    expect(rows.length - summaries.length + summaries.reduce((n, r) => n + r.attempt!, 0)).toBe(FLOOD);
    expect(await counted('malformed-json')).toBe(FLOOD);
    expect(await footprint(gw)).toEqual(before);
  });

  it("still records another partner's refusal of the same code one by one during the flood", async () => {
    const response = await gw.call('POST', '/v1/dossiers', { key: KEYS.otherOneStop, raw: '{"code":', headers: { 'content-type': 'application/json' } });
    expect(response.status).toBe(400);
    const rows = (await records('malformed-json')).filter((r) => r.partner_id === 'other-one-stop');
    expect(rows).toEqual([{ endpoint: 'POST /v1/dossiers', partner_id: 'other-one-stop', attempt: null, body_sha256: null }]);
  });

  it(`records ${FLOOD} forged VNPay notifications (anonymous, bad checksum) as a bounded sample per provider`, async () => {
    await flood(() => gw.call('GET', '/v1/payments/notifications/vnpay?vnp_TxnRef=00000000-0000-4000-8000-000000000000&vnp_Amount=800000&vnp_SecureHash=00'), 200);
    await gw.gateway.app!.refusals.flush(true);
    const rows = await records('invalid-signature');
    expect(rows.length).toBeLessThanOrEqual(bound);
    expect(await counted('invalid-signature')).toBe(FLOOD);
  });

  it(`records ${FLOOD} unauthenticated writes from one address (refused before their broken bodies are read) as a bounded sample`, async () => {
    await flood(() => gw.call('POST', '/v1/dossiers', { raw: '{"code":', headers: { 'content-type': 'application/json' } }), 401);
    await gw.gateway.app!.refusals.flush(true);
    const rows = await records('unauthenticated');
    expect(rows.length).toBeLessThanOrEqual(bound);
    expect(rows.every((r) => r.partner_id === null)).toBe(true);
    expect(await counted('unauthenticated')).toBe(FLOOD);
  });

  /** Every refusal of `code` accounted for, on `endpoint` or in summaries, in a bounded number of records. */
  async function expectSampled(code: string, endpoint: RegExp): Promise<void> {
    await gw.gateway.app!.refusals.flush(true);
    const rows = await records(code);
    expect(rows.length).toBeLessThanOrEqual(bound);
    expect(rows.every((r) => r.body_sha256 === null && (r.endpoint === UNLOGGED_REFUSALS_ENDPOINT || endpoint.test(r.endpoint)))).toBe(true);
    const summaries = rows.filter((r) => r.endpoint === UNLOGGED_REFUSALS_ENDPOINT);
    expect(rows.length - summaries.length + summaries.reduce((n, r) => n + r.attempt!, 0)).toBe(FLOOD);
    expect(await counted(code)).toBe(FLOOD);
  }

  it(`records ${FLOOD} SOAP calls that are not XML, from one partner, as a bounded sample (the same sampler as /v1)`, async () => {
    let code: string | undefined;
    await flood(async () => {
      const answer = await gw.call('POST', '/soap/one-stop', { key: KEYS.oneStop, raw: 'not an envelope', headers: { 'content-type': 'text/xml' } });
      code = /<(?:\w+:)?code>([^<]+)<\/(?:\w+:)?code>/.exec(String(answer.body))?.[1] ?? code;
      return answer;
    }, 500);
    expect(code).toBeDefined();
    await expectSampled(code!, /^POST \/soap\/one-stop/);
  });

  it(`records ${FLOOD} portal-compatible writes with a session never opened as a bounded sample (the same sampler as /v1)`, async () => {
    const body = { session: 'ab'.repeat(24), madonvi: '000.00.12.H26', service: 'DongBoHoSoMC', isUpdating: 'False', data: [{ MaHoSo: '000.00.12.H26-251119-0001' }] };
    await flood(() => gw.call('POST', '/portal-compatible/integration', { body }), 200);
    await expectSampled('portal-compatible:-1', /^POST \/portal-compatible\/integration DongBoHoSoMC$/);
  });
});
