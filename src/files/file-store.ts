// Uploaded attachments live in the system of record, so every gateway instance can serve them.
import { randomUUID } from 'node:crypto';
import { sha256Hex } from '../core/hash.js';
import type { Queryable } from '../store/db.js';

export interface StoredFile {
  id: string;
  partnerId: string;
  name: string;
  contentType: string;
  size: number;
  sha256: string;
  createdAt: Date;
}

const META = `id, partner_id AS "partnerId", name, content_type AS "contentType", size, sha256, created_at AS "createdAt"`;

export async function saveFile(q: Queryable, file: { partnerId: string; name: string; contentType: string; content: Buffer }): Promise<StoredFile> {
  const [row] = await q.query<StoredFile>(
    `INSERT INTO files (id, partner_id, name, content_type, size, sha256, content) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${META}`,
    [randomUUID(), file.partnerId, file.name, file.contentType, file.content.length, sha256Hex(file.content), file.content],
  );
  return row!;
}

export async function fileMeta(q: Queryable, id: string): Promise<StoredFile | undefined> {
  const [row] = await q.query<StoredFile>(`SELECT ${META} FROM files WHERE id = $1`, [id]);
  return row;
}

export async function fileContent(q: Queryable, id: string): Promise<(StoredFile & { content: Uint8Array }) | undefined> {
  const [row] = await q.query<StoredFile & { content: Uint8Array }>(`SELECT ${META}, content FROM files WHERE id = $1`, [id]);
  return row;
}

/** Which of these ids are files uploaded by this partner. */
export async function ownedFileIds(q: Queryable, partnerId: string, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await q.query<{ id: string }>('SELECT id FROM files WHERE partner_id = $1 AND id = ANY($2::uuid[])', [partnerId, ids]);
  return new Set(rows.map((r) => r.id));
}
