// A property-based fuzz test of every JSON route (issue 14). The routes and their body schemas come
// from the running gateway's route table (its OpenAPI document), not from a list written here: a new
// JSON route is fuzzed without anyone adding it. Each run takes a valid body, mutates it where its
// schema says there is something (NUL, lone surrogates, wrong types, huge numbers, long strings, deep
// nesting) or in its bytes (duplicate keys, integers past 2^53, nesting, truncation), sends it, and
// checks that the gateway never answers 5xx, stores nothing when it refuses, and never writes a
// personal value or a secret of the body into a log line. Bounded runs with a fixed seed: the same
// cases every time, well inside CI's time.
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNationalPaymentSimulator, type NationalPaymentSimulator } from '../../../adapters/payment/national/index.js';
import { capturedLog, type CapturedLog } from '../../support/captured-log.js';
import { sampleDossier, sampleEvent } from '../../support/dossiers.js';
import { KEYS, startTestGateway, type TestGateway } from '../../support/gateway.js';
import { footprint } from './support.js';

const RUNS_PER_ROUTE = 24;
const SEED = 14_2026;
const NATIONAL = { partnerCode: 'FUZZ01', secret: 'test-national-secret-fuzz', token: 'test-national-token-fuzz' };
const DOSSIER = 'FUZZ-D-1';
/** Stand for a dossier code made fresh for each run: one not created yet, and one created (valid) just before the request. */
const FRESH = 'FUZZ-FRESH-CODE';
const EXISTING = 'FUZZ-EXISTING-CODE';

const citizen = { name: 'Nguyễn Thị Lan', phone: '0912345678', email: 'lan.nguyen@example.vn', address: { line: 'Số 12 ngõ 34 phố Kim Mã', provinceCode: '01', communeCode: '00004' } };
const agency = { name: 'Bộ phận Một cửa UBND phường Ba Đình', phone: '02438234567', address: { line: '25 Liễu Giai', provinceCode: '01', communeCode: '00004' } };

/**
 * A valid body per route where one is needed to get past the schema; a route not named here is
 * fuzzed from `{}` and its schema alone. Keyed by the route as the table names it.
 */
function seeds(session: string, sync: Record<string, unknown>): Record<string, unknown> {
  return {
    'POST /v1/dossiers': sampleDossier(FRESH),
    'POST /v1/dossiers/{code}/events': sampleEvent(1, 'PROCESSING'),
    'POST /v1/postal/shipments': { kind: 'pickup', dossierCode: EXISTING, sender: citizen, receiver: agency, procedure: { code: '1.001193', name: 'Cấp bản sao trích lục hộ tịch' } },
    'POST /v1/payments': { dossierCode: EXISTING, provider: 'national', returnUrl: 'https://motcua.hanoi.example.vn/thanh-toan', clientIp: '203.0.113.7', payer: { name: 'Trần Văn Minh', idNumber: '001090012345' }, lines: [{ code: 'LP01', name: 'Lệ phí', kind: 'fee', amount: 8_000 }] },
    'POST /v1/admin/reconciliations': { provider: 'national', day: '2025-09-01' },
    'POST /portal-compatible/login': { username: 'hanoi-one-stop', password: KEYS.oneStop },
    'POST /portal-compatible/integration': { ...sync, session },
    'POST /portal-compatible/sharing': { session, madonvi: '000.00.12.H26', service: 'TraCuuHoSo', MaHoSo: DOSSIER },
  };
}

/** Strings that must never appear in a log line: every personal value and secret the seeds carry. */
function forbiddenInLogs(bodies: unknown[]): string[] {
  const out = new Set<string>([KEYS.oneStop, KEYS.admin, KEYS.auditor, KEYS.postal]);
  const personalKeys = /^(name|idNumber|phone|email|line|ChuHoSo|SoGiayToChuHoSo|SoDinhDanh|SoDienThoai|Email|DiaChi|DiaChiChuHoSo|password)$/;
  const walk = (value: unknown, key = '') => {
    if (typeof value === 'string' && personalKeys.test(key) && value.length >= 6 && !/^(Lệ phí|Tờ khai)$/.test(value)) out.add(value);
    else if (Array.isArray(value)) value.forEach((v) => walk(v, key));
    else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, k);
  };
  bodies.forEach((b) => walk(b));
  // Names of agencies and procedures are public, not personal.
  out.delete(agency.name);
  out.delete(agency.address.line);
  return [...out];
}

