// The call manifests as kept: one row per signed outbound call, never pruned (a manifest holds only
// salted commitments, nothing personal), read back for the evidence bundle of any of its items.
import type { Queryable } from '../store/db.js';
import type { SignedCallManifest } from './call-manifest.js';

/** Stores each manifest once, in the transaction that appends the records pointing at it. */
export async function storeManifests(q: Queryable, manifests: readonly SignedCallManifest[]): Promise<void> {
  const distinct = [...new Map(manifests.map((m) => [m.sha256, m])).values()];
  if (distinct.length === 0) return;
  await q.query(
    `INSERT INTO call_manifests (sha256, manifest, signature)
     SELECT * FROM unnest($1::text[], $2::bytea[], $3::text[]) ON CONFLICT (sha256) DO NOTHING`,
    [distinct.map((m) => m.sha256), distinct.map((m) => m.bytes), distinct.map((m) => m.jws)],
  );
}

export async function manifestOf(q: Queryable, sha256: string): Promise<SignedCallManifest | undefined> {
  const [row] = await q.query<{ manifest: Uint8Array; signature: string }>('SELECT manifest, signature FROM call_manifests WHERE sha256 = $1', [sha256]);
  return row ? { sha256, bytes: Buffer.from(row.manifest), jws: row.signature } : undefined;
}
