// JSON that parses but is shaped to hurt: nested to exhaust a recursive reader, arrays long enough to
// multiply work, keys that pollute prototypes, or no object at all. The depth is checked on the bytes
// before the parser runs; array lengths by maxItems in every schema.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleDossier } from '../../support/dossiers.js';
import { KEYS, startTestGateway, type TestGateway } from '../../support/gateway.js';
import { rawRequest } from '../../support/raw-http.js';
import { expectProblem, leavesNoTrace } from './support.js';

describe('JSON shaped to hurt (pglite)', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ engine: 'pglite' });
  });
  afterAll(async () => gw?.close());

  const post = (path: string, body: string) => rawRequest(gw.url, { method: 'POST', target: path, headers: { 'x-api-key': KEYS.oneStop, 'content-type': 'application/json' }, body });
  const nestedSummary = (levels: number) => JSON.stringify({ ...sampleDossier('HOSTILE-JSON-D'), extra: JSON.parse(`${'['.repeat(levels)}${']'.repeat(levels)}`) });

  const tooDeep: [string, string][] = [
    ['33 levels, one past the limit of 32', nestedSummary(32)],
    ['100,000 opening brackets and no closing one', '['.repeat(100_000)],
    ['objects nested 1,000 deep', `${'{"a":'.repeat(1000)}1${'}'.repeat(1000)}`],
  ];
  it.each(tooDeep)('refuses JSON nested %s with 400 json-too-deep', async (_what, body) => {
    expectProblem(await leavesNoTrace(gw, () => post('/v1/dossiers', body)), 400, 'json-too-deep');
  });

  const many = <T>(n: number, item: (i: number) => T) => Array.from({ length: n }, (_, i) => item(i));
  const tooLong: [string, string, unknown][] = [
    ['201 documents (at most 200)', '/v1/dossiers', sampleDossier('HOSTILE-JSON-1', { documents: many(201, (i) => ({ id: `d${i}`, name: 'Tờ khai', url: 'https://motcua.hanoi.example.vn/files/a.pdf' })) })],
    ['51 fee lines (at most 50)', '/v1/dossiers', sampleDossier('HOSTILE-JSON-2', { fees: many(51, (i) => ({ code: `LP${i}`, name: 'Lệ phí', amount: 1000 })) })],
    ['11 identifiers (at most 10)', '/v1/dossiers', sampleDossier('HOSTILE-JSON-3', { applicant: { ...sampleDossier('x').applicant, identifiers: many(11, () => ({ kind: 'cccd', value: '001090009999' })) } as never })],
    [
      'a payment of 51 fee lines (at most 50)',
      '/v1/payments',
      { dossierCode: 'HOSTILE-JSON-4', provider: 'national', returnUrl: 'https://x.example.vn/', clientIp: '203.0.113.7', payer: { name: 'A', idNumber: '001090012345' }, lines: many(51, (i) => ({ code: `LP${i}`, name: 'Lệ phí', kind: 'fee', amount: 1000 })) },
    ],
  ];
  it.each(tooLong)('refuses %s with 400 invalid-request', async (_what, path, body) => {
    expectProblem(await leavesNoTrace(gw, () => post(path, JSON.stringify(body))), 400, 'invalid-request');
  });

  const misshapen: [string, string, string][] = [
    ['a constructor.prototype key (prototype pollution)', JSON.stringify(sampleDossier('HOSTILE-JSON-5')).replace(/}$/, ',"constructor":{"prototype":{"isAdmin":true}}}'), 'malformed-json'],
    ['__proto__ written with a unicode escape (\\u005f_proto__)', '{"code":"HOSTILE-JSON-6","\\u005f_proto__":{"isAdmin":true}}', 'malformed-json'],
    ['an empty body declared as JSON', '', 'malformed-json'],
    ['a top-level array instead of a dossier', JSON.stringify([sampleDossier('HOSTILE-JSON-7')]), 'invalid-request'],
    ['a top-level string', '"HOSTILE-JSON-8"', 'invalid-request'],
    ['the literal null', 'null', 'invalid-request'],
    ['two JSON documents back to back', `${JSON.stringify(sampleDossier('HOSTILE-JSON-9'))}{}`, 'malformed-json'],
  ];
  it.each(misshapen)('refuses %s', async (_what, body, code) => {
    expectProblem(await leavesNoTrace(gw, () => post('/v1/dossiers', body)), 400, code);
  });

  // Last: the dossier it accepts is delivered in the background, which the cases above must not see.
  it('does not count brackets inside strings: a summary of 100 "[" is a dossier like any other', async () => {
    const response = await gw.call('POST', '/v1/dossiers', { key: KEYS.oneStop, body: sampleDossier('HOSTILE-JSON-OK', { summary: '['.repeat(100) }) });
    expect(response.status, JSON.stringify(response.body)).toBe(202);
  });
});
