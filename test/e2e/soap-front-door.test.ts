// The SOAP front door from an independent client: Debian's python3-zeep reads the WSDL from the
// running gateway and calls each operation (UsernameToken or x-api-key); what it submits is stored as
// /v1 would store it and reaches the national portal simulator. xmlsec1 (libxmlsec1) verifies the
// gateway's signature on a response and signs a request the gateway verifies. Every refusal is a SOAP
// Fault with a stable code, and leaves nothing stored or sent.
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import soap from 'soap';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dossier } from '../../schemas/dossier.js';
import { WSSE_NS, WSU_NS } from '../../src/soap/envelope.js';
import { OPERATIONS, SOAP_SERVICE_NS } from '../../src/soap/messages.js';
import { writeXml } from '../../src/soap/xml-model.js';
import { SOAP_NS } from '../../src/xml/soap.js';
import { sampleDossier, sampleEvent } from '../support/dossiers.js';
import { KEYS, eventually, startTestGateway, type TestGateway } from '../support/gateway.js';
import { testPki, type TestPki } from '../support/pki.js';

const PYTHON = '/usr/bin/python3';
const CLIENT = fileURLToPath(new URL('../support/soap-client.py', import.meta.url));
const XMLSEC1 = '/usr/bin/xmlsec1';
const PARTNER = 'hanoi-one-stop';
const PASSWORD_TEXT = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText';
const run = promisify(execFile);

interface ZeepCall {
  operation: keyof typeof OPERATIONS;
  params: Record<string, unknown>;
  username?: string;
  password?: string;
  apiKeyHeader?: string;
  raw?: boolean;
  timestamp?: { created: string; expires: string };
}

/** Runs the zeep client (asynchronously: the gateway under test shares this event loop). */
async function zeep(gw: TestGateway, call: ZeepCall): Promise<any> {
  const args = { wsdl: `${gw.url}/soap/one-stop?wsdl`, username: PARTNER, password: KEYS.oneStop, ...call };
  const { stdout } = await run(PYTHON, [CLIENT, JSON.stringify(args)], { timeout: 60_000 });
  return JSON.parse(stdout);
}

/** The zeep form of a canonical dossier: lists are wrappers of their items (documents/document). */
function zeepDossier(d: Dossier): Record<string, unknown> {
  const wrap = (name: string, items: unknown[] | undefined) => (items ? { [name]: items } : undefined);
  return {
    ...d,
    documents: wrap('document', d.documents),
    results: wrap('result', d.results),
    fees: wrap('fee', d.fees),
  };
}

function richDossier(code: string): Dossier {
  return sampleDossier(code, {
    applicant: {
      kind: 'citizen',
      name: 'Nguyễn Thị Hồng Nhung',
      idNumber: '001190012345',
      phone: '0912345678',
      address: { line: 'Số 5 ngõ 12 phố Đội Cấn', provinceCode: '01', communeCode: '00004' },
    },
    summary: 'Đăng ký khai sinh cho con, kèm xác nhận cư trú',
    documents: [
      { id: 'tp-1', name: 'Tờ khai đăng ký khai sinh', componentCode: 'TP01', url: 'https://motcua.hanoi.example.vn/files/to-khai.pdf', digitised: true },
      { id: 'tp-2', name: 'Giấy chứng sinh', url: 'https://motcua.hanoi.example.vn/files/chung-sinh.pdf' },
    ],
    fees: [{ code: 'LP01', name: 'Lệ phí đăng ký hộ tịch', amount: 8000, collection: 'online', paidOnline: true }],
  });
}

/** Sends `xml` as a SOAP 1.1 request and returns the status, content type and text. */
async function post(gw: TestGateway, xml: string | Buffer, headers: Record<string, string> = {}) {
  const response = await request(`${gw.url}/soap/one-stop`, {
    method: 'POST',
    headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: `"${SOAP_SERVICE_NS}/SubmitDossier"`, ...headers },
    body: xml,
  });
  return { status: response.statusCode, type: String(response.headers['content-type']), text: await response.body.text() };
}

function faultCode(text: string): string | undefined {
  return /<code>([^<]*)<\/code>/.exec(text)?.[1];
}

