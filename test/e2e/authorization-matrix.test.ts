// The ownership rule as a matrix (docs/security.md, issue 14): every route of the gateway, read
// from its own route table, is either a dossier route, asked by every persona below, or listed as a
// route that does not touch a dossier. A new route in neither list fails the test. Every refusal must
// leave nothing stored or queued, and no personal data of the request in the log.
//
// Dossier A belongs to agency 000.00.12.H26 (the test one-stop partner). Dossier H belongs to the
// commune and was handed over on the edXML road commune → department → land registry: the land
// registry holds it now, the department held it before.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startNationalPaymentSimulator, type NationalPaymentSimulator } from '../../adapters/payment/national/index.js';
import { startPostalSimulator, type PostalSimulator } from '../../adapters/postal-bcci/index.js';
import { DOSSIER_HANDOVER, type Envelope } from '../../adapters/edxml/index.js';
import type { ShipmentRequest } from '../../schemas/shipment.js';
import { sampleDossier, sampleEvent } from '../support/dossiers.js';
import { KEYS, startTestGateway, type TestGateway } from '../support/gateway.js';
import { testPki } from '../support/pki.js';
import { COMMUNE, DEPARTMENT, SPECIALISED, documentEnvelope, statusEnvelope } from '../support/edxml-samples.js';
import { memberSystems, sendPackage, withEdxmlSystems, type MemberSystem, type SystemName } from '../support/edxml-network.js';

const A = '000.00.12.H26-251201-0001';
const H = '000.00.20.H26-251201-0002';
const AGENCY_A = '000.00.12.H26';
const NATIONAL = { partnerCode: 'HNI01', secret: 'test-national-secret', token: 'test-national-token' };
const POSTAL_CONSUMER = { key: 'test-consumer', secret: 'test-consumer-secret' };
/** Personal data the requests carry; none of it may reach a log line of a refusal. */
const PERSONAL = ['Phạm Văn Bình', '001090009999', '0987654321', 'Trần Văn Minh', '001090012345', 'Nguyễn Thị Lan', '0912345678', 'Số 12 ngõ 34 phố Kim Mã'];

type Persona = 'owner' | 'other-agency' | 'holder' | 'earlier-holder' | 'owner-after-hand-over' | 'wrong-role' | 'anonymous';
const PERSONAS: Persona[] = ['owner', 'other-agency', 'holder', 'earlier-holder', 'owner-after-hand-over', 'wrong-role', 'anonymous'];

let gw: TestGateway;
let systems: Record<SystemName, MemberSystem>;
let national: NationalPaymentSimulator;
let postal: PostalSimulator;
const logLines: string[] = [];
/** What the allowed cells made, for the routes that read it back (shipment and payment ids). */
const made: Record<string, string> = {};
let firstHandover: Extract<Envelope, { kind: 'document' }>;

interface Who {
  key: string | undefined;
  dossier: string;
  agency: string;
  system?: SystemName;
}
function who(p: Persona): Who {
  switch (p) {
    case 'owner':
      return { key: KEYS.oneStop, dossier: A, agency: AGENCY_A };
    case 'other-agency':
      return { key: KEYS.otherOneStop, dossier: A, agency: AGENCY_A };
    case 'holder':
      return { key: systems.land.apiKey, dossier: H, agency: SPECIALISED.organId, system: 'land' };
    case 'earlier-holder':
      return { key: systems.department.apiKey, dossier: H, agency: DEPARTMENT.organId, system: 'department' };
    case 'owner-after-hand-over':
      return { key: systems.commune.apiKey, dossier: H, agency: COMMUNE.organId, system: 'commune' };
    case 'wrong-role':
      return { key: KEYS.auditor, dossier: A, agency: AGENCY_A };
    case 'anonymous':
      return { key: undefined, dossier: A, agency: AGENCY_A };
  }
}

/** An answer reduced to what the matrix compares: the status and the refusal's code. */
async function answer(res: { status: number; body: any }): Promise<string> {
  const code = typeof res.body === 'object' && res.body && typeof res.body.code === 'string' ? ` ${res.body.code}` : '';
  return `${res.status}${code}`;
}
const call = (p: Persona, method: string, path: string, body?: unknown) => gw.call(method, path, { ...(who(p).key ? { key: who(p).key } : {}), ...(body !== undefined ? { body } : {}) }).then(answer);

