// The single writer of the auditors' log: it takes new message-log records in order, appends them
// as leaves, stores the completed subtrees, and signs a checkpoint every few seconds while records
// arrive. Several gateway processes may run it; a PostgreSQL advisory lock lets one write at a time.
import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Db, Queryable } from '../store/db.js';
import { formatCheckpoint } from './checkpoint.js';
import { LEAF_COLUMNS, encodeLeaf, leafRecord, type LogRowForLeaf } from './leaf.js';
import type { LogKey } from './log-key.js';
import { appendLeaves, compactRangeRoot, leafHash, loadCompactRange, type CompactRange } from './merkle.js';
import { signNote } from './note.js';
import { DatabaseNodeSource, treeSize, writeNodes } from './tree-store.js';

const WRITER_LOCK = 7_352_002;
/**
 * message_log.seq comes from a sequence, so a transaction can commit a lower seq after a higher one
 * was integrated. Records that far behind the newest leaf are still looked for.
 */
const LATE_COMMIT_WINDOW = 10_000;

export interface LogWriterOptions {
  key: LogKey;
  batchSize: number;
  /** The least time between two checkpoints; a record waits about this long to be covered by one. */
  checkpointIntervalMs: number;
  integrateIntervalMs: number;
  /** A folder where the latest checkpoint is written for a second party to copy. */
  publishDir?: string | undefined;
}

export interface WriteResult {
  integrated: number;
  treeSize: number;
  checkpoint?: { treeSize: number; note: string };
}

export class AuditLogWriter {
  private range: CompactRange | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly db: Db,
    private readonly options: LogWriterOptions,
    private readonly logger: Logger,
  ) {}

  start(): void {
    const tick = () => {
      this.running = this.catchUp()
        .catch((err) => this.logger.error({ err: { message: (err as Error).message } }, 'audit log integration failed; will retry'))
        .finally(() => {
          if (this.timer !== undefined) this.timer = setTimeout(tick, this.options.integrateIntervalMs);
        });
    };
    this.timer = setTimeout(tick, this.options.integrateIntervalMs);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
    // What arrived since the last checkpoint is covered before the process goes.
    await this.drain().catch((err) => this.logger.warn({ err: { message: (err as Error).message } }, 'final audit checkpoint failed'));
  }

  /** Integrates until nothing is left, and signs a checkpoint of the result now (tools, tests, shutdown). */
  async drain(): Promise<WriteResult> {
    return this.catchUp({ forceCheckpoint: true });
  }

  /** Integrates until nothing is left; checkpoints as they fall due, or at the end when forced. */
  private async catchUp(options: { forceCheckpoint?: boolean } = {}): Promise<WriteResult> {
    let last: WriteResult;
    do last = await this.integrateOnce();
    while (last.integrated === this.options.batchSize);
    if (options.forceCheckpoint && !last.checkpoint) last = await this.integrateOnce(new Date(), { forceCheckpoint: true });
    return last;
  }

  /** One batch in one transaction: leaves, nodes, and a checkpoint when one is due (or forced). */
  async integrateOnce(now = new Date(), options: { forceCheckpoint?: boolean } = {}): Promise<WriteResult> {
    let range: CompactRange | undefined;
    try {
      const result = await this.db.transaction(async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock($1)', [WRITER_LOCK]);
        const size = await treeSize(tx);
        range = this.range?.size === size ? this.range : await loadCompactRange(new DatabaseNodeSource(tx), size);
        const rows = await pendingRecords(tx, this.options.batchSize);
        if (rows.length > 0) range = await this.append(tx, range, rows);
        const checkpoint = await this.checkpointIfDue(tx, range, now, options.forceCheckpoint === true);
        return { integrated: rows.length, treeSize: range.size, ...(checkpoint ? { checkpoint } : {}) };
      });
      this.range = range;
      if (result.checkpoint) await this.publish(result.checkpoint.note);
      return result;
    } catch (error) {
      this.range = undefined; // whatever was computed did not commit
      throw error;
    }
  }

  private async append(tx: Queryable, range: CompactRange, rows: LogRowForLeaf[]): Promise<CompactRange> {
    const leaves = rows.map((row) => encodeLeaf(leafRecord(row)));
    const hashes = leaves.map(leafHash);
    await tx.query(
      'INSERT INTO audit_leaves (leaf_index, log_seq, leaf, leaf_hash) SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bytea[], $4::bytea[])',
      [rows.map((_, i) => String(range.size + i)), rows.map((r) => r.seq), leaves, hashes],
    );
    const appended = appendLeaves(range, hashes);
    await writeNodes(tx, appended.nodes);
    return appended.range;
  }

  private async checkpointIfDue(tx: Queryable, range: CompactRange, now: Date, force: boolean): Promise<{ treeSize: number; note: string } | undefined> {
    if (range.size === 0) return undefined;
    const [latest] = await tx.query<{ size: string; at: Date | string; note: string }>(
      'SELECT tree_size::text AS size, created_at AS at, note FROM audit_checkpoints ORDER BY tree_size DESC LIMIT 1',
    );
    // Already covered: a forced checkpoint (drain) answers with the one that covers the tree.
    if (latest && Number(latest.size) >= range.size) return force ? { treeSize: Number(latest.size), note: latest.note } : undefined;
    // One checkpoint per interval at most: records wait at most that long for one, and a quiet
    // trickle of records does not sign a checkpoint per batch.
    if (!force && latest && now.getTime() - new Date(latest.at).getTime() < this.options.checkpointIntervalMs) return undefined;
    const root = compactRangeRoot(range);
    const note = signNote(formatCheckpoint({ origin: this.options.key.origin, size: range.size, rootHash: root }), [this.options.key.signer]);
    await tx.query('INSERT INTO audit_checkpoints (tree_size, root_hash, note, created_at) VALUES ($1, $2, $3, $4)', [String(range.size), root, note, now]);
    return { treeSize: range.size, note };
  }

  private async publish(note: string): Promise<void> {
    if (!this.options.publishDir) return;
    const file = path.join(this.options.publishDir, 'checkpoint');
    // Written aside and renamed, so that a copier never reads half a checkpoint.
    await writeFile(`${file}.tmp`, note);
    await rename(`${file}.tmp`, file);
  }
}

async function pendingRecords(q: Queryable, limit: number): Promise<LogRowForLeaf[]> {
  const [floor] = await q.query<{ seq: string }>('SELECT COALESCE(max(log_seq), 0)::text AS seq FROM audit_leaves');
  return q.query<LogRowForLeaf>(
    `SELECT ${LEAF_COLUMNS} FROM message_log m
      WHERE m.seq > $1 AND NOT EXISTS (SELECT 1 FROM audit_leaves l WHERE l.log_seq = m.seq)
      ORDER BY m.seq LIMIT $2`,
    [String(Math.max(0, Number(floor!.seq) - LATE_COMMIT_WINDOW)), limit],
  );
}
