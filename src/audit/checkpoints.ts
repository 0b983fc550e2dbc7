// Kept checkpoints, as served: the log's signed note with the witnesses' cosignature lines appended
// (a C2SP note may carry any number of signature lines).
import type { Queryable } from '../store/db.js';
import { verifyCosignature, type CosignatureVerifier } from './cosignature.js';

export interface CheckpointSummary {
  treeSize: number;
  rootHash: string;
  createdAt: string;
  witnesses: string[];
}

/** The note of checkpoint `size` (the latest when absent), with its cosignatures. */
export async function servedCheckpoint(q: Queryable, size?: number): Promise<{ treeSize: number; note: string } | undefined> {
  const [row] = await q.query<{ tree_size: string; note: string }>(
    size === undefined
      ? 'SELECT c.tree_size::text AS tree_size, c.note FROM audit_checkpoints c ORDER BY c.tree_size DESC LIMIT 1'
      : 'SELECT tree_size::text AS tree_size, note FROM audit_checkpoints WHERE tree_size = $1',
    size === undefined ? [] : [String(size)],
  );
  if (!row) return undefined;
  const lines = await q.query<{ line: string }>('SELECT line FROM audit_cosignatures WHERE tree_size = $1 ORDER BY witness', [row.tree_size]);
  return { treeSize: Number(row.tree_size), note: row.note + lines.map((l) => `${l.line}\n`).join('') };
}

export async function listCheckpoints(q: Queryable, after: number, limit: number): Promise<CheckpointSummary[]> {
  const rows = await q.query<{ tree_size: string; root_hash: Uint8Array; created_at: string; witnesses: string[] | null }>(
    `SELECT c.tree_size::text AS tree_size, c.root_hash, to_char(c.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS created_at,
            array_remove(array_agg(w.witness ORDER BY w.witness), NULL) AS witnesses
       FROM audit_checkpoints c LEFT JOIN audit_cosignatures w ON w.tree_size = c.tree_size
      WHERE c.tree_size > $1 GROUP BY c.tree_size ORDER BY c.tree_size LIMIT $2`,
    [String(after), limit],
  );
  return rows.map((r) => ({ treeSize: Number(r.tree_size), rootHash: Buffer.from(r.root_hash).toString('base64'), createdAt: r.created_at, witnesses: r.witnesses ?? [] }));
}

/** Checks a witness's cosignature line over kept checkpoint `size` and keeps it; answers the witness name, or why not. */
export async function addCosignature(
  q: Queryable,
  size: number,
  line: string,
  witnesses: readonly CosignatureVerifier[],
): Promise<{ witness: string; time: number } | { refused: string }> {
  const [row] = await q.query<{ note: string }>('SELECT note FROM audit_checkpoints WHERE tree_size = $1', [String(size)]);
  if (!row) return { refused: `no checkpoint of size ${size}` };
  const text = row.note.slice(0, row.note.indexOf('\n\n') + 1);
  const name = /^— (\S+) /.exec(line)?.[1];
  const witness = witnesses.find((w) => w.name === name);
  if (!witness) return { refused: `"${name ?? ''}" is not a witness of this log` };
  let time: number;
  try {
    time = verifyCosignature(text, line, witness);
  } catch (error) {
    return { refused: `the cosignature does not verify: ${(error as Error).message}` };
  }
  await q.query(
    'INSERT INTO audit_cosignatures (tree_size, witness, line) VALUES ($1, $2, $3) ON CONFLICT (tree_size, witness) DO UPDATE SET line = EXCLUDED.line',
    [String(size), witness.name, line.replace(/\n$/, '')],
  );
  return { witness: witness.name, time };
}
