// The edXML road through a real gateway (HTTP, PGlite, Redis, the delivery queue): the directory,
// a package with Vietnamese text and several attachments pushed to a real receiving endpoint and
// read back equal, status messages routed back, the inbox of a system that fetches, and every
// refusal recorded in the document's trail with its reason while nothing is delivered.
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { packageChunks, splitPackage, startEdxmlReceiver, verifyEnvelope, writeSignedEnvelope, type EdxmlReceiver, type ManifestReference, type OutgoingAttachment } from '../../adapters/edxml/index.js';
import { TrustStore } from '../../src/crypto/trust-store.js';
import { eventually, KEYS, startTestGateway, type TestGateway } from '../support/gateway.js';
import { sampleDossier } from '../support/dossiers.js';
import { testPki, type TestPki } from '../support/pki.js';
import { COMMUNE, DEPARTMENT, SPECIALISED, documentEnvelope, statusEnvelope } from '../support/edxml-samples.js';
import { memberSystems, sendPackage, withEdxmlSystems, type MemberSystem, type SystemName } from '../support/edxml-network.js';

let pki: TestPki;
let trust: TrustStore;
let systems: Record<SystemName, MemberSystem>;
let commune: EdxmlReceiver;
let department: EdxmlReceiver;
let gw: TestGateway;

beforeAll(async () => {
  pki = await testPki();
  trust = await TrustStore.load(pki.trustDir);
  systems = await memberSystems(pki);
  commune = await startEdxmlReceiver({ trust, gatewayFingerprint: pki.gateway.fingerprint });
  department = await startEdxmlReceiver({ trust, gatewayFingerprint: pki.gateway.fingerprint });
  // The land registry has no endpoint: it fetches from its inbox. The commune and the department must
  // sign every write: their packages are signed inside, and no detached JWS is asked of them.
  gw = await startTestGateway({ engine: 'pglite', editPartners: withEdxmlSystems(systems, { commune: commune.url, department: department.url }, { mustSign: ['commune', 'department'] }) });
  // A hand-over names a dossier its From agency holds: the commune's (created by the test one-stop
  // partner, which acts for the commune too). The first test's hand-over is accepted (03) and moves
  // its own dossier to the department; the others stay with the commune.
  for (const code of [documentEnvelope().messageHeader.code.codeNumber, ACCEPTED_DOSSIER]) {
    const res = await gw.call('POST', '/v1/dossiers', { key: KEYS.oneStop, body: sampleDossier(code, { agency: { code: COMMUNE.organId, name: 'UBND phường Ba Đình' } }) });
    expect(res.status).toBe(202);
  }
}, 60_000);

const ACCEPTED_DOSSIER = '000.00.20.H26-251123-0002';
afterAll(async () => {
  await gw?.close();
  await commune?.close();
  await department?.close();
});

function attachment(contentId: string, name: string, bytes: Buffer, contentType = 'application/pdf'): OutgoingAttachment {
  const reference: ManifestReference = { contentId, attachmentName: name, contentType, description: `Tệp ${name}`, sha256: createHash('sha256').update(bytes).digest('hex') };
  return { reference, source: { bytes } };
}

const trail = (documentId: string, key: string) => gw.call('GET', `/v1/edxml/${encodeURIComponent(documentId)}`, { key });
const messageCount = async () => Number((await gw.gateway.db.query<{ n: string }>(`SELECT count(*) AS n FROM messages WHERE destination = 'edxml'`))[0]!.n);
/** Attachments kept in the database (issue 17: they live there, so a refusal must leave none). */
const storedAttachments = async () => Number((await gw.gateway.db.query<{ n: string }>('SELECT count(*) AS n FROM edxml_attachments'))[0]!.n);

