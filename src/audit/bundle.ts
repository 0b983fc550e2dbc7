// Evidence bundles, format lgsp-audit-bundle/v1 (docs/audit-log.md): one record with everything an
// auditor needs to check it offline, led to the latest checkpoint.
import type { Queryable } from '../store/db.js';
import { bodyOf } from './bodies.js';
import { manifestOf } from './call-manifests.js';
import { certificatesByFingerprint } from './certificates.js';
import { decodeLeaf, type LeafRecord } from './leaf.js';
import { inclusionProof } from './merkle.js';
import { DatabaseNodeSource } from './tree-store.js';

export const BUNDLE_FORMAT = 'lgsp-audit-bundle/v1';

export interface EvidenceBundle {
  format: typeof BUNDLE_FORMAT;
  origin: string;
  index: number;
  leaf: string;
  record: LeafRecord;
  body: { salt: string; bytes: string } | { pruned: true; prunedAt: string } | null;
  certificates: Record<string, string>;
  inclusionProof: { treeSize: number; hashes: string[] };
  checkpoint: string;
  /** Only for a record signed through its call's manifest (`jws-manifest`): the manifest and its JWS. */
  manifest?: { bytes: string; signature: string };
}

export interface LeafRow {
  leafIndex: number;
  logSeq: string;
  leaf: Buffer;
}

export async function leafAt(q: Queryable, index: number): Promise<LeafRow | undefined> {
  const [row] = await q.query<{ log_seq: string; leaf: Uint8Array }>('SELECT log_seq::text AS log_seq, leaf FROM audit_leaves WHERE leaf_index = $1', [String(index)]);
  return row ? { leafIndex: index, logSeq: row.log_seq, leaf: Buffer.from(row.leaf) } : undefined;
}

export async function latestCheckpoint(q: Queryable): Promise<{ treeSize: number; note: string } | undefined> {
  const [row] = await q.query<{ tree_size: string; note: string }>('SELECT c.tree_size::text AS tree_size, c.note FROM audit_checkpoints c ORDER BY c.tree_size DESC LIMIT 1');
  return row ? { treeSize: Number(row.tree_size), note: row.note } : undefined;
}

/** The bundle for leaf `index`, proven against the latest checkpoint; undefined if no checkpoint covers it yet. */
export async function buildBundle(q: Queryable, origin: string, index: number): Promise<EvidenceBundle | undefined> {
  const checkpoint = await latestCheckpoint(q);
  const row = await leafAt(q, index);
  if (!checkpoint || !row || index >= checkpoint.treeSize) return undefined;
  const record = decodeLeaf(row.leaf);
  if (!record) throw new Error(`leaf ${index} is not a canonical lgsp-leaf/v1 record`);
  const body = await bodyOf(q, row.logSeq);
  const certificates = await certificatesByFingerprint(q, record.signature?.chain ?? []);
  const proof = await inclusionProof(new DatabaseNodeSource(q), index, checkpoint.treeSize);
  const manifest = record.signature && 'manifest' in record.signature ? await manifestOf(q, record.signature.manifest) : undefined;
  return {
    format: BUNDLE_FORMAT,
    origin,
    index,
    leaf: row.leaf.toString('base64'),
    record,
    body: !body ? null : 'prunedAt' in body ? { pruned: true, prunedAt: body.prunedAt } : { salt: body.salt.toString('base64'), bytes: body.body.toString('base64') },
    certificates: Object.fromEntries([...certificates].map(([fingerprint, der]) => [fingerprint, der.toString('base64')])),
    inclusionProof: { treeSize: checkpoint.treeSize, hashes: proof.map((h) => h.toString('base64')) },
    checkpoint: checkpoint.note,
    ...(manifest ? { manifest: { bytes: manifest.bytes.toString('base64'), signature: manifest.jws } } : {}),
  };
}
