// Issue 14, findings 4, 5, 8, 12 and 14: input the schema let through but the database cannot hold
// (NUL, lone surrogates, a fileId of dashes, a notification reference that is not a UUID), JSON that
// readers disagree on (duplicate keys, integers past 2^53), secrets in request log lines, and dossier
// codes chosen by anonymous callers in the audit log. Every one is a 4xx (in the route's protocol),
// leaves no trace, and puts no personal data or secret in a log line.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signMessage, toTransactionTime } from '../../../adapters/payment/national/index.js';
import { FileLinkSigner } from '../../../src/files/signed-url.js';
import { capturedLog, type CapturedLog } from '../../support/captured-log.js';
import { sampleDossier, sampleEvent } from '../../support/dossiers.js';
import { KEYS, eventually, startTestGateway, type TestGateway } from '../../support/gateway.js';
import { expectProblem, leavesNoTrace } from './support.js';

const NATIONAL = { partnerCode: 'HNI01', secret: 'test-national-secret-unstorable' };
/** Values of the sample dossier and requests below that must never appear in a log line. */
const PERSONAL = ['Phạm Văn Bình', 'Ph\\u1ea1m V\\u0103n B\\u00ecnh', '001090009999', '0987654321', 'binh.pham@example.vn', 'Trần Văn Minh', '001090012345', 'Lê Thị Hoa'];