describe('directory', () => {
  it('lists every agency with the system serving it and how it takes packages', async () => {
    const res = await gw.call('GET', '/v1/directory', { key: systems.commune.apiKey });
    expect(res.status).toBe(200);
    expect(res.body.agencies).toEqual([
      { organId: DEPARTMENT.organId, name: DEPARTMENT.organName, system: { partnerId: 'department-one-stop', name: 'Một cửa Sở Tài nguyên và Môi trường', delivery: 'push', endpoint: department.url }, accepts: ['document', 'dossier-handover'] },
      { organId: SPECIALISED.organId, name: SPECIALISED.organName, system: { partnerId: 'land-registry', name: 'Hệ thống đăng ký đất đai', delivery: 'inbox' }, accepts: ['document', 'dossier-handover'] },
      { organId: COMMUNE.organId, name: COMMUNE.organName, system: { partnerId: 'commune-one-stop', name: 'Một cửa phường Ba Đình', delivery: 'push', endpoint: commune.url }, accepts: ['document', 'dossier-handover'] },
    ]);
    expect((await gw.call('GET', '/v1/directory')).status).toBe(401);
    const openapi = await gw.call('GET', '/docs/json');
    expect(Object.keys(openapi.body.paths)).toEqual(expect.arrayContaining(['/v1/directory', '/v1/edxml', '/v1/edxml/inbox', '/v1/edxml/{documentId}']));
  });
});

describe('a package pushed to a receiving system', () => {
  it('arrives verified, equal to what was sent plus the gateway hop, with every attachment byte for byte; its statuses go back to the sender', async () => {
    const files = [
      attachment('don', 'Đơn đăng ký biến động đất đai.pdf', Buffer.from('%PDF-1.7 Đơn của ông Nguyễn Văn Đức, thửa số 12')),
      attachment('ban-ve', 'Bản vẽ trích đo.png', randomBytes(1_500_000), 'image/png'),
      attachment('cccd', 'Căn cước công dân.jpg', randomBytes(70_001), 'image/jpeg'),
    ];
    const envelope = documentEnvelope({ documentId: '000.00.20.H26,2025/11/23,RT-1', dossierCode: ACCEPTED_DOSSIER, manifest: files.map((f) => f.reference) });
    const sent = await sendPackage(gw.url, systems.commune, envelope, files);
    expect(sent.status).toBe(202);
    expect(sent.body).toMatchObject({ documentId: '000.00.20.H26,2025/11/23,RT-1', kind: 'document', duplicate: false });

    const [arrived] = await department.waitFor(1);
    expect(arrived!.envelope).toEqual({ ...envelope, traces: [...envelope.traces, { organId: '000.00.00.H26', timestamp: expect.stringMatching(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d$/) }] });
    for (const [i, a] of arrived!.attachments.entries()) expect(sha256(await readFile(a.file))).toBe(files[i]!.reference.sha256);

    // Sent twice (a retry after a lost answer): the same package, nothing delivered twice.
    const again = await sendPackage(gw.url, systems.commune, envelope, files);
    expect(again).toMatchObject({ status: 200, body: { packageId: sent.body.packageId, duplicate: true } });

    for (const [code, text] of [['01', 'Đã nhận'], ['03', 'Đã tiếp nhận hồ sơ']] as const) {
      expect((await sendPackage(gw.url, systems.department, statusEnvelope(envelope, DEPARTMENT, code, text))).status).toBe(202);
    }
    const statuses = await commune.waitFor(2);
    expect(statuses.map((s) => (s.envelope.kind === 'status' ? s.envelope.status.statusCode : ''))).toEqual(['01', '03']);

    const seen = await eventually(async () => {
      const t = await trail(envelope.messageHeader.documentId, systems.commune.apiKey);
      return t.body.packages?.every((p: any) => p.deliveries.every((d: any) => d.state === 'delivered')) && t.body.packages.length === 3 ? t : undefined;
    }, 'every package of the trail delivered');
    expect(seen.body.sender).toBe('commune-one-stop');
    expect(seen.body.packages[0].hops.map((h: any) => h.organId)).toEqual([COMMUNE.organId, '000.00.00.H26']);
    expect(seen.body.statuses.map((s: any) => [s.from, s.statusCode, s.meaning])).toEqual([
      [DEPARTMENT.organId, '01', 'arrived'],
      [DEPARTMENT.organId, '03', 'accepted'],
    ]);
    // Revoking it names the DocumentId already sent; the receiver agrees (15).
    const revoke = { ...envelope, manifest: [], business: { bussinessDocType: '1', bussinessDocReason: 'Thu hồi do nộp nhầm hồ sơ' } };
    expect((await sendPackage(gw.url, systems.commune, revoke)).status).toBe(202);
    expect((await department.waitFor(2))[1]!.envelope).toMatchObject({ kind: 'document', business: { bussinessDocType: '1' } });
    expect((await sendPackage(gw.url, systems.department, statusEnvelope(envelope, DEPARTMENT, '15', 'Đồng ý thu hồi'))).status).toBe(202);
    expect((await commune.waitFor(3))[2]!.envelope).toMatchObject({ kind: 'status', status: { statusCode: '15' } });
    const unknownRevoke = { ...revoke, messageHeader: { ...revoke.messageHeader, documentId: '000.00.20.H26,2025/11/23,NEVER-SENT' } };
    expect(await sendPackage(gw.url, systems.commune, unknownRevoke)).toMatchObject({ status: 422, body: { code: 'edxml-unknown-document' } });

    // The receiver sees the same trail; an uninvolved system does not.
    expect((await trail(envelope.messageHeader.documentId, systems.department.apiKey)).status).toBe(200);
    expect((await trail(envelope.messageHeader.documentId, systems.land.apiKey)).status).toBe(404);
  });
});