function shipment(kind: 'pickup' | 'delivery', dossierCode: string): ShipmentRequest {
  const citizen = { name: 'Nguyễn Thị Lan', phone: '0912345678', address: { line: 'Số 12 ngõ 34 phố Kim Mã', provinceCode: '01', communeCode: '00004' } };
  const agency = { name: 'Bộ phận Một cửa', phone: '02438234567', address: { line: '25 Liễu Giai', provinceCode: '01', communeCode: '00004' } };
  return { kind, dossierCode, sender: kind === 'pickup' ? citizen : agency, receiver: kind === 'pickup' ? agency : citizen, procedure: { code: '1.001193', name: 'Cấp bản sao trích lục hộ tịch' } };
}
let feeNumber = 0;
const payment = (dossierCode: string) => ({
  dossierCode,
  provider: 'national',
  lines: [{ code: `LP${String(++feeNumber).padStart(2, '0')}`, name: 'Lệ phí', kind: 'fee', amount: 8_000 }],
  returnUrl: 'https://motcua.hanoi.example.vn/thanh-toan/ket-qua',
  payer: { name: 'Trần Văn Minh', idNumber: '001090012345' },
});
const nextSequence = async (code: string) => 1 + Number((await gw.gateway.db.query<{ n: number }>('SELECT last_event_sequence AS n FROM dossiers WHERE code = $1', [code]))[0]?.n ?? 0);

async function portalSession(p: Persona): Promise<string> {
  const { key } = who(p);
  const partnerId = key ? gw.gateway.registry.authenticate(key)?.id : undefined;
  const res = await gw.call('POST', '/portal-compatible/login', { headers: { dstcode: 'x' }, body: { username: partnerId ?? 'nobody', password: key ?? 'none' } });
  return res.body.session ?? 'no-session';
}
async function portalLookUp(p: Persona, path: string): Promise<string> {
  const res = await gw.call('POST', path, { body: { session: await portalSession(p), madonvi: who(p).agency, service: 'TraCuuHoSo', MaHoSo: who(p).dossier } });
  return `error_code ${res.body.error_code}${Array.isArray(res.body.result) ? ` items ${res.body.result.length}` : ''}`;
}

/** A hand-over of the persona's dossier from its agency to the next one; members only, others sign as the commune. */
async function handOver(p: Persona): Promise<string> {
  const w = who(p);
  const to = w.agency === DEPARTMENT.organId ? SPECIALISED : DEPARTMENT;
  const from = w.system ? { ...COMMUNE, organId: w.agency, organName: w.agency } : COMMUNE;
  const envelope = { ...documentEnvelope({ documentId: `${w.agency},2025/12/01,MATRIX-${p}`, from, to: [to], dossierCode: w.dossier }) };
  const sender: MemberSystem = w.system ? systems[w.system] : { ...systems.commune, apiKey: w.key ?? '' };
  return answer(await sendPackage(gw.url, sender, envelope));
}