type Path = (string | number)[];

/** Every place the schema describes (properties, array items), a few levels deep. */
function schemaPaths(schema: unknown, prefix: Path = [], depth = 0, out: Path[] = []): Path[] {
  if (!schema || typeof schema !== 'object' || depth > 6) return out;
  const s = schema as { properties?: Record<string, unknown>; items?: unknown; anyOf?: unknown[]; oneOf?: unknown[]; allOf?: unknown[] };
  for (const [key, sub] of Object.entries(s.properties ?? {})) {
    out.push([...prefix, key]);
    schemaPaths(sub, [...prefix, key], depth + 1, out);
  }
  if (s.items && typeof s.items === 'object') {
    out.push([...prefix, 0]);
    schemaPaths(s.items, [...prefix, 0], depth + 1, out);
  }
  for (const sub of [...(s.anyOf ?? []), ...(s.oneOf ?? []), ...(s.allOf ?? [])]) schemaPaths(sub, prefix, depth + 1, out);
  return out;
}

function setAt(body: unknown, path: Path, value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  const container = (Array.isArray(body) ? [...body] : body && typeof body === 'object' ? { ...(body as object) } : typeof head === 'number' ? [] : {}) as Record<string | number, unknown>;
  container[head!] = setAt(container[head!], rest, value);
  return container;
}

const nested = (depth: number): unknown => (depth === 0 ? 'x' : depth % 2 ? [nested(depth - 1)] : { a: nested(depth - 1) });

/** Values that have hurt JSON readers and databases. */
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom('a\u0000b', '\u0000', '\ud800', 'x\udc00y', '\udbff\udfff', '\u202egpj.exe', "'; DROP TABLE dossiers; --", '../../etc/passwd', '%00', '\\u0000'),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.integer({ min: 1, max: 150_000 }).map((n) => 'x'.repeat(n)),
  fc.constantFrom(0, -1, 1.5, 1e308, -1e308, Number.MAX_SAFE_INTEGER, 2 ** 31, true, false, null, [], {}, ''),
  fc.integer({ min: 20, max: 40 }).map(nested),
  fc.jsonValue({ maxDepth: 3 }),
);

/** Where the seed has text: appending to it keeps the body valid for the schema, so it reaches the database. */
function stringPaths(value: unknown, prefix: Path = [], out: Path[] = []): Path[] {
  if (typeof value === 'string') out.push(prefix);
  else if (Array.isArray(value)) value.forEach((v, i) => stringPaths(v, [...prefix, i], out));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) stringPaths(v, [...prefix, k], out);
  return out;
}

function getAt(body: unknown, path: Path): unknown {
  return path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string | number, unknown>)[k] : undefined), body);
}

/** What is appended to a valid string: characters no text column or jsonb can hold, and ones that are fine. */
const injected = fc.constantFrom('\\u0000', '\\u0000\\u0000', '\\ud800', '\\udfff', '\\ud800\\ud800', '\\u202e', '\\u0001', '\\u001f', ' ', 'ạ');

/** Mutations of the bytes that JSON.stringify cannot produce. */
const rawMutation: fc.Arbitrary<(text: string) => string> = fc.oneof(
  fc.constant((t: string) => t.replace(/^\{"([^"]+)":/, (whole, key: string) => `{"${key}":"dup",${whole.slice(1)}`)),
  fc.constant((t: string) => t.replace(/}$/, ',"n":9007199254740993}')),
  fc.constant((t: string) => t.replace(/}$/, ',"n":-123456789012345678901234567890}')),
  fc.constant((t: string) => t.replace(/}$/, ',"n":1e400}')),
  fc.integer({ min: 30, max: 60 }).map((n) => (t: string) => `${'{"a":'.repeat(n)}${t}${'}'.repeat(n)}`),
  fc.integer({ min: 1, max: 200 }).map((n) => (t: string) => t.slice(0, Math.max(0, t.length - n))),
  fc.constant((t: string) => t.replace(/"([^"]*)"/, '"$1\\u0000"')),
  fc.constant((t: string) => t.replace(/"([^"]*)"/, '"$1\\ud834"')),
);