describe('delivery', () => {
  it('retries a receiver that answers 503 until it takes the package, and the trail counts the attempts', async () => {
    department.failNext(2);
    const before = department.received.length;
    const envelope = documentEnvelope({ documentId: '000.00.20.H26,2025/11/23,RETRY-1' });
    expect((await sendPackage(gw.url, systems.commune, envelope)).status).toBe(202);
    await department.waitFor(before + 1);
    const t = await eventually(async () => {
      const res = await trail(envelope.messageHeader.documentId, systems.commune.apiKey);
      return res.body.packages?.[0]?.deliveries[0]?.state === 'delivered' ? res : undefined;
    }, 'the retried package delivered');
    expect(t.body.packages[0].deliveries[0]).toMatchObject({ organId: DEPARTMENT.organId, mode: 'push', attempts: 3, lastError: null });
  });

  it('streams a 40 MB attachment from the sender through the gateway to the receiver, digest intact', async () => {
    const big = path.join(gw.dataDir, 'so-dia-chinh.tif');
    const chunk = randomBytes(1024 * 1024);
    const hash = createHash('sha256');
    const out = createWriteStream(big);
    for (let i = 0; i < 40; i++) {
      chunk[0] = i;
      hash.update(chunk);
      if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
    }
    await new Promise<void>((r) => out.end(() => r()));
    const reference: ManifestReference = { contentId: 'so-dia-chinh', attachmentName: 'Sổ địa chính số hoá.tif', contentType: 'image/tiff', sha256: hash.digest('hex') };
    const envelope = documentEnvelope({ documentId: '000.00.20.H26,2025/11/23,BIG-1', manifest: [reference] });
    const signed = writeSignedEnvelope(envelope, systems.commune.signer);
    const before = department.received.length;
    const res = await request(`${gw.url}/v1/edxml`, {
      method: 'POST',
      headers: { 'x-api-key': systems.commune.apiKey, 'content-type': 'application/xml' },
      body: Readable.from(packageChunks(signed, [{ reference, source: { file: big } }])),
    });
    expect(res.statusCode).toBe(202);
    await res.body.dump();
    const [arrived] = (await department.waitFor(before + 1, 60_000)).slice(-1);
    expect(arrived!.attachments[0]).toMatchObject({ size: 40 * 1024 * 1024, sha256: reference.sha256 });
  }, 120_000);
});