function envelope(body: string, security = usernameToken()): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<soap:Envelope xmlns:soap="${SOAP_NS}" xmlns:wsu="${WSU_NS}"><soap:Header><wsse:Security xmlns:wsse="${WSSE_NS}">${security}</wsse:Security></soap:Header>` +
    `<soap:Body wsu:Id="body">${body}</soap:Body></soap:Envelope>`
  );
}

function usernameToken(password = KEYS.oneStop): string {
  return `<wsse:UsernameToken><wsse:Username>${PARTNER}</wsse:Username><wsse:Password Type="${PASSWORD_TEXT}">${password}</wsse:Password></wsse:UsernameToken>`;
}

const submit = (d: Dossier) => writeXml('SubmitDossier', { dossier: d }, OPERATIONS.SubmitDossier.request, SOAP_SERVICE_NS);

const SIGNATURE_TEMPLATE =
  '<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>' +
  '<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>' +
  '<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>' +
  '<ds:Reference URI="#body"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms>' +
  '<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue/></ds:Reference></ds:SignedInfo>' +
  '<ds:SignatureValue/><ds:KeyInfo><ds:X509Data/></ds:KeyInfo></ds:Signature>';

let pki: TestPki;
let dir: string;
beforeAll(async () => {
  pki = await testPki();
  dir = mkdtempSync(join(tmpdir(), 'soap-front-door-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A request signed by xmlsec1 with the Hà Nội key: a signature in wsse:Security over soap:Body. */
function signedByXmlsec(body: string, name: string): string {
  const hanoi = pki.partners['hanoi-one-stop'];
  const certificate = join(dir, `${name}.cert.pem`);
  writeFileSync(certificate, hanoi.certificatePem);
  const template = join(dir, `${name}.template.xml`);
  writeFileSync(template, envelope(body, usernameToken() + SIGNATURE_TEMPLATE));
  const output = join(dir, `${name}.signed.xml`);
  const signing = spawnSync(XMLSEC1, ['--sign', '--privkey-pem', `${hanoi.keyFile},${certificate}`, '--id-attr:Id', `${SOAP_NS}:Body`, '--output', output, template], { encoding: 'utf8' });
  expect(signing.status, signing.stderr).toBe(0);
  return readFileSync(output, 'utf8');
}

describe('the SOAP front door, called by python3-zeep', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    // A short skew, so that the replay tests' times are far outside it whatever the machine's pace.
    gw = await startTestGateway({ engine: 'pglite', env: { SOAP_CLOCK_SKEW_SECONDS: '30', SOAP_FRESHNESS_SECONDS: '600' } });
  });
  afterAll(async () => gw?.close());

  const db = () => gw.gateway.db;
  /** Nothing of the dossier was stored or queued, the portal saw nothing, and the refusal is logged by code alone. */
  async function expectNothingStored(code: string, errorCode: string): Promise<void> {
    expect(await db().query('SELECT 1 FROM dossiers WHERE code = $1', [code])).toHaveLength(0);
    expect(await db().query('SELECT 1 FROM messages WHERE dossier_code = $1', [code])).toHaveLength(0);
    expect(gw.sim.dossiers.has(code)).toBe(false);
    const [record] = await db().query<{ outcome: string; body_sha256: string | null; endpoint: string }>(
      'SELECT outcome, body_sha256, endpoint FROM message_log WHERE error_code = $1 ORDER BY seq DESC LIMIT 1',
      [errorCode],
    );
    expect(record).toMatchObject({ outcome: 'refused', body_sha256: null });
    expect(record!.endpoint).toMatch(/^POST \/soap\/one-stop/);
  }

  it('serves the WSDL with its own address and the XSD it imports', async () => {
    const wsdl = await gw.call('GET', '/soap/one-stop?wsdl');
    expect(wsdl.status).toBe(200);
    expect(String(wsdl.body)).toContain(`location="${gw.url}/soap/one-stop"`);
    const xsd = await gw.call('GET', '/soap/one-stop.xsd');
    expect(String(xsd.body)).toContain('<xs:complexType name="Dossier">');
    const openapi = await gw.call('GET', '/docs/json');
    expect(Object.keys(openapi.body.paths)).toEqual(expect.arrayContaining(['/soap/one-stop', '/soap/one-stop.xsd']));
  });

  it('SubmitDossier with a UsernameToken stores the dossier exactly as POST /v1/dossiers would, and delivers it to the national portal', async () => {
    const code = 'SOAP-ZEEP-0001';
    const dossier = richDossier(code);
    const answer = await zeep(gw, { operation: 'SubmitDossier', params: { dossier: zeepDossier(dossier) } });
    expect(answer.result).toMatchObject({ dossierCode: code, change: 'create' });
    expect(answer.result.messageId).toMatch(/^[0-9a-f-]{36}$/);

    // The same dossier through the JSON door, under another code: both doors store the same canonical body.
    const twin = await gw.call('POST', '/v1/dossiers', { key: KEYS.oneStop, body: richDossier('SOAP-JSON-TWIN-1') });
    expect(twin.status).toBe(202);
    const [viaSoap] = await db().query<{ body: Dossier }>('SELECT body FROM dossiers WHERE code = $1', [code]);
    const [viaJson] = await db().query<{ body: Dossier }>('SELECT body FROM dossiers WHERE code = $1', ['SOAP-JSON-TWIN-1']);
    expect(viaSoap!.body).toEqual({ ...viaJson!.body, code });

    const [record] = await db().query<{ endpoint: string; outcome: string; partner_id: string; body_sha256: string }>(
      `SELECT endpoint, outcome, partner_id, body_sha256 FROM message_log WHERE dossier_code = $1 AND direction = 'in'`,
      [code],
    );
    expect(record).toMatchObject({ endpoint: 'POST /soap/one-stop SubmitDossier', outcome: 'accepted', partner_id: PARTNER });

    const delivered = await eventually(() => gw.sim.dossiers.get(code), `${code} delivered to the national portal`);
    expect(delivered).toMatchObject({ MaHoSo: code, ChuHoSo: 'Nguyễn Thị Hồng Nhung', SoGiayToChuHoSo: '001190012345' });
  });

  it('SubmitProgressEvent moves the dossier on, and GetDossierState shows it with its deliveries', async () => {
    const code = 'SOAP-ZEEP-0002';
    expect((await zeep(gw, { operation: 'SubmitDossier', params: { dossier: zeepDossier(sampleDossier(code)) } })).result.change).toBe('create');
    const event = sampleEvent(1, 'PROCESSING', { note: 'Chuyển phòng Tư pháp – hộ tịch thẩm định' });
    const answer = await zeep(gw, { operation: 'SubmitProgressEvent', params: { dossierCode: code, event } });
    expect(answer.result).toMatchObject({ dossierCode: code, change: 'event' });
    await eventually(() => gw.sim.progress.get(code)?.length === 1, `${code} progress delivered`);

    const state = await eventually(async () => {
      const read = await zeep(gw, { operation: 'GetDossierState', params: { dossierCode: code } });
      return read.result?.deliveries?.delivery?.every((d: { state: string }) => d.state === 'delivered') && read.result;
    }, 'both messages delivered');
    expect(state.status).toBe('PROCESSING');
    expect(state.dossier.applicant.name).toBe('Phạm Văn Bình');
    expect(state.events.event).toHaveLength(1);
    expect(state.events.event[0]).toMatchObject({ sequence: 1, status: 'PROCESSING', note: 'Chuyển phòng Tư pháp – hộ tịch thẩm định' });
    expect(state.deliveries.delivery.map((d: { kind: string }) => d.kind)).toEqual(['dossier-create', 'dossier-event']);
  });

  it('accepts the x-api-key header instead of a UsernameToken', async () => {
    const answer = await zeep(gw, { operation: 'GetDossierState', params: { dossierCode: 'SOAP-ZEEP-0001' }, username: '', apiKeyHeader: KEYS.oneStop });
    expect(answer.result.dossier.code).toBe('SOAP-ZEEP-0001');
  });

  it("also serves the soap package's Node client, whose WS-Security header has mustUnderstand and a Timestamp", async () => {
    const client = await soap.createClientAsync(`${gw.url}/soap/one-stop?wsdl`);
    client.setSecurity(new soap.WSSecurity(PARTNER, KEYS.oneStop, { passwordType: 'PasswordText', hasTimeStamp: true, mustUnderstand: true }));
    const [state] = await client.GetDossierStateAsync({ dossierCode: 'SOAP-ZEEP-0001' });
    expect(state.dossier.applicant.name).toBe('Nguyễn Thị Hồng Nhung');
    expect(state.dossier.documents.document).toHaveLength(2);
  });

  it('signs every response over soap:Body; xmlsec1 verifies it with the test CA, and refuses it altered', async () => {
    const answer = await zeep(gw, { operation: 'GetDossierState', params: { dossierCode: 'SOAP-ZEEP-0001' }, raw: true });
    expect(answer.status).toBe(200);
    const verify = (name: string, xml: string) => {
      const file = join(dir, name);
      writeFileSync(file, xml);
      const args = ['--verify', '--trusted-pem', join(pki.trustDir, 'root-ca.pem'), '--enabled-key-data', 'x509', '--enabled-reference-uris', 'same-doc', '--id-attr:Id', `${SOAP_NS}:Body`, file];
      const result = spawnSync(XMLSEC1, args, { encoding: 'utf8' });
      return { ok: result.status === 0, output: `${result.stdout}${result.stderr}` };
    };
    const good = verify('response.xml', answer.body);
    expect(good.output).toContain('OK');
    expect(good.ok).toBe(true);
    expect(answer.body).toContain('Nguyễn Thị Hồng Nhung');
    expect(verify('response-altered.xml', answer.body.replace('Nguyễn Thị Hồng Nhung', 'Nguyễn Thị Hồng Nhưng')).ok).toBe(false);
  });

  it('accepts a request signed by xmlsec1 with the partner key, and logs the XML signature like a JWS', async () => {
    const code = 'SOAP-SIGNED-0001';
    const response = await post(gw, signedByXmlsec(submit(sampleDossier(code)), 'signed-ok'));
    expect(response.status, response.text).toBe(200);
    expect(response.text).toContain('<change>create</change>');
    const [record] = await db().query<{ signature_format: string; signer_key_id: string; signer_chain: string[]; signature: string }>(
      `SELECT signature_format, signer_key_id, signer_chain, signature FROM message_log WHERE dossier_code = $1 AND direction = 'in'`,
      [code],
    );
    const hanoi = pki.partners['hanoi-one-stop'];
    expect(record).toMatchObject({ signature_format: 'xmldsig', signer_key_id: hanoi.fingerprint });
    expect(record!.signer_chain[0]).toBe(hanoi.fingerprint);
    expect(record!.signature).toMatch(/^[A-Za-z0-9+/]+=*$/);
  });

  describe('refusals: a SOAP Fault, and nothing stored or sent', () => {
    it('refuses a UsernameToken with a wrong API key: unauthenticated', async () => {
      const code = 'SOAP-BAD-CREDENTIALS';
      const answer = await zeep(gw, { operation: 'SubmitDossier', params: { dossier: zeepDossier(sampleDossier(code)) }, password: 'not-a-key' });
      expect(answer.fault.faultcode).toMatch(/Client$/);
      expect(answer.fault.detail.code).toBe('unauthenticated');
      await expectNothingStored(code, 'unauthenticated');
    });

    it('refuses a valid key under another partner id: unauthenticated', async () => {
      const code = 'SOAP-WRONG-USERNAME';
      const answer = await zeep(gw, { operation: 'SubmitDossier', params: { dossier: zeepDossier(sampleDossier(code)) }, username: 'other-one-stop' });
      expect(answer.fault.detail.code).toBe('unauthenticated');
      await expectNothingStored(code, 'unauthenticated');
    });

    it('refuses an x-api-key header that names no partner, even beside a good UsernameToken: unauthenticated', async () => {
      const code = 'SOAP-BAD-HEADER-KEY';
      const answer = await zeep(gw, { operation: 'SubmitDossier', params: { dossier: zeepDossier(sampleDossier(code)) }, apiKeyHeader: 'not-a-key' });
      expect(answer.fault.detail.code).toBe('unauthenticated');
      await expectNothingStored(code, 'unauthenticated');
    });

    it('refuses malformed XML: malformed-xml, as a Fault in text/xml with HTTP 500', async () => {
      const code = 'SOAP-MALFORMED';
      const response = await post(gw, envelope(submit(sampleDossier(code))).replace('</soap:Body>', '</soap:Bdy>'));
      expect(response.status).toBe(500);
      expect(response.type).toMatch(/^text\/xml/);
      expect(response.text).toContain('<faultcode>soap:Client</faultcode>');
      expect(faultCode(response.text)).toBe('malformed-xml');
      await expectNothingStored(code, 'malformed-xml');
    });

    it('refuses a billion-laughs DOCTYPE before any parser expands it: malformed-xml, reason doctype', async () => {
      const code = 'SOAP-LAUGHS';
      const entities = ['<!ENTITY lol "lol">', ...Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i || ''};`.repeat(10)}">`)];
      const bomb = envelope(submit(sampleDossier(code, { summary: '&lol9;' }))).replace('?>\n', `?>\n<!DOCTYPE soap:Envelope [${entities.join('')}]>\n`);
      const response = await post(gw, bomb);
      expect(faultCode(response.text)).toBe('malformed-xml');
      expect(response.text).toContain('<reason>doctype</reason>');
      await expectNothingStored(code, 'malformed-xml');
    });

    it('refuses an external entity (XXE) and a SOAP 1.2 envelope', async () => {
      const xxe = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><x>&xxe;</x>';
      const response = await post(gw, xxe);
      expect(faultCode(response.text)).toBe('malformed-xml');
      expect(response.text).not.toContain('root:');
      const soap12 = await post(gw, '<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body/></env:Envelope>');
      expect(soap12.text).toContain('<faultcode>soap:VersionMismatch</faultcode>');
    });

    it('refuses a body that is not text/xml, JSON included: unsupported-media-type, still as a SOAP Fault', async () => {
      for (const type of ['application/json', 'application/octet-stream']) {
        const response = await post(gw, '{"code":"SOAP-JSON"}', { 'content-type': type });
        expect(response.status).toBe(500);
        expect(response.type).toMatch(/^text\/xml/);
        expect(faultCode(response.text)).toBe('unsupported-media-type');
      }
    });

    it('refuses an oversized body before reading it: payload-too-large', async () => {
      const code = 'SOAP-OVERSIZED';
      const huge = envelope(submit(sampleDossier(code, { summary: 'Đ'.repeat(600_000) })));
      const response = await post(gw, huge);
      expect(faultCode(response.text)).toBe('payload-too-large');
      await expectNothingStored(code, 'payload-too-large');
    });

    it('refuses a request whose Body was changed after xmlsec1 signed it: signature-invalid', async () => {
      const code = 'SOAP-SIGNED-TAMPERED';
      const signed = signedByXmlsec(submit(sampleDossier(code)), 'tampered');
      const response = await post(gw, signed.replace('Phạm Văn Bình', 'Phạm Văn Bính'));
      expect(faultCode(response.text)).toBe('signature-invalid');
      await expectNothingStored(code, 'signature-invalid');
    });

    it('refuses an illegal transition: illegal-transition, the dossier unchanged and no event sent', async () => {
      const code = 'SOAP-ILLEGAL-0001';
      expect((await zeep(gw, { operation: 'SubmitDossier', params: { dossier: zeepDossier(sampleDossier(code)) } })).result.change).toBe('create');
      const answer = await zeep(gw, { operation: 'SubmitProgressEvent', params: { dossierCode: code, event: sampleEvent(1, 'RETURNED') } });
      expect(answer.fault.detail.code).toBe('illegal-transition');
      expect(answer.fault.message).toMatch(/RECEIVED cannot move to RETURNED/);
      const [row] = await db().query<{ status: string; last_event_sequence: number }>('SELECT status, last_event_sequence FROM dossiers WHERE code = $1', [code]);
      expect(row).toEqual({ status: 'RECEIVED', last_event_sequence: 0 });
      expect(await db().query(`SELECT 1 FROM messages WHERE dossier_code = $1 AND kind = 'dossier-event'`, [code])).toHaveLength(0);
      expect(gw.sim.progress.get(code)).toBeUndefined();
    });

    it('refuses a second, unsigned Body after the signed one: invalid-request, neither dossier stored', async () => {
      const signed = signedByXmlsec(submit(sampleDossier('SOAP-TWO-BODIES-1')), 'two-bodies');
      const smuggled = signed.replace('</soap:Envelope>', `<soap:Body>${submit(sampleDossier('SOAP-TWO-BODIES-2'))}</soap:Body></soap:Envelope>`);
      const response = await post(gw, smuggled);
      expect(faultCode(response.text), response.text).toBe('invalid-request');
      expect(response.text).toContain('more than one Body');
      await expectNothingStored('SOAP-TWO-BODIES-1', 'invalid-request');
      await expectNothingStored('SOAP-TWO-BODIES-2', 'invalid-request');
    });

    it('refuses a dossier the canonical validator refuses, naming the element: invalid-request', async () => {
      const code = 'SOAP-INVALID-0001';
      const dossier = sampleDossier(code, { applicant: { kind: 'citizen', name: 'Trần Văn An', idNumber: '001', phone: 'gọi tôi' } });
      const answer = await zeep(gw, { operation: 'SubmitDossier', params: { dossier: zeepDossier(dossier) } });
      expect(answer.fault.detail.code).toBe('invalid-request');
      expect(answer.fault.detail.errors[0].path).toBe('/dossier/applicant/phone');
      await expectNothingStored(code, 'invalid-request');
    });
  });
  describe('WS-Security Timestamp and UsernameToken Nonce (OASIS WSS 1.1): checked, nonces remembered in Redis', () => {
    const at = (secondsFromNow: number) => new Date(Date.now() + secondsFromNow * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
    const code = 'SOAP-FRESH-0001';
    beforeAll(async () => {
      expect((await post(gw, envelope(submit(sampleDossier(code))))).status).toBe(200);
    });
    const read = (timestamp: ZeepCall['timestamp']) => zeep(gw, { operation: 'GetDossierState', params: { dossierCode: code }, ...(timestamp ? { timestamp } : {}) });
    const withNonce = (nonce: string, created: string | undefined) =>
      envelope(
        writeXml('GetDossierState', { dossierCode: code }, OPERATIONS.GetDossierState.request, SOAP_SERVICE_NS),
        usernameToken().replace('</wsse:UsernameToken>', `<wsse:Nonce>${nonce}</wsse:Nonce>${created ? `<wsu:Created>${created}</wsu:Created>` : ''}</wsse:UsernameToken>`),
      );

    it('accepts a current Timestamp sent by zeep, and refuses one created in the future or expired: message-expired', async () => {
      expect((await read({ created: at(0), expires: at(300) })).result.dossier.code).toBe(code);
      const future = await read({ created: at(3600), expires: at(3900) });
      expect(future.fault.detail.code).toBe('message-expired');
      expect(future.fault.message).toMatch(/in the future/);
      const expired = await read({ created: at(-240), expires: at(-120) });
      expect(expired.fault.detail.code).toBe('message-expired');
      expect(expired.fault.message).toMatch(/has expired/);
      const stale = await read({ created: at(-3600), expires: at(3600) });
      expect(stale.fault.detail.code).toBe('message-expired');
    });

    it('refuses a UsernameToken Nonce seen before (nonce-replayed), and one without a Created', async () => {
      const nonce = randomBytes(16).toString('base64');
      const first = await post(gw, withNonce(nonce, at(0)));
      expect(first.status, first.text).toBe(200);
      const replayed = await post(gw, withNonce(nonce, at(0)));
      expect(faultCode(replayed.text)).toBe('nonce-replayed');
      expect((await post(gw, withNonce(randomBytes(16).toString('base64'), at(0)))).status).toBe(200);
      expect(faultCode((await post(gw, withNonce(randomBytes(16).toString('base64'), undefined))).text)).toBe('unauthenticated');
      expect(faultCode((await post(gw, withNonce(randomBytes(16).toString('base64'), at(-3600)))).text)).toBe('message-expired');
    });
  });
});

