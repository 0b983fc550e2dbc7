// The OpenAPI document is a valid OpenAPI 3 description and an honest one: every answer a
// representative set of requests gets (status and content type) is declared for its route, refusals
// are problem+json, security is per route, literal unions are enums, and the examples match their schemas.
import { dereference, validate, compileErrors } from '@readme/openapi-parser';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYS, startTestGateway, type TestGateway } from '../support/gateway.js';
import { sampleDossier, sampleEvent } from '../support/dossiers.js';
import dossierFixture from '../fixtures/national-portal/01-citizen-online-vneid.dossier.json' with { type: 'json' };
import { REQUEST_EXAMPLES } from '../../src/plugins/openapi-examples.js';

type Json = Record<string, any>;
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
interface Seen {
  method: string;
  path: string;
  status: number;
  contentType: string;
}

const basic = (password: string) => `Basic ${Buffer.from(`prometheus:${password}`).toString('base64')}`;

describe('the OpenAPI document (pglite)', () => {
  let gw: TestGateway;
  let spec: Json;
  const seen: Seen[] = [];

  async function call(method: string, path: string, options: Parameters<TestGateway['call']>[2] = {}) {
    const answer = await gw.call(method, path, options);
    seen.push({ method, path: path.split('?')[0]!, status: answer.status, contentType: String(answer.headers['content-type'] ?? '') });
    return answer;
  }

  beforeAll(async () => {
    gw = await startTestGateway({ engine: 'pglite', roles: 'api' });
    spec = (await gw.call('GET', '/docs/json')).body;
    // A representative walk: successes, and each kind of refusal the error handler gives.
    await call('GET', '/healthz');
    await call('GET', '/readyz');
    await call('GET', '/checkpoint');
    await call('GET', '/metrics');
    await call('GET', '/metrics', { key: KEYS.oneStop });
    await call('GET', '/metrics', { headers: { authorization: basic(KEYS.admin) } });
    await call('POST', '/v1/dossiers', { key: KEYS.oneStop, body: sampleDossier('OPENAPI-1') });
    await call('POST', '/v1/dossiers', { key: KEYS.oneStop, body: { ...sampleDossier('OPENAPI-2'), status: 'NOPE', channel: 'pigeon' } });
    await call('POST', '/v1/dossiers', { key: KEYS.oneStop, raw: '{"code":', headers: { 'content-type': 'application/json' } });
    await call('POST', '/v1/dossiers', { key: KEYS.oneStop, raw: 'code=1', headers: { 'content-type': 'text/plain' } });
    await call('POST', '/v1/dossiers', { body: sampleDossier('OPENAPI-3') });
    await call('POST', '/v1/dossiers', { key: KEYS.auditor, body: sampleDossier('OPENAPI-4') });
    await call('POST', '/v1/dossiers/OPENAPI-1/events', { key: KEYS.oneStop, body: sampleEvent(1, 'PROCESSING') });
    await call('POST', '/v1/dossiers/OPENAPI-1/events', { key: KEYS.oneStop, body: sampleEvent(3, 'PROCESSING') });
    await call('GET', '/v1/dossiers/OPENAPI-1', { key: KEYS.oneStop });
    await call('GET', '/v1/dossiers/NO-SUCH', { key: KEYS.oneStop });
    await call('GET', '/v1/admin/messages?state=dead', { key: KEYS.admin });
    await call('GET', '/v1/admin/messages?state=lost', { key: KEYS.admin });
    await call('POST', '/v1/files', { key: KEYS.oneStop, raw: '<script>alert(1)</script>', headers: { 'content-type': 'application/pdf', 'x-file-name': 'a.pdf' } });
    await call('GET', `/files/3b1f6c2e-9d4a-4e57-8a61-0c2f9e7b5d13?expires=1&signature=${'A'.repeat(43)}`);
    await call('GET', '/v1/audit/log-key', { key: KEYS.auditor });
    await call('GET', '/v1/audit/records', { key: KEYS.auditor });
    await call('GET', '/v1/audit/checkpoint', { key: KEYS.auditor });
    await call('GET', '/v1/audit/bundles/0', { key: KEYS.auditor });
    await call('GET', '/v1/payments/00000000-0000-4000-8000-000000000000', { key: KEYS.oneStop });
    await call('GET', '/v1/admin/reconciliations/00000000-0000-4000-8000-000000000000', { key: KEYS.admin });
    await call('GET', '/soap/one-stop?wsdl');
    await call('GET', '/soap/one-stop.xsd');
    await call('POST', '/portal-compatible/login', { body: { username: 'hanoi-one-stop', password: 'wrong' }, headers: { dstcode: 'DVCQG' } });
    await call('GET', '/v1/no-such-route', { key: KEYS.oneStop });
  }, 60_000);
  afterAll(async () => gw?.close());

  it('is valid OpenAPI 3', async () => {
    const result = await validate(structuredClone(spec) as never);
    expect(result.valid, result.valid ? '' : compileErrors(result)).toBe(true);
  });

  it("declares every status and content type the walk saw for the route's operation", () => {
    const routes = Object.keys(spec.paths).map((template) => ({ template, pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+').replace(/\./g, '\\.')}$`) }));
    const undeclared: string[] = [];
    let matched = 0;
    for (const s of seen) {
      const route = routes.find((r) => r.pattern.test(s.path));
      if (!route) {
        expect(s.status, `${s.method} ${s.path} has no route, so it must be the not-found problem`).toBe(404);
        expect(s.contentType).toMatch(/^application\/problem\+json/);
        continue;
      }
      matched++;
      const responses: Json = spec.paths[route.template][s.method.toLowerCase()].responses;
      const response = responses[String(s.status)] ?? responses[`${String(s.status)[0]}XX`];
      const mediaType = s.contentType.split(';')[0]!.trim();
      const declared = Object.keys(response?.content ?? {}).map((t) => t.split(';')[0]!.trim());
      if (!declared.includes(mediaType)) undeclared.push(`${s.method} ${route.template} ${s.status} ${mediaType} (declared: ${declared.join(', ') || 'nothing'})`);
    }
    expect(undeclared).toEqual([]);
    expect(matched).toBeGreaterThan(25);
    // The walk saw both successes and problems.
    expect(seen.some((s) => s.status === 202) && seen.some((s) => s.contentType.startsWith('application/problem+json'))).toBe(true);
  });

  it('declares refusals as application/problem+json, with status texts instead of "Default Response"', () => {
    for (const [path, operations] of Object.entries<Json>(spec.paths)) {
      for (const [method, operation] of Object.entries<Json>(operations)) {
        for (const [status, response] of Object.entries<Json>(operation.responses)) {
          expect(response.description, `${method} ${path} ${status}`).not.toBe('Default Response');
          if (/^[45]/.test(status) && path.startsWith('/v1/') && !path.startsWith('/v1/payments/notifications')) {
            expect(Object.keys(response.content ?? {}), `${method} ${path} ${status}`).toEqual(['application/problem+json']);
          }
        }
      }
    }
    expect(Object.keys(spec.paths['/v1/dossiers'].post.responses)).toEqual(expect.arrayContaining(['202', '400', '401', '403', '413', '415', '429', '500', '503']));
  });

  it('declares security per route: none on health and the public checkpoint, Basic where Basic works', () => {
    for (const path of ['/healthz', '/readyz', '/checkpoint']) expect(spec.paths[path].get.security).toEqual([]);
    expect(spec.paths['/metrics'].get.security).toEqual([{ apiKey: [] }, { basic: [] }]);
    expect(spec.paths['/v1/dossiers'].post.security).toEqual([{ apiKey: [] }]);
    expect(spec.components.securitySchemes.basic).toEqual(expect.objectContaining({ type: 'http', scheme: 'basic' }));
  });

  it('shows literal unions as enums with every value', () => {
    const lane = spec.paths['/v1/dossiers'].post.parameters.find((p: Json) => p.name === 'x-sync-lane');
    expect(lane.schema).toEqual({ type: 'string', enum: ['live', 'bulk'] });
    const state = spec.paths['/v1/admin/messages'].get.parameters.find((p: Json) => p.name === 'state');
    expect(state.schema.enum).toEqual(['pending', 'failed', 'delivered', 'dead', 'superseded']);
    expect(JSON.stringify(spec)).not.toMatch(/"anyOf":\[\{"type":"string","enum":\["[^"]*"\]\}/);
  });

  it('gives the audit bundle route a 200 schema and non-JSON answers their own content types', () => {
    expect(spec.paths['/v1/audit/bundles/{index}'].get.responses['200'].content['application/json'].schema.required).toEqual(
      expect.arrayContaining(['format', 'leaf', 'record', 'inclusionProof', 'checkpoint']),
    );
    expect(Object.keys(spec.paths['/checkpoint'].get.responses['200'].content)).toEqual(['text/plain; charset=utf-8']);
    expect(Object.keys(spec.paths['/v1/payments/{id}/receipt'].get.responses['200'].content)).toEqual(['application/pdf']);
  });

  it('shows request examples from the fixtures that match their schemas', async () => {
    expect(dossierFixture).toMatchObject(REQUEST_EXAMPLES['POST /v1/dossiers'] as Json);
    const resolved: Json = await dereference(structuredClone(spec) as never);
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    const checked: string[] = [];
    for (const [path, operations] of Object.entries<Json>(resolved.paths)) {
      for (const [method, operation] of Object.entries<Json>(operations)) {
        const media = operation.requestBody?.content?.['application/json'];
        if (media?.example === undefined) continue;
        const valid = ajv.validate(media.schema, media.example);
        expect(valid, `${method} ${path}: ${ajv.errorsText()}`).toBe(true);
        checked.push(`${method} ${path}`);
      }
    }
    // Every example in src/plugins/openapi-examples.ts found its operation.
    expect(checked.sort()).toEqual(Object.keys(REQUEST_EXAMPLES).map((k) => `${k.split(' ')[0]!.toLowerCase()} ${k.split(' ')[1]}`).sort());
    const problem = resolved.paths['/v1/dossiers'].post.responses['404'] ?? resolved.paths['/v1/dossiers/{code}'].get.responses['404'];
    expect(problem.content['application/problem+json'].example.status).toBe(404);
  });
});