interface Route {
  name: string;
  url: string;
  schema: unknown;
  key: string | undefined;
}

describe('JSON fuzz over every JSON route of the route table (pglite)', () => {
  let gw: TestGateway;
  let log: CapturedLog;
  let national: NationalPaymentSimulator;
  let routes: Route[] = [];
  let bodies: Record<string, unknown> = {};

  beforeAll(async () => {
    log = capturedLog();
    national = await startNationalPaymentSimulator(NATIONAL);
    gw = await startTestGateway({
      engine: 'pglite',
      // No worker: what is accepted stays put, so the footprint only moves with the requests.
      roles: 'api',
      logger: log.logger,
      env: {
        NATIONAL_PAYMENT_URL: national.url,
        NATIONAL_PAYMENT_PARTNER_CODE: NATIONAL.partnerCode,
        NATIONAL_PAYMENT_SECRET: NATIONAL.secret,
        NATIONAL_PAYMENT_TOKEN: NATIONAL.token,
        // A configured operator that is never reached: shipments are only stored and queued here.
        POSTAL_URL: 'http://127.0.0.1:9',
        POSTAL_TOKEN_URL: 'http://127.0.0.1:9/token',
        POSTAL_CONSUMER_KEY: 'fuzz',
        POSTAL_CONSUMER_SECRET: 'fuzz-secret',
        RATE_LIMIT_ANONYMOUS_PER_MINUTE: '100000',
      },
    });
    expect((await gw.call('POST', '/v1/dossiers', { key: KEYS.oneStop, body: sampleDossier(DOSSIER) })).status).toBe(202);
    const login = await gw.call('POST', '/portal-compatible/login', { headers: { dstcode: 'DVCQG' }, body: { username: 'hanoi-one-stop', password: KEYS.oneStop } });
    expect(login.body.error_code, JSON.stringify(login.body)).toBe(0);
    const sync = JSON.parse(await readFile(new URL('../../fixtures/portal-compatible/dong-bo-ho-so.json', import.meta.url), 'utf8')) as Record<string, unknown>;
    bodies = seeds(login.body.session as string, sync);

    // The route table: every operation that takes a JSON body.
    const spec = (gw.gateway.app as unknown as { swagger(): { paths: Record<string, Record<string, { requestBody?: { content?: Record<string, { schema?: unknown }> } }>> } }).swagger();
    for (const [path, operations] of Object.entries(spec.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const json = operation.requestBody?.content?.['application/json'];
        if (!json) continue;
        const name = `${method.toUpperCase()} ${path}`;
        const url = path.replace('{code}', EXISTING).replace('{size}', '1').replace(/\{[^}]+\}/g, () => randomUUID());
        routes.push({ name, url, schema: json.schema, key: undefined });
      }
    }
    // The partner each route is for: the first whose valid body is not refused for who it is.
    for (const route of routes) {
      for (const key of [KEYS.oneStop, KEYS.admin, KEYS.auditor, KEYS.postal]) {
        const probe = await freshRun(route.url, JSON.stringify(bodies[route.name] ?? {}));
        const answer = await gw.call('POST', probe.url, { key, raw: probe.text, headers: { 'content-type': 'application/json' } });
        if (answer.status !== 401 && answer.status !== 403) {
          route.key = key;
          break;
        }
      }
      route.key ??= KEYS.oneStop;
    }
  }, 120_000);
  let runs = 0;
  /**
   * The request with a fresh dossier code in place of FRESH and EXISTING, in its path and its body.
   * For EXISTING the dossier is created first, valid, so that the mutated body meets a real dossier
   * rather than a refusal for a missing one.
   */
  async function freshRun(url: string, text: string): Promise<{ url: string; text: string }> {
    const code = `FUZZ-R${++runs}`;
    if (url.includes(EXISTING) || text.includes(EXISTING)) {
      const created = await gw.call('POST', '/v1/dossiers', { key: KEYS.oneStop, body: sampleDossier(code) });
      expect(created.status).toBe(202);
    }
    const fill = (s: string) => s.replaceAll(FRESH, code).replaceAll(EXISTING, code);
    return { url: fill(url), text: fill(text) };
  }

  afterAll(async () => {
    await gw?.close();
    await national?.close();
  });

  it('finds the JSON routes in the route table, and every seed names one of them', () => {
    const names = routes.map((r) => r.name);
    expect(names).toEqual(expect.arrayContaining(['POST /v1/dossiers', 'POST /v1/dossiers/{code}/events', 'POST /v1/payments', 'POST /v1/postal/shipments', 'POST /portal-compatible/integration']));
    for (const seeded of Object.keys(bodies)) expect(names).toContain(seeded);
  });

  it('never answers 5xx, stores nothing on a refusal, and logs no personal value or secret', async () => {
    const forbidden = forbiddenInLogs([...Object.values(bodies)]);
    for (const [index, route] of routes.entries()) {
      const seed = bodies[route.name] ?? {};
      const paths = [...schemaPaths(route.schema), ...schemaPaths(seedShape(seed))];
      const texts = stringPaths(seed);
      const mutation = fc.oneof(
        fc.record({ kind: fc.constant('inject' as const), path: fc.constantFrom(...(texts.length ? texts : [['x']])), tail: injected }),
        fc.record({ kind: fc.constant('value' as const), path: fc.constantFrom(...(paths.length ? paths : [['x']])), value: hostileValue }),
        fc.record({ kind: fc.constant('raw' as const), mutate: rawMutation }),
        fc.record({ kind: fc.constant('both' as const), path: fc.constantFrom(...(paths.length ? paths : [['x']])), value: hostileValue, mutate: rawMutation }),
      );
      await fc.assert(
        fc.asyncProperty(mutation, async (m) => {
          let text: string;
          if (m.kind === 'inject') {
            // Escapes written into the bytes: JSON.stringify would not write a lone surrogate as one.
            const marker = `@@${randomUUID()}@@`;
            text = JSON.stringify(setAt(seed, m.path, `${String(getAt(seed, m.path) ?? '')}${marker}`)).replace(marker, m.tail);
          } else {
            const body = m.kind === 'raw' ? seed : setAt(seed, m.path, m.value);
            text = m.kind === 'value' ? JSON.stringify(body) : m.mutate(JSON.stringify(body));
          }
          const run = await freshRun(route.url, text);
          const before = await footprint(gw);
          const mark = log.lines.length;
          const answer = await gw.call('POST', run.url, { ...(route.key ? { key: route.key } : {}), raw: run.text, headers: { 'content-type': 'application/json', dstcode: 'DVCQG' } });
          expect(answer.status, `${route.name}: ${JSON.stringify(answer.body)?.slice(0, 300)}`).toBeLessThan(500);
          const protocolRefusal = typeof answer.body?.error_code === 'number' && answer.body.error_code !== 0;
          if (answer.status >= 400 || protocolRefusal) {
            if (route.name.startsWith('POST /v1/')) expect(String(answer.headers['content-type'])).toMatch(/^application\/problem\+json/);
            const after = await footprint(gw);
            expect(after, `${route.name} refused (${answer.status}) but stored something`).toEqual(before);
          }
          for (const line of log.since(mark)) for (const value of forbidden) expect(line.includes(value), `${route.name} logged "${value}"`).toBe(false);
        }),
        { numRuns: RUNS_PER_ROUTE, seed: SEED + index, endOnFailure: true },
      );
    }
  }, 600_000);
});

/** A schema-like shape of a seed, so that paths inside a seed the route's schema leaves open (data: unknown[]) are mutated too. */
function seedShape(value: unknown): unknown {
  if (Array.isArray(value)) return { items: value.length ? seedShape(value[0]) : {} };
  if (value && typeof value === 'object') return { properties: Object.fromEntries(Object.entries(value).map(([k, v]) => [k, seedShape(v)])) };
  return {};
}