const SOAP_CODE = /dossier-not-found|forbidden-role|unauthenticated/;
const soapState = async (p: Persona) => {
  const xml = `<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><GetDossierState xmlns="https://lgsp.gateway/soap/one-stop/v1"><dossierCode>${who(p).dossier}</dossierCode></GetDossierState></soap:Body></soap:Envelope>`;
  const res = await request(`${gw.url}/soap/one-stop`, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', ...(who(p).key ? { 'x-api-key': who(p).key! } : {}) }, body: xml });
  const text = await res.body.text();
  return `${res.statusCode}${SOAP_CODE.exec(text) ? ` ${SOAP_CODE.exec(text)![0]}` : ''}`;
};

interface DossierRoute {
  ask: (p: Persona) => Promise<string>;
  /** The answer each persona gets; a 2xx or `error_code 0 items 1` is an allowed cell. */
  expect: Record<Persona, string>;
}

const REFUSED = { wrongRole: '403 forbidden-role', anonymous: '401 unauthenticated' };

/** Every route that reads or changes a dossier, in the order the matrix asks them. */
const DOSSIER_ROUTES: Record<string, DossierRoute> = {
  'POST /v1/dossiers': {
    ask: (p) => call(p, 'POST', '/v1/dossiers', who(p).dossier === A ? sampleDossier(A, { agency: { code: AGENCY_A, name: 'UBND' } }) : sampleDossier(H, { agency: { code: COMMUNE.organId, name: 'UBND phường Ba Đình' } })),
    expect: { owner: '202', 'other-agency': '403 forbidden-agency', holder: '403 forbidden-agency', 'earlier-holder': '403 forbidden-agency', 'owner-after-hand-over': '202', 'wrong-role': REFUSED.wrongRole, anonymous: REFUSED.anonymous },
  },
  'POST /v1/dossiers/:code/events': {
    ask: async (p) => call(p, 'POST', `/v1/dossiers/${who(p).dossier}/events`, sampleEvent(await nextSequence(who(p).dossier), 'PROCESSING')),
    expect: { owner: '202', 'other-agency': '404 dossier-not-found', holder: '202', 'earlier-holder': '404 dossier-not-found', 'owner-after-hand-over': '409 dossier-handed-over', 'wrong-role': REFUSED.wrongRole, anonymous: REFUSED.anonymous },
  },
  'GET /v1/dossiers/:code': {
    ask: (p) => call(p, 'GET', `/v1/dossiers/${who(p).dossier}`),
    expect: { owner: '200', 'other-agency': '404 dossier-not-found', holder: '200', 'earlier-holder': '404 dossier-not-found', 'owner-after-hand-over': '200', 'wrong-role': REFUSED.wrongRole, anonymous: REFUSED.anonymous },
  },
  'POST /v1/payments': {
    ask: async (p) => {
      const res = await gw.call('POST', '/v1/payments', { ...(who(p).key ? { key: who(p).key } : {}), body: payment(who(p).dossier) });
      if (res.status === 201) made[`payment:${p}`] = res.body.id;
      return answer(res);
    },
    expect: { owner: '201', 'other-agency': '404 dossier-not-found', holder: '201', 'earlier-holder': '404 dossier-not-found', 'owner-after-hand-over': '201', 'wrong-role': REFUSED.wrongRole, anonymous: REFUSED.anonymous },
  },
  // Payments and shipments are read and cancelled by the partner that asked for them (admins read them too).
  'GET /v1/payments/:id': {
    ask: (p) => call(p, 'GET', `/v1/payments/${made[`payment:${who(p).dossier === A ? 'owner' : 'owner-after-hand-over'}`]}`),
    expect: { owner: '200', 'other-agency': '404 payment-not-found', holder: '404 payment-not-found', 'earlier-holder': '404 payment-not-found', 'owner-after-hand-over': '200', 'wrong-role': REFUSED.wrongRole, anonymous: REFUSED.anonymous },
  },
  'GET /v1/payments/:id/receipt': {
    // Not paid yet: the asker hears there is no receipt, the others that there is no such payment.
    ask: (p) => call(p, 'GET', `/v1/payments/${made[`payment:${who(p).dossier === A ? 'owner' : 'owner-after-hand-over'}`]}/receipt`),
    expect: { owner: '404 not-found', 'other-agency': '404 payment-not-found', holder: '404 payment-not-found', 'earlier-holder': '404 payment-not-found', 'owner-after-hand-over': '404 not-found', 'wrong-role': REFUSED.wrongRole, anonymous: REFUSED.anonymous },
  },
  'GET /v1/payments': {
    ask: async (p) => {
      const res = await gw.call('GET', `/v1/payments?dossierCode=${who(p).dossier}`, who(p).key ? { key: who(p).key } : {});
      return `${await answer(res)}${Array.isArray(res.body.payments) ? ` payments ${res.body.payments.length}` : ''}`;
    },
    expect: { owner: '200 payments 1', 'other-agency': '200 payments 0', holder: '200 payments 1', 'earlier-holder': '200 payments 0', 'owner-after-hand-over': '200 payments 1', 'wrong-role': REFUSED.wrongRole, anonymous: REFUSED.anonymous },
  },
  'POST /v1/postal/shipments': {
    ask: async (p) => {
      const res = await gw.call('POST', '/v1/postal/shipments', { ...(who(p).key ? { key: who(p).key } : {}), body: shipment(p === 'holder' ? 'delivery' : 'pickup', who(p).dossier) });
      if (res.status === 202) made[`shipment:${p}`] = res.body.id;
      return answer(res);
    },
    expect: { owner: '202', 'other-agency': '404 dossier-not-found', holder: '202', 'earlier-holder': '404 dossier-not-found', 'owner-after-hand-over': '202', 'wrong-role': REFUSED.wrongRole, anonymous: REFUSED.anonymous },
  },
  'GET /v1/postal/shipments/:id': {
    ask: (p) => call(p, 'GET', `/v1/postal/shipments/${made[`shipment:${who(p).dossier === A ? 'owner' : 'owner-after-hand-over'}`]}`),
    expect: { owner: '200', 'other-agency': '404 shipment-not-found', holder: '404 shipment-not-found', 'earlier-holder': '404 shipment-not-found', 'owner-after-hand-over': '200', 'wrong-role': REFUSED.wrongRole, anonymous: REFUSED.anonymous },
  },
  'POST /v1/postal/shipments/:id/cancel': {
    ask: (p) => call(p, 'POST', `/v1/postal/shipments/${made[`shipment:${who(p).dossier === A ? 'owner' : 'owner-after-hand-over'}`]}/cancel`),
    expect: { owner: '202', 'other-agency': '404 shipment-not-found', holder: '404 shipment-not-found', 'earlier-holder': '404 shipment-not-found', 'owner-after-hand-over': '202', 'wrong-role': REFUSED.wrongRole, anonymous: REFUSED.anonymous },
  },
  'POST /v1/edxml': {
    // The holder may hand the dossier on; a system that does not hold it may not, and partners that
    // are not the signing system are refused on the certificate before anything else.
    ask: handOver,
    expect: { owner: '401 certificate-untrusted', 'other-agency': '401 certificate-untrusted', holder: '202', 'earlier-holder': '404 dossier-not-found', 'owner-after-hand-over': '404 dossier-not-found', 'wrong-role': REFUSED.wrongRole, anonymous: REFUSED.anonymous },
  },
  'GET /v1/edxml/:documentId': {
    // The trail of the first hand-over (commune → department) is shown to the systems it involved.
    ask: (p) => call(p, 'GET', `/v1/edxml/${encodeURIComponent(firstHandover.messageHeader.documentId)}`),
    expect: { owner: '404 edxml-not-found', 'other-agency': '404 edxml-not-found', holder: '404 edxml-not-found', 'earlier-holder': '200', 'owner-after-hand-over': '200', 'wrong-role': REFUSED.wrongRole, anonymous: REFUSED.anonymous },
  },
  'POST /portal-compatible/integration': {
    ask: (p) => portalLookUp(p, '/portal-compatible/integration'),
    expect: { owner: 'error_code 0 items 1', 'other-agency': 'error_code 0 items 0', holder: 'error_code 0 items 1', 'earlier-holder': 'error_code 0 items 0', 'owner-after-hand-over': 'error_code 0 items 1', 'wrong-role': 'error_code -1', anonymous: 'error_code -1' },
  },
  'POST /portal-compatible/sharing': {
    ask: (p) => portalLookUp(p, '/portal-compatible/sharing'),
    expect: { owner: 'error_code 0 items 1', 'other-agency': 'error_code 0 items 0', holder: 'error_code 0 items 1', 'earlier-holder': 'error_code 0 items 0', 'owner-after-hand-over': 'error_code 0 items 1', 'wrong-role': 'error_code -1', anonymous: 'error_code -1' },
  },
  'POST /soap/one-stop': {
    ask: soapState,
    expect: { owner: '200', 'other-agency': '500 dossier-not-found', holder: '200', 'earlier-holder': '500 dossier-not-found', 'owner-after-hand-over': '200', 'wrong-role': '500 forbidden-role', anonymous: '500 unauthenticated' },
  },
};

/** Routes that do not read or change a dossier of a partner, and why. */
const OTHER_ROUTES: Record<string, string> = {
  'GET /healthz': 'health',
  'GET /readyz': 'health',
  'GET /metrics': 'metrics',
  'GET /checkpoint': 'the public audit checkpoint',
  'POST /portal-compatible/login': 'portal-compatible session: no dossier',
  'GET /soap/one-stop': 'WSDL',
  'GET /soap/one-stop.xsd': 'XSD',
  'POST /v1/files': "uploads a partner's own file, tied to a dossier only when a dossier names it",
  'GET /files/:id': 'a signed link to one file',
  'GET /v1/directory': 'the edXML directory',
  'GET /v1/edxml/inbox': "a system's own inbox",
  'GET /v1/edxml/inbox/:id': "a system's own inbox item",
  'POST /v1/edxml/inbox/:id/ack': "a system's own inbox item",
  'GET /v1/payments/notifications/:provider': 'payment provider notification (signed by the provider)',
  'POST /v1/payments/notifications/:provider': 'payment provider notification (signed by the provider)',
  'POST /v1/postal/callbacks': 'postal operator report (signed, postal-operator role)',
  'POST /v1/admin/reconciliations': 'admin role only',
  'GET /v1/admin/reconciliations/:id': 'admin role only',
  'GET /v1/admin/messages': 'admin role only',
  'POST /v1/admin/messages/:id/replay': 'admin role only',
  'POST /v1/admin/messages/replay': 'admin role only: replays dead letters by filter, acting for no partner',
  'GET /v1/audit/log-key': 'auditor role: the audit log',
  'GET /v1/audit/records': 'auditor role: the audit log',
  'GET /v1/audit/records/:index': 'auditor role: the audit log',
  'GET /v1/audit/checkpoint': 'auditor role: the audit log',
  'GET /v1/audit/checkpoints': 'auditor role: the audit log',
  'GET /v1/audit/checkpoints/:size': 'auditor role: the audit log',
  'POST /v1/audit/checkpoints/:size/cosignatures': 'witnesses: a cosignature of a checkpoint',
  'GET /v1/audit/proofs/inclusion': 'auditor role: the audit log',
  'GET /v1/audit/proofs/consistency': 'auditor role: the audit log',
  'GET /v1/audit/bundles/:index': 'auditor role: the audit log',
  'GET /audit': 'the audit console (static)',
  'GET /audit/': 'the audit console (static)',
  'GET /audit/:file': 'the audit console (static)',
};

/** Whole subtrees that touch no dossier of a partner. */
const OTHER_PREFIXES: Record<string, string> = {
  '/docs': 'API description (OpenAPI, Swagger UI)',
  '/admin/queues': 'the queue dashboard, admin role only',
};
const listedElsewhere = (route: string) => Object.keys(OTHER_PREFIXES).some((prefix) => route.split(' ')[1] === prefix || route.split(' ')[1]!.startsWith(`${prefix}/`));

/** The app's routes, read from Fastify's own table (HEAD routes are Fastify's shadows of GET). */
function routeTable(): string[] {
  const tree = gw.gateway.app!.printRoutes({ commonPrefix: false });
  const routes: string[] = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^([│ ]*)[├└]── (\S+)(?: \(([^)]*)\))?/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    const path = (stack[depth - 1] ?? '') + m[2]!;
    stack[depth] = path;
    for (const method of (m[3] ?? '').split(',').map((s) => s.trim())) {
      if (method && method !== 'HEAD' && method !== 'OPTIONS') routes.push(`${method} ${path}`);
    }
  }
  return routes;
}