describe('a system that fetches', () => {
  it('finds the package in its inbox, reads it verified with its attachment, acknowledges it, and the trail says so', async () => {
    const files = [attachment('qd', 'Quyết định giao đất.pdf', Buffer.from('Quyết định số 45/QĐ-UBND ngày 20/11/2025'))];
    const envelope = documentEnvelope({ documentId: '000.00.20.H26,2025/11/23,INBOX-1', to: [SPECIALISED], manifest: files.map((f) => f.reference) });
    expect((await sendPackage(gw.url, systems.commune, envelope, files)).status).toBe(202);
    const inbox = await gw.call('GET', '/v1/edxml/inbox', { key: systems.land.apiKey });
    expect(inbox.body.items).toHaveLength(1);
    const item = inbox.body.items[0];
    expect(item).toMatchObject({ kind: 'document', documentId: envelope.messageHeader.documentId, from: COMMUNE.organId, organId: SPECIALISED.organId });

    const fetched = await request(`${gw.url}${item.links.package}`, { headers: { 'x-api-key': systems.land.apiKey } });
    expect(fetched.statusCode).toBe(200);
    const split = await splitPackage(fetched.body, { maxPackageBytes: 10_000_000, dir: gw.dataDir });
    const verified = await verifyEnvelope(split.envelopeXml, { trust });
    expect(verified.certificateChain[0]!.fingerprint256.replaceAll(':', '').toLowerCase()).toBe(pki.gateway.fingerprint);
    expect(verified.envelope.kind === 'document' && verified.envelope.messageHeader).toEqual(envelope.messageHeader);
    expect(sha256(await readFile(split.attachments[0]!.file))).toBe(files[0]!.reference.sha256);

    expect((await gw.call('GET', item.links.package, { key: systems.department.apiKey })).status).toBe(404);
    expect((await gw.call('POST', item.links.ack, { key: systems.land.apiKey })).body).toEqual({ acknowledged: true });
    expect((await gw.call('GET', '/v1/edxml/inbox', { key: systems.land.apiKey })).body.items).toEqual([]);
    const t = await trail(envelope.messageHeader.documentId, systems.commune.apiKey);
    expect(t.body.packages[0].deliveries).toMatchObject([{ organId: SPECIALISED.organId, mode: 'inbox', state: 'acknowledged' }]);
  });
});

