// Attachments that earlier versions kept on the local disk, in DATA_DIR/edxml/<sha256>, are moved into
// the database when an instance starts (docs/edxml.md, "Where attachments live"). Each file is checked
// against its name and stored in a transaction of its own; a file whose bytes are not its name is
// skipped, and said so. The files are left in place: an instance of an earlier version still running
// during an upgrade may serve from them. The operator removes the folder once none runs. Starting
// again only asks the database which are there.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Db } from '../store/db.js';
import { keepAttachment, missingAttachments } from './attachments.js';

export interface LegacyImport {
  imported: number;
  /** Already in the database (another instance, or an earlier start, stored them). */
  present: number;
  /** Files whose bytes do not match their name: not imported. */
  unreadable: string[];
}

export async function importLegacyAttachments(db: Db, dir: string, logger: Pick<Logger, 'info' | 'warn'>): Promise<LegacyImport | undefined> {
  const names = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (!names) return undefined;
  const result: LegacyImport = { imported: 0, present: 0, unreadable: [] };
  for (const name of names.filter((n) => /^[0-9a-f]{64}$/.test(n))) {
    const file = path.join(dir, name);
    if ((await missingAttachments(db, [name])).length === 0) {
      result.present++;
    } else {
      const size = await contentSize(file, name);
      if (size === undefined) {
        result.unreadable.push(name);
        continue;
      }
      await db.transaction((tx) => keepAttachment(tx, file, { sha256: name, size }));
      result.imported++;
    }
  }
  if (result.unreadable.length > 0) logger.warn({ dir, files: result.unreadable }, 'edXML attachment files whose bytes do not match their name were not imported');
  logger.info({ dir, imported: result.imported, present: result.present }, 'edXML attachments of an earlier version are in the database; remove this folder once no earlier version runs');
  return result;
}

/** The file's size when its SHA-256 is its name. */
async function contentSize(file: string, sha256: string): Promise<number | undefined> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return hash.digest('hex') === sha256 ? size : undefined;
}