/** What a refused request must not change: stored rows and queued messages. */
async function footprint(): Promise<string> {
  const [row] = await gw.gateway.db.query(`SELECT
      (SELECT count(*) FROM dossiers) AS dossiers, (SELECT max(updated_at)::text FROM dossiers) AS dossiers_updated,
      (SELECT count(*) FROM dossier_events) AS events, (SELECT count(*) FROM messages) AS messages,
      (SELECT count(*) FROM payments) AS payments, (SELECT count(*) FROM shipments) AS shipments,
      (SELECT count(*) FROM edxml_packages WHERE state = 'accepted') AS packages,
      (SELECT string_agg(dossier_code || '=' || agency_code, ',') FROM dossier_holders) AS holders,
      (SELECT count(*) FROM message_log WHERE outcome = 'accepted') AS accepted`);
  return JSON.stringify(row);
}

const allowed = (expected: string) => /^2\d\d$/.test(expected) || expected === 'error_code 0 items 1' || /^200 payments [1-9]/.test(expected);

beforeAll(async () => {
  const pki = await testPki();
  systems = await memberSystems(pki);
  national = await startNationalPaymentSimulator(NATIONAL);
  postal = await startPostalSimulator({ consumers: [POSTAL_CONSUMER], customerCode: 'HNI' });
  gw = await startTestGateway({
    engine: 'postgres',
    logLines,
    // The systems fetch from their inboxes: nothing of the edXML road is pushed anywhere.
    editPartners: withEdxmlSystems(systems, {}),
    env: {
      NATIONAL_PAYMENT_URL: national.url,
      NATIONAL_PAYMENT_PARTNER_CODE: NATIONAL.partnerCode,
      NATIONAL_PAYMENT_SECRET: NATIONAL.secret,
      NATIONAL_PAYMENT_TOKEN: NATIONAL.token,
      POSTAL_URL: postal.url,
      POSTAL_TOKEN_URL: postal.tokenUrl,
      POSTAL_CONSUMER_KEY: POSTAL_CONSUMER.key,
      POSTAL_CONSUMER_SECRET: POSTAL_CONSUMER.secret,
      POSTAL_CUSTOMER_CODE: 'HNI',
    },
  });
  expect((await gw.call('POST', '/v1/dossiers', { key: KEYS.oneStop, body: sampleDossier(A, { agency: { code: AGENCY_A, name: 'UBND' } }) })).status).toBe(202);
  expect((await gw.call('POST', '/v1/dossiers', { key: systems.commune.apiKey, body: sampleDossier(H, { agency: { code: COMMUNE.organId, name: 'UBND phường Ba Đình' } }) })).status).toBe(202);
  // H: commune → department (accepted), department → land registry (accepted).
  firstHandover = documentEnvelope({ documentId: `${COMMUNE.organId},2025/12/01,MATRIX-1`, from: COMMUNE, to: [DEPARTMENT], dossierCode: H });
  const second = documentEnvelope({ documentId: `${DEPARTMENT.organId},2025/12/01,MATRIX-2`, from: DEPARTMENT, to: [SPECIALISED], dossierCode: H });
  expect(firstHandover.messageHeader.otherInfo?.applicationType).toBe(DOSSIER_HANDOVER);
  expect((await sendPackage(gw.url, systems.commune, firstHandover)).status).toBe(202);
  expect((await sendPackage(gw.url, systems.department, statusEnvelope(firstHandover, DEPARTMENT, '03', 'Đã tiếp nhận'))).status).toBe(202);
  expect((await sendPackage(gw.url, systems.department, second)).status).toBe(202);
  expect((await sendPackage(gw.url, systems.land, statusEnvelope(second, SPECIALISED, '03', 'Đã tiếp nhận'))).status).toBe(202);
}, 120_000);
afterAll(async () => {
  await gw?.close();
  await national?.close();
  await postal?.close();
});

