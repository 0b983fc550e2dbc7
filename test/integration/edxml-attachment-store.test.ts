// edXML attachment bytes in the database, on both engines: kept once per content, in parts, read back
// equal; a rolled-back transaction keeps nothing; a file that is not the bytes it is stored as is
// refused; files an earlier version kept in DATA_DIR/edxml are imported, checked against their names.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachmentBytes, keepAttachment, missingAttachments, PART_BYTES } from '../../src/edxml/attachments.js';
import { importLegacyAttachments } from '../../src/edxml/legacy-attachments.js';
import { AttachmentsMissing, outgoingChunks } from '../../src/edxml/outgoing.js';
import { openPglite, openPostgres, type Db } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrations.js';
import { freshDatabaseUrl } from '../support/services.js';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const silent = { info: () => {}, warn: () => {} };
const count = async (db: Db, table: string) => Number((await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${table}`))[0]!.n);

async function readBack(db: Db, hash: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of attachmentBytes(db, hash)) parts.push(part);
  return Buffer.concat(parts);
}

describe.each(['pglite', 'postgres'] as const)('edXML attachments on %s', { timeout: 120_000 }, (engine) => {
  let db: Db;
  let dir: string;
  beforeAll(async () => {
    db = engine === 'pglite' ? await openPglite() : openPostgres(await freshDatabaseUrl());
    await migrate(db);
    dir = await mkdtemp(path.join(os.tmpdir(), 'edxml-attachments-'));
  }, 120_000);
  afterAll(async () => {
    await db?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function fileOf(bytes: Buffer): Promise<string> {
    const file = path.join(dir, `incoming-${randomBytes(6).toString('hex')}`);
    await writeFile(file, bytes);
    return file;
  }

  it('keeps the same bytes once, in parts, and reads them back equal', async () => {
    const bytes = randomBytes(2 * PART_BYTES + 12_345);
    const expected = { sha256: sha256(bytes), size: bytes.length };
    for (let i = 0; i < 2; i++) {
      const file = await fileOf(bytes);
      await db.transaction((tx) => keepAttachment(tx, file, expected));
    }
    expect(await count(db, `edxml_attachments WHERE sha256 = '${expected.sha256}'`)).toBe(1);
    expect(await count(db, `edxml_attachment_parts WHERE sha256 = '${expected.sha256}'`)).toBe(3);
    expect((await readBack(db, expected.sha256)).equals(bytes)).toBe(true);
    expect(await missingAttachments(db, [expected.sha256, 'f'.repeat(64)])).toEqual(['f'.repeat(64)]);
    await expect(readBack(db, 'f'.repeat(64))).rejects.toThrow(/not in the database/);
  });

  it('refuses to start sending a package whose attachment is not in the database, rather than cut it off halfway', async () => {
    const stored = Buffer.from('Tờ trình số 5/TTr-UBND');
    await db.transaction(async (tx) => keepAttachment(tx, await fileOf(stored), { sha256: sha256(stored), size: stored.length }));
    const reference = (bytes: Buffer | string) => ({ contentId: 'x', contentType: 'application/pdf', attachmentName: 'x.pdf', description: '', size: 1, sha256: typeof bytes === 'string' ? bytes : sha256(bytes) });
    await expect(outgoingChunks(db, '<edXMLEnvelope/>', [reference(stored), reference('e'.repeat(64))])).rejects.toThrow(AttachmentsMissing);
    const parts: Buffer[] = [];
    for await (const chunk of await outgoingChunks(db, '<edXMLEnvelope/>', [reference(stored)])) parts.push(chunk);
    expect(Buffer.concat(parts).toString()).toContain(stored.toString('base64'));
  });

  it('keeps an empty attachment', async () => {
    const empty = Buffer.alloc(0);
    await db.transaction(async (tx) => keepAttachment(tx, await fileOf(empty), { sha256: sha256(empty), size: 0 }));
    expect((await readBack(db, sha256(empty))).length).toBe(0);
  });

  it('keeps nothing when the transaction rolls back', async () => {
    const bytes = randomBytes(PART_BYTES + 1);
    const file = await fileOf(bytes);
    const refused = db.transaction(async (tx) => {
      await keepAttachment(tx, file, { sha256: sha256(bytes), size: bytes.length });
      throw new Error('the package was refused');
    });
    await expect(refused).rejects.toThrow('the package was refused');
    expect(await missingAttachments(db, [sha256(bytes)])).toEqual([sha256(bytes)]);
    expect(await count(db, `edxml_attachment_parts WHERE sha256 = '${sha256(bytes)}'`)).toBe(0);
  });

  it('refuses a file that is not the bytes it would be stored as, and keeps nothing of it', async () => {
    const bytes = Buffer.from('Quyết định giao đất số 12/QĐ-UBND');
    const file = await fileOf(Buffer.from('Quyết định giao đất số 13/QĐ-UBND'));
    await expect(db.transaction((tx) => keepAttachment(tx, file, { sha256: sha256(bytes), size: bytes.length }))).rejects.toThrow(/not the bytes that arrived/);
    expect(await missingAttachments(db, [sha256(bytes)])).toEqual([sha256(bytes)]);
  });

  it('imports the files an earlier version kept in DATA_DIR/edxml, checked against their names, and again harmlessly', async () => {
    const legacy = path.join(dir, 'edxml');
    expect(await importLegacyAttachments(db, legacy, silent)).toBeUndefined();
    const good = [randomBytes(PART_BYTES + 7), Buffer.from('Biên bản bàn giao hồ sơ')];
    const bad = Buffer.from('changed on disk');
    await mkdir(legacy);
    for (const bytes of good) await writeFile(path.join(legacy, sha256(bytes)), bytes);
    await writeFile(path.join(legacy, 'a'.repeat(64)), bad);
    await writeFile(path.join(legacy, 'incoming-left-over'), 'half a split');

    expect(await importLegacyAttachments(db, legacy, silent)).toEqual({ imported: 2, present: 0, unreadable: ['a'.repeat(64)] });
    for (const bytes of good) expect((await readBack(db, sha256(bytes))).equals(bytes)).toBe(true);
    expect(await missingAttachments(db, ['a'.repeat(64)])).toEqual(['a'.repeat(64)]);
    // Left in place for instances of an earlier version still running; a second start only counts them.
    expect((await readdir(legacy)).length).toBe(4);
    expect(await importLegacyAttachments(db, legacy, silent)).toEqual({ imported: 0, present: 2, unreadable: ['a'.repeat(64)] });
  });
});
