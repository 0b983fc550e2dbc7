// The Merkle tree's subtree hashes in the database (audit_nodes), read in one query per proof.
import type { Queryable } from '../store/db.js';
import type { NodeHashSource, NodeId, StoredNode } from './merkle.js';

export class DatabaseNodeSource implements NodeHashSource {
  constructor(private readonly q: Queryable) {}

  async readNodes(ids: readonly NodeId[]): Promise<readonly Buffer[]> {
    if (ids.length === 0) return [];
    const rows = await this.q.query<{ level: number; index: string; hash: Uint8Array }>(
      'SELECT level, index::text AS index, hash FROM audit_nodes WHERE (level, index) IN (SELECT * FROM unnest($1::smallint[], $2::bigint[]))',
      [ids.map((id) => id.level), ids.map((id) => String(id.index))],
    );
    const byId = new Map(rows.map((r) => [`${r.level}/${r.index}`, Buffer.from(r.hash)]));
    return ids.map((id) => {
      const hash = byId.get(`${id.level}/${id.index}`);
      if (!hash) throw new Error(`audit_nodes has no node ${id.level}/${id.index}: the tree store is incomplete`);
      return hash;
    });
  }
}

export async function writeNodes(q: Queryable, nodes: readonly StoredNode[]): Promise<void> {
  if (nodes.length === 0) return;
  await q.query('INSERT INTO audit_nodes (level, index, hash) SELECT * FROM unnest($1::smallint[], $2::bigint[], $3::bytea[])', [
    nodes.map((n) => n.level),
    nodes.map((n) => String(n.index)),
    nodes.map((n) => n.hash),
  ]);
}

export async function treeSize(q: Queryable): Promise<number> {
  const [row] = await q.query<{ size: string }>('SELECT COALESCE(max(leaf_index) + 1, 0)::text AS size FROM audit_leaves');
  return Number(row!.size);
}
