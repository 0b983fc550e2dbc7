// Bodies larger than their route accepts are cut off while they are read: each route has its own
// limit (src/core/body-limits.ts), small for callbacks and commands, larger for dossiers, files their own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleEvent } from '../../support/dossiers.js';
import { KEYS, startTestGateway, type TestGateway } from '../../support/gateway.js';
import { rawRequest, rawSend } from '../../support/raw-http.js';
import { expectProblem, leavesNoTrace } from './support.js';

const PAYMENT_PROVIDERS_ENV = {
  NATIONAL_PAYMENT_URL: 'http://127.0.0.1:9/',
  NATIONAL_PAYMENT_PARTNER_CODE: 'HNI01',
  NATIONAL_PAYMENT_SECRET: 'hostile-test-secret',
  NATIONAL_PAYMENT_TOKEN: 'hostile-test-token',
};

describe('bodies over the limit of their route (pglite)', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ engine: 'pglite', env: { MAX_FILE_BYTES: '4096', ...PAYMENT_PROVIDERS_ENV } });
  });
  afterAll(async () => gw?.close());

  const padded = (bytes: number) => 'x'.repeat(bytes);
  const cases: [string, string, string, unknown][] = [
    ['an event of 300 KiB (limit 256 KiB)', '/v1/dossiers/HOSTILE-SIZE-1/events', KEYS.oneStop, sampleEvent(1, 'PROCESSING', { note: padded(300 * 1024) })],
    ['a shipment request of 80 KiB (limit 64 KiB)', '/v1/postal/shipments', KEYS.oneStop, { kind: 'pickup', dossierCode: 'HOSTILE-SIZE-2', note: padded(80 * 1024) }],
    ['a payment request of 80 KiB (limit 64 KiB)', '/v1/payments', KEYS.oneStop, { dossierCode: 'HOSTILE-SIZE-3', note: padded(80 * 1024) }],
    ['a postal push of 300 KiB (limit 256 KiB)', '/v1/postal/callbacks', KEYS.postal, { OrderNumber: 'X', Events: [{ StatusCode: '100', EventTime: '23/11/2026 08:00:00', Notes: padded(300 * 1024) }] }],
    ['a reconciliation command of 8 KiB (limit 4 KiB)', '/v1/admin/reconciliations', KEYS.admin, { provider: 'national', day: '2026-11-23', pad: padded(8 * 1024) }],
    ['a dead-letter replay with a 8 KiB body (limit 4 KiB)', '/v1/admin/messages/00000000-0000-4000-8000-000000000000/replay', KEYS.admin, { pad: padded(8 * 1024) }],
  ];
  it.each(cases)('refuses %s with 413 payload-too-large', async (_what, path, key, body) => {
    const response = await leavesNoTrace(gw, () => gw.call('POST', path, { key, body }));
    expectProblem(response, 413, 'payload-too-large');
  });

  it("answers a 20 KiB payment notification (limit 16 KiB) in the provider's terms, not as a problem", async () => {
    const response = await leavesNoTrace(gw, () => gw.call('POST', '/v1/payments/notifications/national', { body: { LoaiBanTin: 'NOTIFY', pad: padded(20 * 1024) } }));
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ MaLoi: '03' });
  });

  it('refuses an upload over MAX_FILE_BYTES with 413, storing no file', async () => {
    const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(8192, 0x20)]);
    const response = await leavesNoTrace(gw, () => gw.call('POST', '/v1/files', { key: KEYS.oneStop, raw: pdf, headers: { 'content-type': 'application/pdf', 'x-file-name': 'to-khai.pdf' } }));
    expectProblem(response, 413, 'payload-too-large');
  });

  it('refuses a declared Content-Length of 2 GB at once, before any byte of the body arrives', async () => {
    const response = await leavesNoTrace(gw, () =>
      rawRequest(gw.url, { method: 'POST', target: '/v1/dossiers', headers: { 'x-api-key': KEYS.oneStop, 'content-type': 'application/json', 'content-length': String(2 * 1024 ** 3) } }),
    );
    expectProblem(response, 413, 'payload-too-large');
  });

  it('refuses an unauthenticated caller announcing 2 GB with 401, before reading or judging its body', async () => {
    const response = await leavesNoTrace(gw, () =>
      rawRequest(gw.url, { method: 'POST', target: '/v1/dossiers', headers: { 'content-type': 'application/json', 'content-length': String(2 * 1024 ** 3) } }),
    );
    expectProblem(response, 401, 'unauthenticated');
  });

  it('refuses a chunked body without Content-Length once it grows past the limit', async () => {
    const chunk = `{"code":"HOSTILE-SIZE-4","summary":"${padded(300 * 1024)}"}`;
    const head = `POST /v1/dossiers/HOSTILE-SIZE-4/events HTTP/1.1\r\nHost: x\r\nConnection: close\r\nx-api-key: ${KEYS.oneStop}\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n`;
    const payload = Buffer.from(`${head}${Buffer.byteLength(chunk).toString(16)}\r\n${chunk}\r\n0\r\n\r\n`);
    const response = await leavesNoTrace(gw, () => rawSend(gw.url, payload));
    expectProblem(response, 413, 'payload-too-large');
  });
});
