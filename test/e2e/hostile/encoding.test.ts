// Bodies that are not UTF-8 are refused with a problem of their own, never decoded leniently: a
// lenient decoder stores U+FFFD where the partner meant (and signed) something else.
import { afterAll, beforeAll, describe, it } from 'vitest';
import { KEYS, startTestGateway, type TestGateway } from '../../support/gateway.js';
import { rawRequest } from '../../support/raw-http.js';
import { expectProblem, leavesNoTrace } from './support.js';

describe('bodies that are not UTF-8 (pglite)', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ engine: 'pglite' });
  });
  afterAll(async () => gw?.close());

  const json = (...parts: (string | number[])[]) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));
  const cases: [string, Buffer][] = [
    ['a Latin-1 byte in a name (0xE9 alone)', json('{"code":"HOSTILE-ENC-1","applicant":{"name":"Ph', [0xe9], 'm"}}')],
    ['a truncated multi-byte sequence (0xE1 0xBB without its last byte)', json('{"code":"HOSTILE-ENC-2","summary":"', [0xe1, 0xbb], '"}')],
    ['an overlong encoding of "/" (0xC0 0xAF)', json('{"code":"HOSTILE-ENC-3', [0xc0, 0xaf], '.."}')],
    ['an encoded UTF-16 surrogate (0xED 0xA0 0x80)', json('{"code":"HOSTILE-ENC-4","summary":"', [0xed, 0xa0, 0x80], '"}')],
    ['a body in UTF-16 with a byte-order mark', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('{"code":"HOSTILE-ENC-5"}', 'utf16le')])],
  ];
  it.each(cases)('refuses %s with 400 invalid-utf8', async (_what, body) => {
    const response = await leavesNoTrace(gw, () => rawRequest(gw.url, { method: 'POST', target: '/v1/dossiers', headers: { 'x-api-key': KEYS.oneStop, 'content-type': 'application/json' }, body }));
    expectProblem(response, 400, 'invalid-utf8');
  });

  it('refuses a JSON body that declares charset=windows-1258 (Vietnamese code page) with 415', async () => {
    const response = await leavesNoTrace(gw, () =>
      rawRequest(gw.url, { method: 'POST', target: '/v1/dossiers', headers: { 'x-api-key': KEYS.oneStop, 'content-type': 'application/json; charset=windows-1258' }, body: '{"code":"HOSTILE-ENC-6"}' }),
    );
    expectProblem(response, 415, 'unsupported-media-type');
  });

  it('refuses a non-UTF-8 event body on a dossier route with a code in the path', async () => {
    const response = await leavesNoTrace(gw, () =>
      rawRequest(gw.url, { method: 'POST', target: '/v1/dossiers/HOSTILE-ENC-7/events', headers: { 'x-api-key': KEYS.oneStop, 'content-type': 'application/json' }, body: json('{"note":"', [0xff], '"}') }),
    );
    expectProblem(response, 400, 'invalid-utf8');
  });
});
