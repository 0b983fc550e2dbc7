// Paths, queries and ids built to escape where they point: traversal in every spelling (`..`, `%2e%2e`,
// double encoding, backslashes), NUL bytes, ids of the wrong shape, very long parameters and
// duplicated query keys. Ids are matched against strict patterns before anything looks them up.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleDossier, sampleEvent } from '../../support/dossiers.js';
import { KEYS, startTestGateway, type TestGateway } from '../../support/gateway.js';
import { rawRequest } from '../../support/raw-http.js';
import { expectProblem, leavesNoTrace } from './support.js';

const VNPAY_ENV = { VNPAY_PAY_URL: 'http://127.0.0.1:9/pay', VNPAY_API_URL: 'http://127.0.0.1:9/api', VNPAY_TMN_CODE: 'TESTTMN1', VNPAY_HASH_SECRET: 'TESTHASHSECRET0123456789ABCDEFGH' };

describe('path and query tricks (pglite)', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ engine: 'pglite', env: VNPAY_ENV });
  });
  afterAll(async () => gw?.close());

  const send = (method: string, target: string, key: string | undefined = KEYS.oneStop, body?: unknown) =>
    rawRequest(gw.url, { method, target, headers: { ...(key ? { 'x-api-key': key } : {}), ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });

  const badDossierCodes: [string, string][] = [
    ['an encoded ../ (..%2F..%2Fetc%2Fpasswd)', '..%2F..%2Fetc%2Fpasswd'],
    ['dots spelled %2e%2e', '%2e%2e'],
    ['a double-encoded slash (A%252F..%252F..)', 'A%252F..%252F..'],
    ['backslashes (A%5C..%5C..%5Cwindows)', 'A%5C..%5C..%5Cwindows'],
    ['a NUL byte (A%00.json)', 'A%00.json'],
    ['a 65-character code (at most 64)', 'A'.repeat(65)],
  ];
  it.each(badDossierCodes)('refuses an event for a dossier code with %s', async (_what, code) => {
    const response = await leavesNoTrace(gw, () => send('POST', `/v1/dossiers/${code}/events`, KEYS.oneStop, sampleEvent(1, 'PROCESSING')));
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(['invalid-request', 'not-found']).toContain(response.body.code);
  });

  it('refuses a 300-character dossier code in the path with 414 before any route runs', async () => {
    expectProblem(await leavesNoTrace(gw, () => send('GET', `/v1/dossiers/${'A'.repeat(300)}`)), 414, 'uri-too-long');
  });

  it('refuses a path that is not percent-encoded UTF-8 (an overlong slash, %C0%AF) as a problem', async () => {
    expectProblem(await leavesNoTrace(gw, () => send('GET', '/v1/dossiers/A%C0%AF..')), 400, 'invalid-request');
  });

  const unrouted: [string, string][] = [
    ['a raw ../ climbing out of /v1', '/v1/../v1/dossiers'],
    ['a raw ../ after a dossier code', '/v1/dossiers/A/../../admin/messages'],
    ['an encoded traversal into the console folder', '/audit/..%2F..%2Fpackage.json'],
    ['a console file name with %2e%2e%2f', '/audit/%2e%2e%2fapp.ts'],
    ['a backslash traversal into the console folder', '/audit/..\\..\\package.json'],
  ];
  it.each(unrouted)('answers %s with a 404 problem, serving nothing', async (_what, target) => {
    const response = await leavesNoTrace(gw, () => send('GET', target, KEYS.admin));
    expect([400, 404]).toContain(response.status);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.text).not.toContain('"dependencies"');
  });

  const badFileIds: [string, string][] = [
    ['an encoded traversal', '..%2F..%2Fetc%2Fpasswd'],
    ['a uuid followed by %00', '00000000-0000-4000-8000-000000000000%00'],
    ['an upper-case uuid (ids are lower-case)', '00000000-0000-4000-8000-00000000000A'],
  ];
  it.each(badFileIds)('refuses a file link with %s as its id', async (_what, id) => {
    const response = await leavesNoTrace(gw, () => send('GET', `/files/${id}?expires=9999999999&signature=${'A'.repeat(43)}`, undefined));
    expectProblem(response, 400, 'invalid-request');
  });

  const duplicated: [string, string, string][] = [
    ['dossierCode given twice', '/v1/payments?dossierCode=A&dossierCode=B', KEYS.oneStop],
    ['state given twice (to widen a listing)', '/v1/admin/messages?state=dead&state=delivered', KEYS.admin],
    ['limit given twice', '/v1/admin/messages?limit=1&limit=500', KEYS.admin],
  ];
  it.each(duplicated)('refuses a query with %s (400 invalid-request)', async (_what, target, key) => {
    expectProblem(await leavesNoTrace(gw, () => send('GET', target, key)), 400, 'invalid-request');
  });

  it("answers a VNPay notification with vnp_TxnRef given twice in VNPay's terms (RspCode 99), applying nothing", async () => {
    const response = await leavesNoTrace(gw, () => send('GET', '/v1/payments/notifications/vnpay?vnp_TxnRef=A&vnp_TxnRef=B&vnp_Amount=800000', undefined));
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ RspCode: '99', Message: 'Unknow error' });
  });

  it("answers a VNPay notification padded with 100 extra query keys in VNPay's terms (RspCode 99)", async () => {
    const padding = Array.from({ length: 100 }, (_, i) => `x${i}=1`).join('&');
    const response = await leavesNoTrace(gw, () => send('GET', `/v1/payments/notifications/vnpay?vnp_TxnRef=A&${padding}`, undefined));
    expect(response.body).toEqual({ RspCode: '99', Message: 'Unknow error' });
  });

  // A NUL is refused by the JSON reader before the schema sees it (no string may hold one).
  const bodyCodes: [string, string, string][] = [
    ['backslashes', '..\\..\\windows\\win.ini', 'invalid-request'],
    ['percent-encoded dots', '%2e%2e%2fetc', 'invalid-request'],
    ['a NUL byte', 'A\u0000B', 'invalid-characters'],
    ['a right-to-left override', 'A\u202Egpj.exe', 'invalid-request'],
  ];
  it.each(bodyCodes)('refuses a dossier whose code has %s', async (_what, code, problem) => {
    expectProblem(await leavesNoTrace(gw, () => send('POST', '/v1/dossiers', KEYS.oneStop, sampleDossier(code))), 400, problem);
  });

  it('keeps an uploaded file name from climbing folders: ../../etc/passwd is stored as a plain name', async () => {
    const pdf = Buffer.from('%PDF-1.7\n%%EOF\n');
    const response = await gw.call('POST', '/v1/files', { key: KEYS.oneStop, raw: pdf, headers: { 'content-type': 'application/pdf', 'x-file-name': encodeURIComponent('..\\../../etc/passwd') } });
    expect(response.status).toBe(201);
    expect(response.body.name).not.toMatch(/[\\/]/);
  });
});
