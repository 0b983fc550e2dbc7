// Headers that are too large, malformed, or doubled to confuse whoever reads them. Node's parser
// refuses most before any route runs; the gateway answers those as problems too (431, 400) and closes
// the connection. MAX_HEADER_BYTES is set low here to show it is the gateway's setting that holds.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleDossier } from '../../support/dossiers.js';
import { KEYS, startTestGateway, type TestGateway } from '../../support/gateway.js';
import { rawRequest, rawSend } from '../../support/raw-http.js';
import { expectProblem, leavesNoTrace } from './support.js';

describe('hostile headers (pglite, MAX_HEADER_BYTES=8192)', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ engine: 'pglite', env: { MAX_HEADER_BYTES: '8192' } });
  });
  afterAll(async () => gw?.close());

  const dossier = JSON.stringify(sampleDossier('HOSTILE-HDR-1'));
  const post = (headers: Record<string, string>) => rawRequest(gw.url, { method: 'POST', target: '/v1/dossiers', headers: { 'content-type': 'application/json', ...headers }, body: dossier });

  const oversized: [string, Record<string, string>][] = [
    ['one 10 KiB cookie (under Node’s 16 KiB default, over the configured 8 KiB)', { 'x-api-key': KEYS.oneStop, cookie: 'a'.repeat(10 * 1024) }],
    ['500 small headers adding up to 12 KiB', { 'x-api-key': KEYS.oneStop, ...Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`x-pad-${i}`, 'y'.repeat(12)])) }],
    ['a 64 KiB x-api-key', { 'x-api-key': 'k'.repeat(64 * 1024) }],
  ];
  it.each(oversized)('refuses %s with 431 headers-too-large', async (_what, headers) => {
    expectProblem(await leavesNoTrace(gw, () => post(headers)), 431, 'headers-too-large');
  });

  it('refuses a 10 KiB URL with 431: the request line counts toward the limit', async () => {
    const response = await leavesNoTrace(gw, () => rawRequest(gw.url, { method: 'GET', target: `/v1/dossiers/A?x=${'q'.repeat(10 * 1024)}`, headers: { 'x-api-key': KEYS.oneStop } }));
    expectProblem(response, 431, 'headers-too-large');
  });

  const key = `x-api-key: ${KEYS.oneStop}\r\ncontent-type: application/json\r\n`;
  const malformed: [string, string][] = [
    ['a NUL byte in a header value', `POST /v1/dossiers HTTP/1.1\r\nHost: x\r\n${key}x-note: a\0b\r\nContent-Length: ${Buffer.byteLength(dossier)}\r\n\r\n${dossier}`],
    ['a header line without a colon', `POST /v1/dossiers HTTP/1.1\r\nHost: x\r\n${key}this is not a header\r\nContent-Length: ${Buffer.byteLength(dossier)}\r\n\r\n${dossier}`],
    ['a folded (obs-fold) header continuing on the next line', `POST /v1/dossiers HTTP/1.1\r\nHost: x\r\n${key}x-note: a\r\n  folded\r\nContent-Length: ${Buffer.byteLength(dossier)}\r\n\r\n${dossier}`],
    ['Content-Length and Transfer-Encoding together (request smuggling)', `POST /v1/dossiers HTTP/1.1\r\nHost: x\r\n${key}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`],
    ['two Content-Length headers that disagree', `POST /v1/dossiers HTTP/1.1\r\nHost: x\r\n${key}Content-Length: ${Buffer.byteLength(dossier)}\r\nContent-Length: 2\r\n\r\n${dossier}`],
    ['a space inside the request target', `POST /v1/dossiers /x HTTP/1.1\r\nHost: x\r\n${key}Content-Length: ${Buffer.byteLength(dossier)}\r\n\r\n${dossier}`],
    ['a bare LF instead of CRLF', `POST /v1/dossiers HTTP/1.1\nHost: x\n${key.replace(/\r\n/g, '\n')}Content-Length: ${Buffer.byteLength(dossier)}\n\n${dossier}`],
  ];
  it.each(malformed)('refuses %s with 400 malformed-http', async (_what, request) => {
    expectProblem(await leavesNoTrace(gw, () => rawSend(gw.url, Buffer.from(request, 'latin1'))), 400, 'malformed-http');
  });

  it('does not authenticate two x-api-key headers of which one is valid', async () => {
    const request = `POST /v1/dossiers HTTP/1.1\r\nHost: x\r\nConnection: close\r\nx-api-key: ${KEYS.oneStop}\r\nx-api-key: other\r\ncontent-type: application/json\r\nContent-Length: ${Buffer.byteLength(dossier)}\r\n\r\n${dossier}`;
    expectProblem(await leavesNoTrace(gw, () => rawSend(gw.url, Buffer.from(request))), 401, 'unauthenticated');
  });

  it('does not echo a hostile x-request-id (CR/LF-free but 1,000 characters long)', async () => {
    const response = await rawRequest(gw.url, { method: 'GET', target: '/healthz', headers: { 'x-request-id': 'r'.repeat(1000) } });
    expect(response.status).toBe(200);
    expect(response.headers['x-request-id']).not.toContain('rrrr');
  });
});