describe('the authorization matrix', () => {
  it('knows every route of the gateway: each is a dossier route or listed as one that touches no dossier', () => {
    const routes = routeTable();
    expect(routes.length).toBeGreaterThan(20);
    const unknown = routes.filter((r) => !(r in DOSSIER_ROUTES) && !(r in OTHER_ROUTES) && !listedElsewhere(r));
    expect(unknown, 'add each new route to DOSSIER_ROUTES (with its matrix row) or OTHER_ROUTES').toEqual([]);
    const gone = [...Object.keys(DOSSIER_ROUTES), ...Object.keys(OTHER_ROUTES)].filter((r) => !routes.includes(r));
    expect(gone, 'routes listed here that the gateway no longer has').toEqual([]);
  });

  for (const [route, row] of Object.entries(DOSSIER_ROUTES)) {
    it(`${route}: owner, other agency, holder, earlier holder, owner after hand-over, wrong role, anonymous`, async () => {
      const got = {} as Record<Persona, string>;
      for (const persona of PERSONAS) {
        const before = await footprint();
        const firstLine = logLines.length;
        got[persona] = await row.ask(persona);
        if (allowed(row.expect[persona])) continue;
        expect(await footprint(), `${route} as ${persona} (${got[persona]}) stored or queued something`).toBe(before);
        const leaked = logLines.slice(firstLine).filter((line) => PERSONAL.some((value) => line.includes(value) || line.includes(JSON.stringify(value).slice(1, -1))));
        expect(leaked, `${route} as ${persona} logged personal data`).toEqual([]);
      }
      expect(got).toEqual(row.expect);
    });
  }
});