describe('input the database cannot hold, JSON readers disagree on, and secrets in logs (pglite)', () => {
  let gw: TestGateway;
  let log: CapturedLog;
  beforeAll(async () => {
    log = capturedLog();
    gw = await startTestGateway({
      engine: 'pglite',
      logger: log.logger,
      // A configured national payment platform (never called here): the notification route reads its secret.
      env: { NATIONAL_PAYMENT_URL: 'http://127.0.0.1:9', NATIONAL_PAYMENT_PARTNER_CODE: NATIONAL.partnerCode, NATIONAL_PAYMENT_SECRET: NATIONAL.secret },
    });
  });
  afterAll(async () => gw?.close());

  const post = (path: string, raw: string, key: string | null = KEYS.oneStop) => gw.call('POST', path, { ...(key ? { key } : {}), raw, headers: { 'content-type': 'application/json' } });
  const expectNoPersonalDataLogged = (mark: number) => {
    for (const line of log.since(mark)) for (const value of PERSONAL) expect(line).not.toContain(value);
  };

  const nul = '\u0000';
  const withNul: [string, string, unknown][] = [
    ["the applicant's name of a dossier", '/v1/dossiers', sampleDossier('HOSTILE-NUL-1', { applicant: { kind: 'citizen', name: `Phạm Văn Bình${nul}`, idNumber: '001090009999', phone: '0987654321' } })],
    ["an event's actor", '/v1/dossiers/HOSTILE-NUL-1/events', sampleEvent(1, 'PROCESSING', { actor: { name: `Lê Thị Hoa${nul}`, title: 'Chuyên viên' } })],
    [
      "a payment's payer",
      '/v1/payments',
      { dossierCode: 'HOSTILE-NUL-1', provider: 'national', returnUrl: 'https://x.example.vn/', clientIp: '203.0.113.7', payer: { name: `Trần Văn Minh${nul}`, idNumber: '001090012345' }, lines: [{ code: 'LP01', name: 'Lệ phí', kind: 'fee', amount: 8000 }] },
    ],
    ["a shipment's receiver", '/v1/postal/shipments', { dossierCode: 'HOSTILE-NUL-1', kind: 'results', receiver: { name: `Trần Văn Minh${nul}`, phone: '0987654321', address: 'Hà Nội' } }],
    ['a key of the dossier', '/v1/dossiers', { ...sampleDossier('HOSTILE-NUL-2'), [`extra${nul}`]: 'x' }],
  ];
  it.each(withNul)('refuses a NUL in %s with 400 invalid-characters, storing and logging nothing personal', async (_what, path, body) => {
    const mark = log.lines.length;
    const response = await leavesNoTrace(gw, () => post(path, JSON.stringify(body)));
    expectProblem(response, 400, 'invalid-characters');
    expectNoPersonalDataLogged(mark);
  });

  it('refuses a lone surrogate (not Unicode text, refused by jsonb) with 400 invalid-characters', async () => {
    const raw = JSON.stringify(sampleDossier('HOSTILE-SURROGATE')).replace('"Cấp bản sao trích lục khai sinh"', '"Cấp \\ud800 bản sao"');
    expectProblem(await leavesNoTrace(gw, () => post('/v1/dossiers', raw)), 400, 'invalid-characters');
  });

  it('refuses a document fileId of 36 dashes with 400 invalid-request, not 500', async () => {
    const body = sampleDossier('HOSTILE-FILEID', { documents: [{ id: 'd1', name: 'Tờ khai', fileId: '-'.repeat(36) }] });
    const mark = log.lines.length;
    expectProblem(await leavesNoTrace(gw, () => post('/v1/dossiers', JSON.stringify(body))), 400, 'invalid-request');
    expectNoPersonalDataLogged(mark);
  });

  it("answers a signed notification whose reference is not a UUID in the provider's terms, not 500", async () => {
    const body: Record<string, unknown> = {
      LoaiBanTin: 'NOTIFY',
      MaLoi: '00',
      MaDoiTac: NATIONAL.partnerCode,
      MaThamChieu: 'not-a-uuid',
      SoTien: 8_000,
      MaTienTe: 'VND',
      MaGiaoDich: 'GD-NOT-UUID',
      MaNganHang: 'VCB',
      ThoiGianGD: toTransactionTime(new Date()),
      ThongTinGiaoDich: 'x',
    };
    body.MaXacThuc = signMessage('NOTIFY', body, NATIONAL.secret);
    const response = await leavesNoTrace(gw, () => gw.call('POST', '/v1/payments/notifications/national', { body }));
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(typeof response.body.MaLoi).toBe('string');
    expect(response.body.MaLoi).not.toBe('00');
  });

  const ambiguous: [string, string, string][] = [
    ['a duplicate key (last wins in JSON.parse, first in other readers)', JSON.stringify(sampleDossier('HOSTILE-DUP')).replace(/}$/, ',"code":"HOSTILE-DUP-OTHER"}'), 'duplicate-key'],
    ['a duplicate key written with an escape', JSON.stringify(sampleDossier('HOSTILE-DUP-2')).replace(/}$/, ',"\\u0063ode":"HOSTILE-DUP-3"}'), 'duplicate-key'],
    ['an integer beyond 2^53 (rounded by JSON.parse)', JSON.stringify(sampleDossier('HOSTILE-BIG', { fees: [{ code: 'LP01', name: 'Lệ phí', amount: 1 }] })).replace('"amount":1', '"amount":9007199254740993'), 'unsafe-number'],
    ['a number too large for a double', JSON.stringify(sampleDossier('HOSTILE-HUGE', { fees: [{ code: 'LP01', name: 'Lệ phí', amount: 1 }] })).replace('"amount":1', '"amount":1e400'), 'unsafe-number'],
  ];
  it.each(ambiguous)('refuses %s with 400 ambiguous-json', async (_what, raw, reason) => {
    const response = await leavesNoTrace(gw, () => post('/v1/dossiers', raw));
    expectProblem(response, 400, 'ambiguous-json');
    expect(response.body.reason).toBe(reason);
  });

  it('refuses duplicate keys and huge integers on the portal-compatible endpoint in its error_code terms', async () => {
    for (const raw of ['{"session":"s","madonvi":"000.00.12.H26","service":"DongBoHoSoMC","service":"TraCuuHoSo"}', '{"session":"s","madonvi":"000.00.12.H26","service":"TraCuuHoSo","MaHoSo":"X","n":123456789012345678901}']) {
      const response = await leavesNoTrace(gw, () => gw.call('POST', '/portal-compatible/integration', { raw, headers: { 'content-type': 'application/json' } }));
      expect(response.status).toBe(400);
      expect(response.body.error_code).toBe(1);
      expect(response.body.message).toContain('ambiguous-json');
    }
  });

  it('never logs the expires and signature of a signed attachment link', async () => {
    const pdf = Buffer.from('%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');
    const uploaded = await gw.call('POST', '/v1/files', { key: KEYS.oneStop, raw: pdf, headers: { 'content-type': 'application/pdf', 'x-file-name': 'to-khai.pdf' } });
    expect(uploaded.status, JSON.stringify(uploaded.body)).toBe(201);
    const link = new FileLinkSigner(gw.env.FILE_URL_SECRET!, '', 3600).url(uploaded.body.id);
    const signature = new URL(link, 'http://x').searchParams.get('signature')!;
    const mark = log.lines.length;
    const response = await gw.call('GET', link);
    expect(response.status).toBe(200);
    await eventually(() => log.since(mark).some((line) => line.includes('request completed')), 'the request line was logged');
    const lines = log.since(mark).join('\n');
    expect(lines).toContain(`/files/${uploaded.body.id}`);
    expect(lines).not.toContain(signature);
    expect(lines).not.toMatch(/expires=\d/);
  });

  it('records an anonymous refusal without the dossier code the caller chose', async () => {
    const code = 'ANON-CHOSEN-CODE-14';
    const response = await post(`/v1/dossiers/${code}/events`, JSON.stringify(sampleEvent(1, 'PROCESSING')), null);
    expectProblem(response, 401, 'unauthenticated');
    const rows = await gw.gateway.db.query<{ dossier_code: string | null }>(`SELECT dossier_code FROM message_log WHERE outcome = 'refused' AND endpoint = 'POST /v1/dossiers/:code/events' AND partner_id IS NULL`);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.map((r) => r.dossier_code)).not.toContain(code);
  });
});
