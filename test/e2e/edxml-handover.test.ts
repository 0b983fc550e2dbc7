// A one-stop dossier handed over across three systems on the edXML road, each a real HTTP endpoint:
// commune one-stop → provincial department → specialised land registry → result back to the
// commune. Responsibility moves with each accepted hand-over (status 03): only the holding agency's
// system may report progress, and the national portal keeps seeing one dossier whose progress comes
// from whichever agency holds it. The sender sees every status, in order.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOSSIER_HANDOVER, startEdxmlReceiver, type EdxmlReceiver, type Envelope, type OutgoingAttachment, type StatusCode } from '../../adapters/edxml/index.js';
import { TrustStore } from '../../src/crypto/trust-store.js';
import { eventually, startTestGateway, type TestGateway } from '../support/gateway.js';
import { testPki } from '../support/pki.js';
import { COMMUNE, DEPARTMENT, SPECIALISED, documentEnvelope, statusEnvelope } from '../support/edxml-samples.js';
import { memberSystems, sendPackage, withEdxmlSystems, type MemberSystem, type SystemName } from '../support/edxml-network.js';

const DOSSIER = '000.00.20.H26-251123-0001';
type Document = Extract<Envelope, { kind: 'document' }>;

let gw: TestGateway;
let systems: Record<SystemName, MemberSystem>;
const endpoints = {} as Record<SystemName, EdxmlReceiver>;

beforeAll(async () => {
  const pki = await testPki();
  const trust = await TrustStore.load(pki.trustDir);
  systems = await memberSystems(pki);
  for (const name of ['commune', 'department', 'land'] as const) endpoints[name] = await startEdxmlReceiver({ trust, gatewayFingerprint: pki.gateway.fingerprint });
  gw = await startTestGateway({
    engine: 'postgres',
    editPartners: withEdxmlSystems(systems, { commune: endpoints.commune.url, department: endpoints.department.url, land: endpoints.land.url }),
  });
}, 90_000);
afterAll(async () => {
  await gw?.close();
  for (const e of Object.values(endpoints)) await e.close();
});

function file(contentId: string, name: string, bytes: Buffer): OutgoingAttachment {
  return { reference: { contentId, attachmentName: name, contentType: 'application/pdf', sha256: createHash('sha256').update(bytes).digest('hex') }, source: { bytes } };
}

/** A hand-over of the dossier from one agency to the next, answering `responseFor` when it returns a result. */
function handover(documentId: string, from: typeof COMMUNE, to: typeof COMMUNE, subject: string, files: OutgoingAttachment[], responseFor?: Document): Document {
  const base = documentEnvelope({ documentId, from, to: [to], manifest: files.map((f) => f.reference), dossierCode: DOSSIER });
  const h = responseFor?.messageHeader;
  return {
    ...base,
    messageHeader: {
      ...base.messageHeader,
      subject,
      otherInfo: { ...base.messageHeader.otherInfo, applicationType: DOSSIER_HANDOVER },
      responseFor: h ? [{ organId: h.from.organId, code: `${h.code.codeNumber}/${h.code.codeNotation}`, promulgationDate: h.promulgationInfo.promulgationDate, documentId: h.documentId }] : [],
    },
  };
}

async function send(system: SystemName, envelope: Envelope, files: OutgoingAttachment[] = []): Promise<void> {
  const res = await sendPackage(gw.url, systems[system], envelope, files);
  expect(res.status, JSON.stringify(res.body)).toBe(202);
}

async function answer(system: SystemName, organ: typeof COMMUNE, document: Document, code: StatusCode, text: string, to: SystemName, seen: number): Promise<void> {
  await send(system, statusEnvelope(document, organ, code, text));
  await endpoints[to].waitFor(seen);
}

async function event(system: SystemName, sequence: number, status: string, department: string) {
  return gw.call('POST', `/v1/dossiers/${DOSSIER}/events`, {
    key: systems[system].apiKey,
    body: { sequence, status, at: `2025-11-2${3 + Math.floor(sequence / 2)}T0${sequence}:00:00+07:00`, actor: { name: `Cán bộ ${department}`, department } },
  });
}

