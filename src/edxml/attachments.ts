// edXML attachment bytes in the database, so that every gateway instance can hand on what any of them
// received (docs/edxml.md, "Where attachments live"). Content-addressed: the same bytes are kept once,
// under their SHA-256. Written and read in parts of PART_BYTES: a package may be 256 MiB, and neither
// direction holds a whole attachment in memory. The parts cross as hex text: PGlite turns a bytea
// parameter or result into hex in a JavaScript loop (seconds per megabyte); Node's and the server's
// own hex coding are native, and the text is the same on both engines.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Queryable } from '../store/db.js';

export const PART_BYTES = 1024 * 1024;

/**
 * Stores the bytes of `file` under `sha256` unless they are stored already; call it in the transaction
 * that records the package, so that a rollback keeps nothing. The file is hashed again as it is read:
 * bytes that are not what the split hashed would be kept under a false name for good.
 */
export async function keepAttachment(tx: Queryable, file: string, expected: { sha256: string; size: number }): Promise<void> {
  // Waits for a concurrent transaction storing the same bytes, and does nothing once it has committed.
  const claimed = await tx.query('INSERT INTO edxml_attachments (sha256, size) VALUES ($1, $2) ON CONFLICT (sha256) DO NOTHING RETURNING sha256', [expected.sha256, expected.size]);
  if (claimed.length === 0) return;
  const hash = createHash('sha256');
  let size = 0;
  let position = 0;
  // Parts of at most PART_BYTES; their sizes do not matter to a reader, which follows the positions.
  for await (const part of createReadStream(file, { highWaterMark: PART_BYTES }) as AsyncIterable<Buffer>) {
    hash.update(part);
    size += part.length;
    await tx.query("INSERT INTO edxml_attachment_parts (sha256, position, bytes) VALUES ($1, $2, decode($3, 'hex'))", [expected.sha256, position++, part.toString('hex')]);
  }
  if (size !== expected.size || hash.digest('hex') !== expected.sha256) throw new Error(`attachment ${expected.sha256}: the file read back is not the bytes that arrived`);
}

/** The stored bytes, part by part; fails when they are missing or cut short. */
export async function* attachmentBytes(q: Queryable, sha256: string): AsyncGenerator<Buffer> {
  const [row] = await q.query<{ size: string }>('SELECT size::text AS size FROM edxml_attachments WHERE sha256 = $1', [sha256]);
  if (!row) throw new Error(`attachment ${sha256} is not in the database`);
  let read = 0;
  for (let position = 0; read < Number(row.size); position++) {
    const [part] = await q.query<{ hex: string }>("SELECT encode(bytes, 'hex') AS hex FROM edxml_attachment_parts WHERE sha256 = $1 AND position = $2", [sha256, position]);
    if (!part) throw new Error(`attachment ${sha256} lacks its part ${position}`);
    const bytes = Buffer.from(part.hex, 'hex');
    read += bytes.length;
    yield bytes;
  }
}

/** Which of these attachments are not in the database. */
export async function missingAttachments(q: Queryable, sha256s: readonly string[]): Promise<string[]> {
  if (sha256s.length === 0) return [];
  const rows = await q.query<{ sha256: string }>('SELECT sha256 FROM edxml_attachments WHERE sha256 = ANY($1::text[])', [sha256s]);
  const stored = new Set(rows.map((r) => r.sha256));
  return sha256s.filter((s) => !stored.has(s));
}
