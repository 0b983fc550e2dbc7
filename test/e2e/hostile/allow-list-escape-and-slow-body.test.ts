// Issue 14, findings 6 and 9: attachment URLs that pass a raw prefix check on the allow-list but
// name another path (dot segments, encoded dots, backslashes) or carry user-info are refused; a body
// sent too slowly is cut off with 408 instead of holding the connection for minutes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleDossier } from '../../support/dossiers.js';
import { KEYS, startTestGateway, type TestGateway } from '../../support/gateway.js';
import { formatRequest, rawSend } from '../../support/raw-http.js';
import { expectProblem, leavesNoTrace } from './support.js';

describe('allow-list escapes and slow bodies (pglite)', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    // The allow-list of the test environment: https://motcua.hanoi.example.vn/files/ and https://motcua.thainguyen.example.vn/dinhkem/
    gw = await startTestGateway({ engine: 'pglite', env: { REQUEST_TIMEOUT_MS: '1000' } });
  });
  afterAll(async () => gw?.close());

  const withUrl = (code: string, url: string) => sampleDossier(code, { documents: [{ id: 'd1', name: 'Tờ khai', url }] });

  // A URL the `uri` format already refuses (a backslash, a tab) is invalid-request; the rest parse, and
  // the allow-list refuses them.
  const escapes: [string, string][] = [
    ['dot segments', 'https://motcua.hanoi.example.vn/files/../../admin/x'],
    ['percent-encoded dot segments', 'https://motcua.hanoi.example.vn/files/%2e%2e/%2E%2E/admin/x'],
    ['a half-encoded dot segment', 'https://motcua.hanoi.example.vn/files/.%2e/admin/x'],
    ['a single dot segment', 'https://motcua.hanoi.example.vn/files/./a.pdf'],
    ['an encoded slash', 'https://motcua.hanoi.example.vn/files/..%2fadmin/x'],
    ['an encoded backslash', 'https://motcua.hanoi.example.vn/files/..%5cadmin/x'],
    ['a backslash', 'https://motcua.hanoi.example.vn/files/..\\admin/x'],
    ['user-info', 'https://user:pw@motcua.hanoi.example.vn/files/a.pdf'],
    ['user-info that hides another host', 'https://motcua.hanoi.example.vn@evil.example/files/a.pdf'],
  ];
  it.each(escapes)('refuses an attachment URL with %s', async (_what, url) => {
    const response = await leavesNoTrace(gw, () => gw.call('POST', '/v1/dossiers', { key: KEYS.oneStop, body: withUrl('HOSTILE-URL', url) }));
    expect(response.status, JSON.stringify(response.body)).toBe(400);
    expect(['attachment-not-allowed', 'invalid-request']).toContain(response.body.code);
  });

  it('cuts off a body that never finishes arriving with 408 request-timeout (REQUEST_TIMEOUT_MS)', async () => {
    const payload = formatRequest(
      { method: 'POST', target: '/v1/dossiers', headers: { 'x-api-key': KEYS.oneStop, 'content-type': 'application/json', 'content-length': '4096' }, body: '{"code":"SLOW' },
      new URL(gw.url).host,
    );
    const response = await leavesNoTrace(gw, () => rawSend(gw.url, payload));
    expectProblem(response, 408, 'request-timeout');
  });

  // Last: the dossier it accepts is delivered in the background, which the cases above must not see.
  it('still accepts a plain URL under an allowed prefix, percent-encoded Vietnamese file name included', async () => {
    const response = await gw.call('POST', '/v1/dossiers', { key: KEYS.oneStop, body: withUrl('HOSTILE-URL-OK', 'https://motcua.hanoi.example.vn/files/2025/t%E1%BB%9D-khai.pdf') });
    expect(response.status, JSON.stringify(response.body)).toBe(202);
  });
});
