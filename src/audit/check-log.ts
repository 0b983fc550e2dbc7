// `lgsp-audit check-log`: re-reads the whole store and checks it against itself and the log key —
// every leaf against its bytes, its message-log record and its kept body, the tree recomputed from the
// leaves against the stored subtrees and every kept checkpoint, and every checkpoint's signature.
// Leaves and checkpoints are read in pages, so memory stays O(page + log n) whatever the log's size.
import type { Queryable } from '../store/db.js';
import { parseCheckpoint } from './checkpoint.js';
import { LEAF_COLUMNS, decodeLeaf, encodeLeaf, leafRecord, type LogRowForLeaf } from './leaf.js';
import { EMPTY_COMPACT_RANGE, appendLeaves, compactRangeRoot, leafHash, type CompactRange, type StoredNode } from './merkle.js';
import { bodyCommitment } from './bodies.js';
import { openNote, parseVerifierKey, type NoteVerifier } from './note.js';

export type CheckLogResult = { ok: true; treeSize: number; checkpoints: number } | { ok: false; reason: string };

const PAGE_SIZE = 1000;
// Numbers are read as text (bigint); every ORDER BY names the table's column, since a bare name would
// sort by the text alias of the same name.

interface LeafRow {
  leaf_index: string;
  log_seq: string;
  leaf: Uint8Array;
  leaf_hash: Uint8Array;
}

interface BodyRow {
  log_seq: string;
  salt: Uint8Array | null;
  body: Uint8Array | null;
  pruned: boolean;
}

interface CheckpointRow {
  tree_size: string;
  root_hash: Uint8Array;
  note: string;
}

class Failure extends Error {}

/**
 * For a consistent picture while the gateway keeps writing, run it in a REPEATABLE READ transaction;
 * otherwise leaves integrated during the run are simply checked too.
 */
export async function checkLog(q: Queryable, logKey: string): Promise<CheckLogResult> {
  try {
    const verifier = parseVerifierKey(logKey);
    const checkpoints = new CheckpointCursor(q, verifier);
    let range: CompactRange = EMPTY_COMPACT_RANGE;
    let checked = 0;
    for (let page = await leafPage(q, -1); page.length > 0; page = await leafPage(q, Number(page.at(-1)!.leaf_index))) {
      const records = await recordsOf(q, page);
      const bodies = await bodiesOf(q, page);
      const completed: StoredNode[] = [];
      for (const row of page) {
        const index = range.size;
        const hash = checkLeaf(index, row, records, bodies);
        const appended = appendLeaves(range, [hash]);
        range = appended.range;
        completed.push(...appended.nodes);
        if (await checkpoints.checkAt(range)) checked += 1;
      }
      await checkNodes(q, completed);
    }
    await checkpoints.checkNoneBeyond(range.size);
    return { ok: true, treeSize: range.size, checkpoints: checked };
  } catch (error) {
    if (error instanceof Failure) return { ok: false, reason: error.message };
    throw error;
  }
}

function leafPage(q: Queryable, after: number): Promise<LeafRow[]> {
  return q.query<LeafRow>(
    'SELECT l.leaf_index::text AS leaf_index, l.log_seq::text AS log_seq, l.leaf, l.leaf_hash FROM audit_leaves l WHERE l.leaf_index > $1 ORDER BY l.leaf_index LIMIT $2',
    [String(after), PAGE_SIZE],
  );
}

async function recordsOf(q: Queryable, page: readonly LeafRow[]): Promise<Map<string, LogRowForLeaf>> {
  const rows = await q.query<LogRowForLeaf>(`SELECT ${LEAF_COLUMNS} FROM message_log WHERE seq = ANY($1::bigint[])`, [page.map((r) => r.log_seq)]);
  return new Map(rows.map((r) => [r.seq, r]));
}

async function bodiesOf(q: Queryable, page: readonly LeafRow[]): Promise<Map<string, BodyRow>> {
  const rows = await q.query<BodyRow>('SELECT log_seq::text AS log_seq, salt, body, pruned_at IS NOT NULL AS pruned FROM audit_bodies WHERE log_seq = ANY($1::bigint[])', [
    page.map((r) => r.log_seq),
  ]);
  return new Map(rows.map((r) => [r.log_seq, r]));
}

