// The endpoints that answer in a partner's protocol (the SOAP front door, the portal-compatible
// endpoint) record their refusals the one way every /v1 route does: counted in full
// (lgsp_refusals_total), kept in the message log only as the sample REFUSALS_LOGGED_PER_MINUTE allows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UNLOGGED_REFUSALS_ENDPOINT } from '../../../src/audit/refusal-log.js';
import { KEYS, startTestGateway, type TestGateway } from '../../support/gateway.js';

const PER_MINUTE = 3;
const FLOOD = 60;

describe('a flood of refusals in a partner protocol (pglite)', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({
      engine: 'pglite',
      env: { REFUSALS_LOGGED_PER_MINUTE: String(PER_MINUTE), RATE_LIMIT_PARTNER_PER_MINUTE: '100000', RATE_LIMIT_ANONYMOUS_PER_MINUTE: '100000' },
    });
  });
  afterAll(async () => gw?.close());

  async function flood(send: () => Promise<{ status: number }>, expected: number): Promise<void> {
    for (let sent = 0; sent < FLOOD; sent += 20) {
      const statuses = await Promise.all(Array.from({ length: 20 }, send));
      expect(new Set(statuses.map((s) => s.status))).toEqual(new Set([expected]));
    }
  }
  const counted = async (code: string) => {
    const text = (await gw.call('GET', '/metrics', { key: KEYS.admin })).body as string;
    return Number(new RegExp(`^lgsp_refusals_total\\{code="${code}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  };
  /** Every refusal is accounted for: recorded one by one, or inside a summary's count; and only a bounded number of records. */
  async function expectSampled(code: string, endpoint: RegExp): Promise<void> {
    await gw.gateway.app!.refusals.flush(true);
    const rows = await gw.gateway.db.query<{ endpoint: string; attempt: number | null; body_sha256: string | null }>(
      `SELECT endpoint, attempt, body_sha256 FROM message_log WHERE outcome = 'refused' AND error_code = $1`,
      [code],
    );
    expect(rows.length).toBeLessThanOrEqual(2 * PER_MINUTE + 2);
    expect(rows.every((r) => r.body_sha256 === null)).toBe(true);
    const summaries = rows.filter((r) => r.endpoint === UNLOGGED_REFUSALS_ENDPOINT);
    expect(rows.filter((r) => r.endpoint !== UNLOGGED_REFUSALS_ENDPOINT).every((r) => endpoint.test(r.endpoint))).toBe(true);
    expect(rows.length - summaries.length + summaries.reduce((n, r) => n + r.attempt!, 0)).toBe(FLOOD);
    expect(await counted(code)).toBe(FLOOD);
  }

  it(`records ${FLOOD} SOAP calls that are not XML, from one partner, as a bounded sample and counts them all`, async () => {
    let code: string | undefined;
    await flood(async () => {
      const answer = await gw.call('POST', '/soap/one-stop', { key: KEYS.oneStop, raw: 'not an envelope', headers: { 'content-type': 'text/xml' } });
      code = /<(?:\w+:)?code>([^<]+)<\/(?:\w+:)?code>/.exec(String(answer.body))?.[1] ?? code;
      return answer;
    }, 500);
    expect(code).toBeDefined();
    await expectSampled(code!, /^POST \/soap\/one-stop/);
  });

  it(`records ${FLOOD} portal-compatible writes with a session that was never opened as a bounded sample and counts them all`, async () => {
    const body = { session: 'ab'.repeat(24), madonvi: '000.00.12.H26', service: 'DongBoHoSoMC', isUpdating: 'False', data: [{ MaHoSo: '000.00.12.H26-251119-0001' }] };
    await flood(async () => {
      const answer = await gw.call('POST', '/portal-compatible/integration', { body });
      expect(answer.body.error_code).toBe(-1);
      return answer;
    }, 200);
    await expectSampled('portal-compatible:-1', /^POST \/portal-compatible\/integration DongBoHoSoMC$/);
  });
});