describe('the SOAP front door for a partner that must sign', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    // PostgreSQL here and PGlite above: both engines, and no second PGlite start in one file on a busy machine.
    gw = await startTestGateway({ engine: 'postgres', mustSign: true });
  });
  afterAll(async () => gw?.close());

  it('refuses an unsigned SubmitDossier (signature-missing) and accepts the same dossier signed', async () => {
    const code = 'SOAP-MUST-SIGN-0001';
    const unsigned = await zeep(gw, { operation: 'SubmitDossier', params: { dossier: zeepDossier(sampleDossier(code)) } });
    expect(unsigned.fault.detail.code).toBe('signature-missing');
    expect(await gw.gateway.db.query('SELECT 1 FROM dossiers WHERE code = $1', [code])).toHaveLength(0);

    const signed = await post(gw, signedByXmlsec(submit(sampleDossier(code)), 'must-sign'));
    expect(signed.status, signed.text).toBe(200);
    await eventually(() => gw.sim.dossiers.has(code), `${code} delivered`);
  });

  it('still answers an unsigned GetDossierState: reads need no signature', async () => {
    const answer = await zeep(gw, { operation: 'GetDossierState', params: { dossierCode: 'SOAP-MUST-SIGN-0001' } });
    expect(answer.result.status).toBe('RECEIVED');
  });
});