describe('a dossier handed over commune → department → land registry → back', () => {
  it('moves responsibility with each accepted hand-over, shows the portal one dossier, and brings every status back in order', async () => {
    const created = await gw.call('POST', '/v1/dossiers', {
      key: systems.commune.apiKey,
      body: {
        code: DOSSIER,
        procedure: { code: '1.004227', name: 'Đăng ký biến động quyền sử dụng đất', field: { code: 'G09-TN01', name: 'Đất đai' } },
        agency: { code: COMMUNE.organId, name: 'UBND phường Ba Đình' },
        channel: 'online',
        applicant: { kind: 'citizen', name: 'Nguyễn Văn Đức', idNumber: '001090009999' },
        summary: 'Đăng ký biến động đất đai thửa số 12',
        receivedAt: '2025-11-23T08:30:00+07:00',
        status: 'RECEIVED',
      },
    });
    expect(created.status).toBe(202);

    // 1. Commune → department, with the citizen's papers.
    const papers = [file('don', 'Đơn đăng ký biến động.pdf', Buffer.from('Đơn của ông Nguyễn Văn Đức')), file('ban-ve', 'Bản vẽ trích đo.pdf', randomBytes(300_000))];
    const toDepartment = handover('000.00.20.H26,2025/11/23,LT-1', COMMUNE, DEPARTMENT, 'Chuyển hồ sơ đăng ký biến động đất đai', papers);
    await send('commune', toDepartment, papers);
    await endpoints.department.waitFor(1);
    await answer('department', DEPARTMENT, toDepartment, '01', 'Đã nhận hồ sơ liên thông', 'commune', 1);
    await answer('department', DEPARTMENT, toDepartment, '03', 'Sở đã tiếp nhận hồ sơ', 'commune', 2);

    // The department holds the dossier now: its progress is taken, the commune's is not.
    expect(await event('commune', 1, 'PROCESSING', 'Bộ phận Một cửa phường')).toMatchObject({ status: 409, body: { code: 'dossier-handed-over', holder: DEPARTMENT.organId } });
    expect((await event('department', 1, 'PROCESSING', 'Sở Tài nguyên và Môi trường')).status).toBe(202);

    // 2. Department → land registry.
    const toLand = handover('000.00.05.H26,2025/11/24,LT-2', DEPARTMENT, SPECIALISED, 'Chuyển Văn phòng Đăng ký đất đai cập nhật biến động', papers);
    await send('department', toLand, papers);
    await endpoints.land.waitFor(1);
    await answer('department', DEPARTMENT, toDepartment, '05', 'Đang chờ Văn phòng Đăng ký đất đai', 'commune', 3);
    await answer('land', SPECIALISED, toLand, '01', 'Đã nhận', 'department', 2);
    await answer('land', SPECIALISED, toLand, '03', 'Đã tiếp nhận', 'department', 3);
    // A former holder that does not act for the dossier's own agency no longer sees it at all.
    expect((await event('department', 2, 'PROCESSING', 'Sở Tài nguyên và Môi trường')).body.code).toBe('dossier-not-found');
    expect((await event('land', 2, 'PROCESSING', 'Văn phòng Đăng ký đất đai')).status).toBe(202);
    await answer('land', SPECIALISED, toLand, '05', 'Đang cập nhật sổ địa chính', 'department', 4);
    await answer('land', SPECIALISED, toLand, '06', 'Đã cập nhật biến động', 'department', 5);

    // 3. The result goes back: land registry → department → commune.
    const result = [file('gcn', 'Giấy chứng nhận đã xác nhận biến động.pdf', randomBytes(120_000))];
    const landResult = handover('000.00.07.H26,2025/11/25,KQ-1', SPECIALISED, DEPARTMENT, 'Trả kết quả cập nhật biến động', result, toLand);
    await send('land', landResult, result);
    await endpoints.department.waitFor(6);
    await answer('department', DEPARTMENT, landResult, '03', 'Sở đã nhận kết quả', 'land', 2);
    await answer('department', DEPARTMENT, toDepartment, '06', 'Đã giải quyết xong', 'commune', 4);
    const communeResult = handover('000.00.05.H26,2025/11/25,KQ-2', DEPARTMENT, COMMUNE, 'Trả kết quả về Bộ phận Một cửa', result, toDepartment);
    await send('department', communeResult, result);
    await endpoints.commune.waitFor(5);
    await answer('commune', COMMUNE, communeResult, '03', 'Đã nhận kết quả để trả công dân', 'department', 7);
    expect((await event('commune', 3, 'COMPLETED', 'Bộ phận Một cửa phường')).status).toBe(202);
    expect((await event('commune', 4, 'RETURNED', 'Bộ phận Một cửa phường')).status).toBe(202);

    // The commune saw every status of its hand-over, in order, then the result with its file intact.
    const atCommune = endpoints.commune.received.map((r) => (r.envelope.kind === 'status' ? `${r.envelope.status.from.organId}:${r.envelope.status.statusCode}` : `document:${r.envelope.messageHeader.documentId}`));
    expect(atCommune).toEqual([`${DEPARTMENT.organId}:01`, `${DEPARTMENT.organId}:03`, `${DEPARTMENT.organId}:05`, `${DEPARTMENT.organId}:06`, 'document:000.00.05.H26,2025/11/25,KQ-2']);
    expect(endpoints.commune.received[4]!.attachments[0]!.sha256).toBe(result[0]!.reference.sha256);
    const trail = await gw.call('GET', `/v1/edxml/${encodeURIComponent(toDepartment.messageHeader.documentId)}`, { key: systems.commune.apiKey });
    expect(trail.body.statuses.map((s: { statusCode: string }) => s.statusCode)).toEqual(['01', '03', '05', '06']);
    expect(trail.body.packages[0].hops.map((h: { organId: string }) => h.organId)).toEqual([COMMUNE.organId, '000.00.00.H26']);

    // The portal knows one dossier, with progress from the department, the land registry and the commune.
    const progress = await eventually(() => {
      const items = gw.sim.progress.get(DOSSIER) ?? [];
      return items.length === 4 ? items : undefined;
    }, 'four progress items at the portal');
    expect(gw.sim.dossiers.has(DOSSIER)).toBe(true);
    expect([...gw.sim.dossiers.keys()].filter((k) => k.startsWith('000.00.20.H26-251123'))).toEqual([DOSSIER]);
    expect(progress.map((p) => p.PhongBanXuLy)).toEqual(['Sở Tài nguyên và Môi trường', 'Văn phòng Đăng ký đất đai', 'Bộ phận Một cửa phường', 'Bộ phận Một cửa phường']);
  });
});