/** Checks leaf `index` on its own and against the records it stands for; answers its hash. */
function checkLeaf(index: number, row: LeafRow, records: Map<string, LogRowForLeaf>, bodies: Map<string, BodyRow>): Buffer {
  if (row.leaf_index !== String(index)) throw new Failure(`leaf ${index}: missing (the next stored leaf is ${row.leaf_index})`);
  const leaf = Buffer.from(row.leaf);
  const hash = leafHash(leaf);
  if (!hash.equals(Buffer.from(row.leaf_hash))) throw new Failure(`leaf ${index}: hash does not match its bytes`);
  const record = decodeLeaf(leaf);
  if (!record) throw new Failure(`leaf ${index}: not a canonical lgsp-leaf/v1 record`);
  if (record.seq !== row.log_seq) throw new Failure(`leaf ${index}: holds message-log record ${record.seq} but is stored for record ${row.log_seq}`);
  const logRow = records.get(row.log_seq);
  if (!logRow) throw new Failure(`leaf ${index}: message-log record ${row.log_seq} is gone`);
  if (!encodeLeaf(leafRecord(logRow)).equals(leaf)) throw new Failure(`leaf ${index}: differs from message-log record ${row.log_seq}`);

  const body = bodies.get(row.log_seq);
  if (record.body === null) {
    if (body) throw new Failure(`leaf ${index}: a body is stored for record ${row.log_seq}, whose leaf commits to none`);
  } else if (!body) {
    throw new Failure(`leaf ${index}: the body of record ${row.log_seq} is gone, neither kept nor marked pruned`);
  } else if (!body.pruned && (!body.salt || !body.body || bodyCommitment(body.salt, body.body) !== record.body.commitment)) {
    throw new Failure(`leaf ${index}: the kept body does not match its commitment`);
  }
  return hash;
}

/** The stored subtrees serve every proof, so each must be the one the leaves give. */
async function checkNodes(q: Queryable, nodes: readonly StoredNode[]): Promise<void> {
  const rows = await q.query<{ level: number; index: string; hash: Uint8Array }>(
    'SELECT level, index::text AS index, hash FROM audit_nodes WHERE (level, index) IN (SELECT * FROM unnest($1::smallint[], $2::bigint[]))',
    [nodes.map((n) => n.level), nodes.map((n) => String(n.index))],
  );
  const stored = new Map(rows.map((r) => [`${r.level}/${r.index}`, Buffer.from(r.hash)]));
  for (const node of nodes) {
    const hash = stored.get(`${node.level}/${node.index}`);
    if (!hash) throw new Failure(`tree node ${node.level}/${node.index}: missing from audit_nodes`);
    if (!hash.equals(node.hash)) throw new Failure(`tree node ${node.level}/${node.index}: differs from the recomputed tree`);
  }
}

/** Walks the kept checkpoints in size order, a page at a time, alongside the recomputed tree. */
class CheckpointCursor {
  private page: CheckpointRow[] = [];
  private after = 0;
  private exhausted = false;

  constructor(
    private readonly q: Queryable,
    private readonly verifier: NoteVerifier,
  ) {}

  /** Checks the checkpoint of the tree's size, if one was kept; answers whether there was one. */
  async checkAt(range: CompactRange): Promise<boolean> {
    const next = await this.peek();
    if (!next || Number(next.tree_size) !== range.size) return false;
    this.page.shift();
    this.check(next, range);
    return true;
  }

  async checkNoneBeyond(size: number): Promise<void> {
    const next = await this.peek();
    if (next) throw new Failure(`checkpoint ${next.tree_size}: the log has only ${size} leaves`);
  }

  private check(row: CheckpointRow, range: CompactRange): void {
    const size = row.tree_size;
    let text: string;
    try {
      text = openNote(row.note, [this.verifier]).text;
    } catch (error) {
      throw new Failure(`checkpoint ${size}: the note does not verify with the log key (${(error as Error).message})`);
    }
    let checkpoint;
    try {
      checkpoint = parseCheckpoint(text);
    } catch (error) {
      throw new Failure(`checkpoint ${size}: ${(error as Error).message}`);
    }
    if (checkpoint.origin !== this.verifier.name) throw new Failure(`checkpoint ${size}: origin is not the log key's ${this.verifier.name}`);
    if (String(checkpoint.size) !== size) throw new Failure(`checkpoint ${size}: the note is of size ${checkpoint.size}`);
    if (!checkpoint.rootHash.equals(Buffer.from(row.root_hash))) throw new Failure(`checkpoint ${size}: the stored root differs from the note's`);
    if (!checkpoint.rootHash.equals(compactRangeRoot(range))) throw new Failure(`checkpoint ${size}: root differs from the recomputed tree`);
  }

  private async peek(): Promise<CheckpointRow | undefined> {
    if (this.page.length === 0 && !this.exhausted) {
      this.page = await this.q.query<CheckpointRow>(
        'SELECT c.tree_size::text AS tree_size, c.root_hash, c.note FROM audit_checkpoints c WHERE c.tree_size > $1 ORDER BY c.tree_size LIMIT $2',
        [String(this.after), PAGE_SIZE],
      );
      this.exhausted = this.page.length < PAGE_SIZE;
      const last = this.page.at(-1);
      if (last) this.after = Number(last.tree_size);
    }
    return this.page[0];
  }
}