describe('refusals', () => {
  const refusedCase = async (documentId: string, send: () => Promise<{ status: number; body: any }>, expected: { status: number; code: string; reason: RegExp }) => {
    const before = { messages: await messageCount(), attachments: await storedAttachments(), commune: commune.received.length, department: department.received.length };
    const res = await send();
    expect(res.status).toBe(expected.status);
    expect(res.body.code).toBe(expected.code);
    const t = await trail(documentId, systems.commune.apiKey);
    expect(t.status).toBe(200);
    expect(t.body.packages).toMatchObject([{ state: 'refused', refusal: { code: expected.code, reason: expect.stringMatching(expected.reason) }, deliveries: [] }]);
    expect({ messages: await messageCount(), attachments: await storedAttachments(), commune: commune.received.length, department: department.received.length }).toEqual(before);
    expect((await gw.call('GET', '/v1/edxml/inbox', { key: systems.land.apiKey })).body.items).toEqual([]);
  };

  it('refuses a package whose attachment was changed after signing', async () => {
    const bytes = Buffer.from('Biên bản thẩm định hiện trạng sử dụng đất');
    const files = [attachment('bb', 'Biên bản.pdf', bytes)];
    const envelope = documentEnvelope({ documentId: '000.00.20.H26,2025/11/23,TAMPER-ATT', manifest: files.map((f) => f.reference) });
    const changed = Buffer.from('Biên bản thẩm định hiện trạng sử dụng đất (sửa)').toString('base64');
    await refusedCase(envelope.messageHeader.documentId, () => sendPackage(gw.url, systems.commune, envelope, files, { mutate: (xml) => xml.replace(bytes.toString('base64'), changed) }), {
      status: 401,
      code: 'signature-invalid',
      reason: /cid:bb does not match its digest/,
    });
  });

  it('judges a copy of an accepted package whole: one attachment byte changed is refused, not answered as a duplicate', async () => {
    const bytes = Buffer.from('Quyết định giao đất số 12/QĐ-UBND');
    const files = [attachment('qd', 'Quyết định.pdf', bytes)];
    const envelope = documentEnvelope({ documentId: '000.00.20.H26,2025/11/23,COPY-ATT', manifest: files.map((f) => f.reference) });
    const arrived = department.received.length;
    expect((await sendPackage(gw.url, systems.commune, envelope, files)).status).toBe(202);
    await department.waitFor(arrived + 1);
    const before = { messages: await messageCount(), attachments: await storedAttachments(), department: department.received.length };
    // The envelope is byte for byte the accepted one; only the attachment differs (Q -> R).
    const changed = Buffer.from('Ruyết định giao đất số 12/QĐ-UBND').toString('base64');
    const copy = await sendPackage(gw.url, systems.commune, envelope, files, { mutate: (xml) => xml.replace(bytes.toString('base64'), changed) });
    expect(copy.status).toBe(401);
    expect(copy.body).toMatchObject({ code: 'signature-invalid' });
    const t = await trail(envelope.messageHeader.documentId, systems.commune.apiKey);
    expect(t.body.packages.map((p: any) => p.state)).toEqual(['accepted', 'refused']);
    expect(t.body.packages[1].refusal.reason).toMatch(/cid:qd does not match its digest/);
    expect({ messages: await messageCount(), attachments: await storedAttachments(), department: department.received.length }).toEqual(before);
  });

  it('refuses a package whose header was changed after signing', async () => {
    const envelope = documentEnvelope({ documentId: '000.00.20.H26,2025/11/23,TAMPER-HDR' });
    await refusedCase(envelope.messageHeader.documentId, () => sendPackage(gw.url, systems.commune, envelope, [], { mutate: (xml) => xml.replace('Nguyễn Văn Đức', 'Nguyễn Văn Đúc') }), {
      status: 401,
      code: 'signature-invalid',
      reason: /digest of the signed element does not match/,
    });
  });

  it('refuses a package for an agency that is not in the directory', async () => {
    const envelope = documentEnvelope({ documentId: '000.00.20.H26,2025/11/23,UNKNOWN-TO', to: [DEPARTMENT, { organId: '000.00.99.H26', organName: 'Cơ quan không có trong danh bạ' }] });
    await refusedCase(envelope.messageHeader.documentId, () => sendPackage(gw.url, systems.commune, envelope), { status: 422, code: 'edxml-unknown-receiver', reason: /000\.00\.99\.H26 is not in the directory/ });
  });

  it('refuses a package whose From is an agency the sending system does not serve', async () => {
    const envelope = documentEnvelope({ documentId: '000.00.05.H26,2025/11/23,FROM', from: DEPARTMENT, to: [SPECIALISED] });
    await refusedCase(envelope.messageHeader.documentId, () => sendPackage(gw.url, systems.commune, envelope), { status: 403, code: 'edxml-sender-mismatch', reason: /From agency 000\.00\.05\.H26/ });
  });

  it('refuses a package signed with another system’s key, and a status for a document never sent to its From', async () => {
    const envelope = documentEnvelope({ documentId: '000.00.20.H26,2025/11/23,OTHER-KEY' });
    await refusedCase(envelope.messageHeader.documentId, () => sendPackage(gw.url, systems.commune, envelope, [], { signer: systems.department.signer }), { status: 401, code: 'certificate-untrusted', reason: /another partner/ });
    const stray = statusEnvelope(documentEnvelope({ documentId: '000.00.20.H26,2025/11/23,NEVER' }), DEPARTMENT, '03', 'Đã tiếp nhận');
    const res = await sendPackage(gw.url, systems.department, stray);
    expect(res).toMatchObject({ status: 422, body: { code: 'edxml-unknown-document' } });
  });

  it('refuses hostile XML before parsing it', async () => {
    const res = await gw.call('POST', '/v1/edxml', { key: systems.commune.apiKey, headers: { 'content-type': 'application/xml' }, raw: '<!DOCTYPE x [<!ENTITY a "b">]><edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"/>' });
    expect(res).toMatchObject({ status: 400, body: { code: 'edxml-malformed' } });
  });
});

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