describe('the findings of issue 14, each refused as a dossier that does not exist', () => {
  const holderOf = async (code: string) => (await gw.gateway.db.query<{ agency_code: string }>('SELECT agency_code FROM dossier_holders WHERE dossier_code = $1', [code]))[0]?.agency_code;
  const problem = (res: { status: number; body: any }, code: string) => ({ status: res.status, code: res.body.code, title: res.body.title, detail: String(res.body.detail ?? '').replaceAll(code, 'CODE') });

  it('1. an edXML member cannot hand over a dossier its agency does not hold, nor take it with a status 03; the 03 is checked again when it arrives', async () => {
    const F = '000.00.20.H26-251201-0101';
    expect((await gw.call('POST', '/v1/dossiers', { key: systems.commune.apiKey, body: sampleDossier(F, { agency: { code: COMMUNE.organId, name: 'UBND phường Ba Đình' } }) })).status).toBe(202);
    // The department names the commune's dossier, and a code never created, as its own to hand over.
    const hijack = documentEnvelope({ documentId: `${DEPARTMENT.organId},2025/12/01,HIJACK-1`, from: DEPARTMENT, to: [SPECIALISED], dossierCode: F });
    const ghost = documentEnvelope({ documentId: `${DEPARTMENT.organId},2025/12/01,HIJACK-2`, from: DEPARTMENT, to: [SPECIALISED], dossierCode: `${DEPARTMENT.organId}-251201-0404` });
    const refusedHijack = await sendPackage(gw.url, systems.department, hijack);
    const refusedGhost = await sendPackage(gw.url, systems.department, ghost);
    expect(refusedHijack).toMatchObject({ status: 404, body: { code: 'dossier-not-found' } });
    expect(problem(refusedHijack, F)).toEqual(problem(refusedGhost, ghost.messageHeader.code.codeNumber));
    // The land registry's 03 on the refused hand-over moves nothing; the owner keeps reporting.
    expect((await sendPackage(gw.url, systems.land, statusEnvelope(hijack, SPECIALISED, '03', 'Đã tiếp nhận'))).status).toBe(422);
    expect(await holderOf(F)).toBeUndefined();
    expect((await gw.call('POST', `/v1/dossiers/${F}/events`, { key: systems.commune.apiKey, body: sampleEvent(1, 'PROCESSING') })).status).toBe(202);

    // Handed to two agencies while the commune holds it: the first 03 moves it, the second no longer can.
    const toDepartment = documentEnvelope({ documentId: `${COMMUNE.organId},2025/12/01,TWICE-1`, from: COMMUNE, to: [DEPARTMENT], dossierCode: F });
    const toLand = documentEnvelope({ documentId: `${COMMUNE.organId},2025/12/01,TWICE-2`, from: COMMUNE, to: [SPECIALISED], dossierCode: F });
    expect((await sendPackage(gw.url, systems.commune, toDepartment)).status).toBe(202);
    expect((await sendPackage(gw.url, systems.commune, toLand)).status).toBe(202);
    expect((await sendPackage(gw.url, systems.land, statusEnvelope(toLand, SPECIALISED, '03', 'Đã tiếp nhận'))).status).toBe(202);
    expect(await sendPackage(gw.url, systems.department, statusEnvelope(toDepartment, DEPARTMENT, '03', 'Đã tiếp nhận'))).toMatchObject({ status: 404, body: { code: 'dossier-not-found' } });
    expect(await holderOf(F)).toBe(SPECIALISED.organId);
  });

  it('2. a payment is asked only for an existing dossier of the caller’s agencies; another agency’s is answered as a missing one', async () => {
    const ghost = '000.00.01.H99-251201-0404';
    const theirs = await gw.call('POST', '/v1/payments', { key: KEYS.otherOneStop, body: payment(A) });
    const missing = await gw.call('POST', '/v1/payments', { key: KEYS.otherOneStop, body: payment(ghost) });
    expect(theirs.status).toBe(404);
    expect(problem(theirs, A)).toEqual(problem(missing, ghost));
    expect((await gw.gateway.db.query('SELECT 1 FROM payments WHERE dossier_code = ANY($1)', [[A, ghost]])).filter(Boolean).length).toBe(made['payment:owner'] ? 1 : 0);
  });

  it('3. a shipment is ordered only for an existing dossier of the caller’s agencies; another agency’s is answered as a missing one', async () => {
    const ghost = '000.00.01.H99-251201-0405';
    const theirs = await gw.call('POST', '/v1/postal/shipments', { key: KEYS.otherOneStop, body: shipment('delivery', A) });
    const missing = await gw.call('POST', '/v1/postal/shipments', { key: KEYS.otherOneStop, body: shipment('delivery', ghost) });
    expect(theirs.status).toBe(404);
    expect(problem(theirs, A)).toEqual(problem(missing, ghost));
    expect((await gw.gateway.db.query(`SELECT 1 FROM shipments WHERE dossier_code = $1 AND kind = 'delivery'`, [ghost])).length).toBe(0);
  });

  it('7. creating a dossier with a code of another agency does not tell whether that code exists (/v1 and portal-compatible)', async () => {
    const ghost = `${AGENCY_A}-251201-0404`;
    const plain = 'PLAIN-OWN-1';
    expect((await gw.call('POST', '/v1/dossiers', { key: KEYS.oneStop, body: sampleDossier(plain, { agency: { code: AGENCY_A, name: 'UBND' } }) })).status).toBe(202);
    const asOther = (code: string) => gw.call('POST', '/v1/dossiers', { key: KEYS.otherOneStop, body: sampleDossier(code, { agency: { code: '000.00.01.H99', name: 'Another commune' } }) });
    const existing = problem(await asOther(A), A);
    expect(existing).toMatchObject({ status: 403, code: 'forbidden-agency' });
    expect(problem(await asOther(ghost), ghost)).toEqual(existing);
    // A code without an agency in it cannot be judged from the request; taken, it gets the same answer.
    expect(problem(await asOther(plain), plain)).toEqual(existing);
    expect((await gw.gateway.db.query('SELECT 1 FROM dossiers WHERE code = $1', [ghost])).length).toBe(0);

    const login = await gw.call('POST', '/portal-compatible/login', { headers: { dstcode: 'x' }, body: { username: 'other-one-stop', password: KEYS.otherOneStop } });
    const item = (code: string) => ({ ...sampleItem(), MaHoSo: code });
    const create = async (code: string) => {
      const res = await gw.call('POST', '/portal-compatible/integration', { body: { session: login.body.session, madonvi: '000.00.01.H99', service: 'DongBoHoSoMC', isUpdating: 'False', data: [item(code)] } });
      return { error_code: res.body.error_code, message: String(res.body.message).replaceAll(code, 'CODE') };
    };
    const portalExisting = await create(A);
    expect(portalExisting.error_code).toBe(6);
    expect(await create(ghost)).toEqual(portalExisting);
    expect(await create(plain)).toEqual(portalExisting);
  });
});

/** A DongBoHoSoMC item of the golden fixture, to be given another MaHoSo. */
function sampleItem(): Record<string, unknown> {
  const call = JSON.parse(readFileSync(new URL('../fixtures/portal-compatible/dong-bo-ho-so.json', import.meta.url), 'utf8')) as { data: Record<string, unknown>[] };
  return call.data[1]!;
}
