// edXML packages written, signed, split from a stream, verified and read back: equal, with
// Vietnamese text and several attachments; and every tampered or hostile variant refused.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkAttachments,
  EdxmlRefused,
  EdxmlSignatureRefused,
  parseEnvelope,
  splitPackage,
  verifyEnvelope,
  writeEnvelope,
  writePackage,
  writeSignedEnvelope,
  type ManifestReference,
  type OutgoingAttachment,
} from '../../../adapters/edxml/index.js';
import { TrustStore } from '../../../src/crypto/trust-store.js';
import { testPki, type TestPki } from '../../support/pki.js';
import { DEPARTMENT, documentEnvelope, statusEnvelope } from '../../support/edxml-samples.js';

let pki: TestPki;
let trust: TrustStore;
let dir: string;

beforeAll(async () => {
  pki = await testPki();
  trust = await TrustStore.load(pki.trustDir);
  dir = await mkdtemp(path.join(os.tmpdir(), 'edxml-unit-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function attachment(contentId: string, name: string, bytes: Buffer, contentType = 'application/pdf'): OutgoingAttachment {
  const reference: ManifestReference = { contentId, attachmentName: name, contentType, description: `Tệp ${name}`, sha256: createHash('sha256').update(bytes).digest('hex') };
  return { reference, source: { bytes } };
}

/** Feeds the package in small uneven pieces, as a slow network would. */
async function* pieces(bytes: Buffer, size = 997): AsyncGenerator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

const files = [
  attachment('don-dang-ky', 'Đơn đăng ký biến động.pdf', Buffer.from('%PDF-1.7 Đơn của ông Nguyễn Văn Đức')),
  attachment('ban-ve', 'Bản vẽ trích đo.png', randomBytes(200_001), 'image/png'),
  attachment('giay-chung-nhan', 'Giấy chứng nhận QSDĐ.pdf', randomBytes(3)),
];

async function signedPackage(options: { attachments?: OutgoingAttachment[] } = {}) {
  const attachments = options.attachments ?? files;
  const envelope = documentEnvelope({ manifest: attachments.map((a) => a.reference) });
  const signed = writeSignedEnvelope(envelope, pki.partners['hanoi-one-stop'].signer);
  return { envelope, signed, bytes: await writePackage(signed, attachments) };
}

describe('edXML round trip', () => {
  it('writes, signs, splits, verifies and reads back a package equal to what was written, with its attachments byte for byte', async () => {
    const { envelope, bytes } = await signedPackage();
    const split = await splitPackage(pieces(bytes), { maxPackageBytes: 10_000_000, dir });
    const verified = await verifyEnvelope(split.envelopeXml, { trust });
    expect(verified.envelope).toEqual(envelope);
    expect(verified.certificateChain[0]!.subject).toContain('Trung tâm Phục vụ hành chính công Hà Nội');
    checkAttachments(verified.envelope.kind === 'document' ? verified.envelope.manifest : [], split.attachments);
    for (const [i, a] of split.attachments.entries()) {
      expect(sha256(await readFile(a.file))).toBe(files[i]!.reference.sha256);
      expect(a.attachmentName).toBe(files[i]!.reference.attachmentName);
    }
    expect(split.size).toBe(bytes.length);
  });

  it('reads back a status message equal to what was written', async () => {
    const status = statusEnvelope(documentEnvelope(), DEPARTMENT, '05', 'Đang thẩm định hồ sơ');
    expect(await parseEnvelope(writeEnvelope(status))).toEqual(status);
  });
});

describe('edXML tampering', () => {
  it('refuses a package whose attachment was changed after signing, naming the attachment', async () => {
    const { bytes } = await signedPackage({ attachments: [attachment('a1', 'Quyết định.pdf', Buffer.from('Quyết định số 123/QĐ-UBND'))] });
    const original = Buffer.from('Quyết định số 123/QĐ-UBND').toString('base64');
    const changed = Buffer.from('Quyết định số 124/QĐ-UBND').toString('base64');
    const tampered = Buffer.from(bytes.toString('utf8').replace(original, changed));
    const split = await splitPackage(pieces(tampered), { maxPackageBytes: 1_000_000, dir });
    const verified = await verifyEnvelope(split.envelopeXml, { trust });
    expect(() => checkAttachments(verified.envelope.kind === 'document' ? verified.envelope.manifest : [], split.attachments)).toThrow(/cid:a1 does not match its digest/);
  });

  it('refuses a package whose header was changed after signing', async () => {
    const { bytes } = await signedPackage({ attachments: [] });
    const tampered = Buffer.from(bytes.toString('utf8').replace('Nguyễn Văn Đức', 'Nguyễn Văn Đúc'));
    const split = await splitPackage(pieces(tampered), { maxPackageBytes: 1_000_000, dir });
    await expect(verifyEnvelope(split.envelopeXml, { trust })).rejects.toMatchObject({ code: 'signature-invalid' });
  });

  it('refuses a signature by a certificate the trust store does not trust', async () => {
    const signed = writeSignedEnvelope(documentEnvelope(), pki.hanoiOneStop.untrusted.signer);
    await expect(verifyEnvelope(signed, { trust })).rejects.toBeInstanceOf(EdxmlSignatureRefused);
  });
});

describe('edXML hostile input', () => {
  const root = '<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016">';
  const cases: [string, string][] = [
    ['a DOCTYPE', `<?xml version="1.0"?><!DOCTYPE edXML [<!ENTITY x "y">]>${root}</edXML>`],
    ['an undeclared entity', `${root}<AttachmentEncoded>&x;</AttachmentEncoded></edXML>`],
    ['a comment', `${root}<!-- hi --></edXML>`],
    ['a processing instruction', `${root}<?evil?></edXML>`],
    ['another root', '<other/>'],
    ['no envelope', `${root}</edXML>`],
    ['a truncated package', `${root}<edXML:edXMLEnvelope xmlns:edXML="http://www.mic.gov.vn/TBT/QCVN_102_2016">`],
  ];
  for (const [what, xml] of cases) {
    it(`refuses ${what} and leaves no file behind`, async () => {
      const fresh = await mkdtemp(path.join(dir, 'hostile-'));
      await expect(splitPackage(pieces(Buffer.from(xml), 7), { maxPackageBytes: 100_000, dir: fresh })).rejects.toBeInstanceOf(EdxmlRefused);
      expect(await readdir(fresh)).toEqual([]);
    });
  }

  it('refuses a package over the size limit while it streams, and removes the partial attachment', async () => {
    const fresh = await mkdtemp(path.join(dir, 'large-'));
    const { bytes } = await signedPackage();
    await expect(splitPackage(pieces(bytes), { maxPackageBytes: 100_000, dir: fresh })).rejects.toThrow(/over 100000 bytes/);
    expect(await readdir(fresh)).toEqual([]);
  });

  it('refuses, in the strict reader, an element out of order and an unknown element', async () => {
    const xml = writeEnvelope(documentEnvelope());
    const swapped = xml.replace(/(<edXML:Subject>.*?<\/edXML:Subject>)(<edXML:Content>.*?<\/edXML:Content>)/, '$2$1');
    await expect(parseEnvelope(swapped)).rejects.toThrow(/unexpected|required/);
    await expect(parseEnvelope(xml.replace('</edXML:MessageHeader>', '<edXML:Extra>x</edXML:Extra></edXML:MessageHeader>'))).rejects.toThrow(/unexpected edXML:Extra/);
    await expect(parseEnvelope(xml.replace(/<edXML:DocumentId>.*?<\/edXML:DocumentId>/, ''))).rejects.toThrow(/no DocumentId/);
  });
});

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
