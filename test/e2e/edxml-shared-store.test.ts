// Issue 17, scale-out: every gateway instance sees what another received. Instance A (API only, on its
// own machine as far as it knows: its own DATA_DIR) accepts an edXML package with attachments and is
// then stopped, its DATA_DIR removed. Instance B (API and worker, a DATA_DIR of its own that never saw
// the bytes), on the same PostgreSQL and Redis, pushes the package to one receiver and serves it to the
// inbox of another, every attachment byte for byte; nothing of them is left in either DATA_DIR.
import { createHash, randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { splitPackage, startEdxmlReceiver, verifyEnvelope, type EdxmlReceiver, type OutgoingAttachment } from '../../adapters/edxml/index.js';
import { startNationalPortalSimulator, type PortalSimulator } from '../../adapters/national-portal/index.js';
import { loadConfig } from '../../src/config/config.js';
import { serving, startGateway, type ServingGateway } from '../../src/compose/gateway.js';
import { TrustStore } from '../../src/crypto/trust-store.js';
import { createLogger } from '../../src/logging/logger.js';
import { eventually, startTestGateway, type TestGateway } from '../support/gateway.js';
import { testPki } from '../support/pki.js';
import { DEPARTMENT, SPECIALISED, documentEnvelope } from '../support/edxml-samples.js';
import { memberSystems, sendPackage, withEdxmlSystems, type MemberSystem, type SystemName } from '../support/edxml-network.js';

let sim: PortalSimulator;
let department: EdxmlReceiver;
let systems: Record<SystemName, MemberSystem>;
let trust: TrustStore;
let a: TestGateway | undefined;
let b: ServingGateway | undefined;
const folders: string[] = [];

beforeAll(async () => {
  const pki = await testPki();
  trust = await TrustStore.load(pki.trustDir);
  systems = await memberSystems(pki);
  department = await startEdxmlReceiver({ trust, gatewayFingerprint: pki.gateway.fingerprint });
  sim = await startNationalPortalSimulator();
}, 60_000);
afterAll(async () => {
  await a?.close();
  await b?.close();
  await department?.close();
  await sim?.close();
  for (const folder of folders) await rm(folder, { recursive: true, force: true });
});

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

function attachment(contentId: string, name: string, bytes: Buffer): OutgoingAttachment {
  return { reference: { contentId, attachmentName: name, contentType: 'application/pdf', description: `Tệp ${name}`, sha256: sha256(bytes) }, source: { bytes } };
}

/** Every file under a folder, with its bytes' SHA-256. */
async function filesUnder(dir: string): Promise<{ file: string; sha256: string }[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
  return Promise.all(files.map(async (file) => ({ file, sha256: sha256(await readFile(file)) })));
}

describe('two gateway instances on one database', () => {
  it('B hands on and serves the attachments of a package that A received, though its DATA_DIR never saw them', { timeout: 180_000 }, async () => {
    // The land registry fetches from its inbox; the department takes pushes.
    const partners = withEdxmlSystems(systems, { department: department.url });
    a = await startTestGateway({ engine: 'postgres', roles: 'api', sim, editPartners: partners });

    // Spans several database parts (1 MiB each), and one attachment sent twice is kept once.
    const files = [
      attachment('don', 'Đơn đề nghị.pdf', Buffer.from('%PDF-1.7 Đơn của bà Trần Thị Mai, thửa số 7')),
      attachment('ban-do', 'Bản đồ địa chính.pdf', randomBytes(2_500_000)),
      attachment('don-ban-sao', 'Đơn đề nghị (bản sao).pdf', Buffer.from('%PDF-1.7 Đơn của bà Trần Thị Mai, thửa số 7')),
    ];
    const base = documentEnvelope({ documentId: '000.00.20.H26,2025/11/23,SHARED-1', to: [DEPARTMENT, SPECIALISED], manifest: files.map((f) => f.reference) });
    // A plain document, not a dossier hand-over: no dossier needs to exist for it.
    const { applicationType: _handover, ...otherInfo } = base.messageHeader.otherInfo!;
    const envelope = { ...base, messageHeader: { ...base.messageHeader, otherInfo } };
    const sent = await sendPackage(a.url, systems.commune, envelope, files);
    expect(sent.status, JSON.stringify(sent.body)).toBe(202);
    // A keeps nothing of the bytes on its disk.
    const sentHashes = new Set(files.map((f) => f.reference.sha256));
    expect((await filesUnder(a.dataDir)).filter((f) => sentHashes.has(f.sha256))).toEqual([]);

    // B reads its settings from a folder of its own: A's DATA_DIR goes away with A.
    const settings = await mkdtemp(path.join(os.tmpdir(), 'lgsp-settings-'));
    const dataDirB = await mkdtemp(path.join(os.tmpdir(), 'lgsp-gw-b-'));
    folders.push(settings, dataDirB);
    for (const name of ['partners.json', 'audit-log.key', 'audit-log.key.pub']) await copyFile(path.join(a.dataDir, name), path.join(settings, name));
    const env = { ...a.env, DATA_DIR: dataDirB, PARTNERS_FILE: path.join(settings, 'partners.json'), AUDIT_LOG_KEY_FILE: path.join(settings, 'audit-log.key') };
    await a.close();
    a = undefined;

    await mkdir(dataDirB, { recursive: true });
    b = serving(await startGateway(loadConfig({ ...env, PROCESS_ROLES: 'api,worker' }), createLogger({ level: 'warn' })));

    // Pushed by B's worker to the department.
    const [arrived] = await department.waitFor(1, 60_000);
    expect(arrived!.attachments.map((x) => x.sha256)).toEqual(files.map((f) => f.reference.sha256));
    for (const [i, x] of arrived!.attachments.entries()) expect(sha256(await readFile(x.file))).toBe(files[i]!.reference.sha256);

    // Served by B's API to the land registry's inbox.
    const key = { 'x-api-key': systems.land.apiKey };
    const inbox = await eventually(async () => {
      const res = await request(`${b!.url}/v1/edxml/inbox`, { headers: key });
      const body = (await res.body.json()) as { items: { links: { package: string } }[] };
      return body.items.length === 1 ? body.items : undefined;
    }, 'the package in the land registry inbox');
    const fetched = await request(`${b.url}${inbox[0]!.links.package}`, { headers: key });
    expect(fetched.statusCode).toBe(200);
    const splitDir = await mkdtemp(path.join(os.tmpdir(), 'lgsp-fetched-'));
    folders.push(splitDir);
    const split = await splitPackage(fetched.body, { maxPackageBytes: 20_000_000, dir: splitDir });
    const verified = await verifyEnvelope(split.envelopeXml, { trust });
    expect(verified.envelope.kind === 'document' && verified.envelope.messageHeader.documentId).toBe(envelope.messageHeader.documentId);
    for (const [i, x] of split.attachments.entries()) expect(sha256(await readFile(x.file))).toBe(files[i]!.reference.sha256);

    // Kept once per content; nothing of the bytes in B's DATA_DIR either.
    const [stored] = await b.db.query<{ n: string }>('SELECT count(*)::text AS n FROM edxml_attachments');
    expect(Number(stored!.n)).toBe(2);
    expect((await filesUnder(dataDirB)).filter((f) => sentHashes.has(f.sha256))).toEqual([]);
  });
});
