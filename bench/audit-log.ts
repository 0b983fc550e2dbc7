// `npx tsx bench/audit-log.ts [--records N] [--engine pglite|postgres|both] [--batch B]`: how fast the
// auditors' log (docs/audit-log.md) takes message-log records into its Merkle tree and checkpoints them.
//
// Per engine (PGlite in a temp folder; a private PostgreSQL with fsync on), on one database:
//   1. backlog: N realistic records already in message_log, then AuditLogWriter.drain() integrates them
//      all and signs the final checkpoint (records/s, checkpoints made, time of one batch);
//   2. live: P producers append records in transactions at a steady total rate while the writer runs
//      its own loop at the production intervals (integrate every 250 ms, checkpoint every 2 s):
//      sustained records/s integrated, lag from append to leaf and to a covering checkpoint, the
//      checkpoint interval achieved;
//   3. proofs: inclusion and consistency proofs at the final size, read through DatabaseNodeSource,
//      each checked against the signed roots; table sizes.
// Records bench/results/<date>-audit-log-<engine>.json and a section of bench/RESULTS.md per engine.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { appendFile, chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { parseCheckpoint } from '../src/audit/checkpoint.js';
import { loadLogKey, type LogKey } from '../src/audit/log-key.js';
import { AuditLogWriter, type WriteResult } from '../src/audit/log-writer.js';
import { appendLog, type LogRecord } from '../src/audit/message-log.js';
import { consistencyProof, inclusionProof, verifyConsistency, verifyInclusion } from '../src/audit/merkle.js';
import { generateNoteKey, openNote } from '../src/audit/note.js';
import { DatabaseNodeSource, treeSize } from '../src/audit/tree-store.js';
import type { SignatureRecord } from '../src/crypto/partner-signature.js';
import { createDatabase, startPostgresServer, type PostgresServer } from '../test/support/postgres-server.js';
import { openDatabase, type Db } from '../src/store/db.js';
import { migrate } from '../src/store/migrations.js';
import { benchDossier } from './dossiers.js';
import { describeMachine, type Machine } from './machine.js';
import { percentiles, round, roundAll, mib, type Percentiles } from './stats.js';

type Engine = 'pglite' | 'postgres';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.dirname(BENCH_DIR);
const ORIGIN = 'lgsp.bench.example.vn/audit-log';
/** The production defaults (src/config/config.ts: AUDIT_INTEGRATE_INTERVAL_MS, AUDIT_CHECKPOINT_INTERVAL_MS, AUDIT_BATCH_SIZE). */
const INTEGRATE_INTERVAL_MS = 250;
const CHECKPOINT_INTERVAL_MS = 2_000;
const DEFAULT_BATCH = 256;

interface Options {
  records: number;
  engines: Engine[];
  batch: number;
  liveSeconds: number;
  liveRate: number;
  producers: number;
  txRecords: number;
  proofSamples: number;
  record: boolean;
  note: string | undefined;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      records: { type: 'string', default: '20000' },
      engine: { type: 'string', default: 'both' },
      batch: { type: 'string', default: String(DEFAULT_BATCH) },
      'live-seconds': { type: 'string', default: '30' },
      'live-rate': { type: 'string', default: '400' },
      producers: { type: 'string', default: '4' },
      'tx-records': { type: 'string', default: '1' },
      'proof-samples': { type: 'string', default: '200' },
      'dry-run': { type: 'boolean', default: false },
      note: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      [
        'npx tsx bench/audit-log.ts [options]',
        '  --records N         backlog records in message_log before drain() (default 20000)',
        '  --engine E          pglite, postgres or both (default both)',
        `  --batch B           the writer's batch size (default ${DEFAULT_BATCH}, as AUDIT_BATCH_SIZE)`,
        '  --live-seconds S    how long the producers append in the live case (default 30)',
        '  --live-rate R       records a second the producers aim at, all together (default 400)',
        '  --producers P       concurrent producers (default 4)',
        '  --tx-records K      records per producer transaction (default 1)',
        '  --proof-samples K   inclusion and consistency proofs timed (default 200 each)',
        '  --dry-run           print the figures, record nothing',
        '  --note TEXT         added to the derived note in RESULTS.md',
        '',
      ].join('\n'),
    );
    process.exit(0);
  }
  const int = (name: string, v: string | undefined, min: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, got "${v}"`);
    return n;
  };
  const engine = values.engine;
  if (engine !== 'pglite' && engine !== 'postgres' && engine !== 'both') throw new Error(`--engine is pglite, postgres or both, got "${engine}"`);
  return {
    records: int('records', values.records, 1),
    engines: engine === 'both' ? ['pglite', 'postgres'] : [engine],
    batch: int('batch', values.batch, 1),
    liveSeconds: int('live-seconds', values['live-seconds'], 1),
    liveRate: int('live-rate', values['live-rate'], 1),
    producers: int('producers', values.producers, 1),
    txRecords: int('tx-records', values['tx-records'], 1),
    proofSamples: int('proof-samples', values['proof-samples'], 1),
    record: !values['dry-run'],
    note: values.note,
  };
}

// --- the records -------------------------------------------------------------------------------------

const b64url = (bytes: Buffer) => bytes.toString('base64url');
const fingerprint = () => createHash('sha256').update(randomBytes(32)).digest('hex');

interface Signer {
  keyId: string;
  chain: string[];
  header: string;
}

/** A partner's (or the gateway's) signing identity: a JWS protected header with x5c (two ~1.2 KB certificates) and the chain's fingerprints. */
function signer(keyId: string): Signer {
  const x5c = [randomBytes(1_200).toString('base64'), randomBytes(1_100).toString('base64')];
  return { keyId, chain: [fingerprint(), fingerprint()], header: b64url(Buffer.from(JSON.stringify({ alg: 'RS256', kid: keyId, x5c, b64: false, crit: ['b64'] }))) };
}

/** A detached JWS (header..signature, RSA-2048) as the message log keeps it: ~3.7 KB. */
function jws(s: Signer): SignatureRecord {
  return { format: 'jws-detached', value: `${s.header}..${b64url(randomBytes(256))}`, keyId: s.keyId, chain: s.chain };
}

const PARTNERS = ['hanoi-one-stop', 'hanoi-justice', 'bavi-district'].map((id) => ({ id, signer: signer(`${id}-2026`) }));
const GATEWAY = signer('lgsp-hanoi-gateway-2026');

/**
 * The mix the gateway logs: of every 10 records, 5 inbound dossiers accepted (partner's JWS, ~2 KB
 * body), 4 deliveries to the national portal (gateway's JWS, body), 1 refusal (no body, no signature).
 */
function benchRecord(i: number): LogRecord {
  const partner = PARTNERS[i % PARTNERS.length]!;
  const code = `000.00.20.H26-261123-${String(i).padStart(6, '0')}`;
  const kind = i % 10;
  if (kind === 9) {
    return { direction: 'in', partnerId: partner.id, endpoint: 'POST /v1/dossiers', messageId: randomUUID(), outcome: 'refused', errorCode: 'signature-invalid' };
  }
  const body = Buffer.from(JSON.stringify(benchDossier(code, i)));
  if (kind < 5) {
    return { direction: 'in', partnerId: partner.id, endpoint: 'POST /v1/dossiers', dossierCode: code, messageId: randomUUID(), body, outcome: 'accepted', signature: jws(partner.signer) };
  }
  return {
    direction: 'out',
    partnerId: partner.id,
    endpoint: 'national-portal:DongBoHoSoMC',
    dossierCode: code,
    messageId: randomUUID(),
    body,
    outcome: 'delivered',
    attempt: 1,
    signature: jws(GATEWAY),
  };
}

function recordBytes(r: LogRecord): number {
  return (r.body?.length ?? 0) + (r.signature && 'value' in r.signature ? r.signature.value.length : 0);
}

// --- machine load --------------------------------------------------------------------------------------

interface CpuMark {
  stat: { busy: number; total: number };
  proc: NodeJS.CpuUsage;
  wall: number;
}

async function cpuMark(): Promise<CpuMark> {
  const line = (await readFile('/proc/stat', 'utf8').catch(() => 'cpu 0 0 0 0')).split('\n')[0]!;
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { stat: { busy: fields.reduce((a, b) => a + b, 0) - idle, total: fields.reduce((a, b) => a + b, 0) }, proc: process.cpuUsage(), wall: performance.now() };
}

interface CpuFigures {
  /** All cores together, from /proc/stat: 1 = every core busy. */
  machineBusy: number;
  /** This Node process's CPU ÷ wall time (1 = one core); with PGlite it includes the database. */
  benchProcessCores: number;
}

function cpuSince(a: CpuMark, b: CpuMark): CpuFigures {
  const total = b.stat.total - a.stat.total;
  const cpuUs = b.proc.user - a.proc.user + (b.proc.system - a.proc.system);
  return {
    machineBusy: round(total > 0 ? (b.stat.busy - a.stat.busy) / total : 0, 3),
    benchProcessCores: round(cpuUs / 1000 / Math.max(1, b.wall - a.wall), 2),
  };
}

// --- the writer, observed ----------------------------------------------------------------------------------

interface BatchEvent {
  start: number;
  end: number;
  integrated: number;
  treeSize: number;
  checkpointSize: number | undefined;
}

/** Wraps the writer's integrateOnce (which drain() and its own loop call) to time every batch. */
function observe(writer: AuditLogWriter): BatchEvent[] {
  const events: BatchEvent[] = [];
  const original = writer.integrateOnce.bind(writer);
  writer.integrateOnce = async (...args: Parameters<AuditLogWriter['integrateOnce']>): Promise<WriteResult> => {
    const start = performance.now();
    const result = await original(...args);
    events.push({ start, end: performance.now(), integrated: result.integrated, treeSize: result.treeSize, checkpointSize: result.checkpoint?.treeSize });
    return result;
  };
  return events;
}

const silentLogger = pino({ level: 'warn' }, pino.destination(2));

// --- the run -------------------------------------------------------------------------------------------------

interface EngineResult {
  date: string;
  kind: 'audit-log';
  engine: Engine;
  machine: Machine & { loadAverageAtStart: number[]; loadAverageAtEnd: number[] };
  design: string;
  parameters: Record<string, unknown>;
  load: { records: number; seconds: number; perSecond: number; recordBytesMean: number; withBody: number; withSignature: number; refusals: number; leafBytesMean: number };
  backlog: {
    records: number;
    seconds: number;
    perSecond: number;
    checkpoints: number;
    batches: number;
    batchMs: Percentiles;
    finalTreeSize: number;
    cpu: CpuFigures;
  };
  live: {
    seconds: number;
    producers: number;
    targetPerSecond: number;
    appended: number;
    appendedPerSecond: number;
    transactionMs: Percentiles;
    integratedInWindow: number;
    integratedPerSecond: number;
    tailSeconds: number;
    appendToLeafMs: Percentiles;
    appendToCheckpointMs: Percentiles;
    checkpoints: number;
    checkpointIntervalMs: Percentiles;
    batches: number;
    emptyBatches: number;
    batchMs: Percentiles;
    leavesPerBatch: Percentiles;
    cpu: CpuFigures;
  };
  proofs: {
    treeSize: number;
    inclusionMs: Percentiles;
    inclusionHashes: number;
    consistencyMs: Percentiles;
    consistencyHashesMean: number;
    verified: { inclusion: number; consistency: number };
  };
  tablesMiB: Record<string, number>;
  rows: Record<string, number>;
  note: string;
}

async function runEngine(engine: Engine, o: Options): Promise<EngineResult> {
  const log = (msg: string) => process.stderr.write(`[audit-log ${engine}] ${msg}\n`);
  const work = await mkdtemp(path.join(os.tmpdir(), `lgsp-bench-audit-${engine}-`));
  // PostgreSQL runs as the postgres OS user when we are root; it must be able to enter this folder (the key file stays 0600).
  await chmod(work, 0o755);
  let postgres: PostgresServer | undefined;
  let db: Db | undefined;
  try {
    const loadAverageAtStart = os.loadavg().map((v) => round(v, 2));
    let databaseUrl: string | undefined;
    if (engine === 'postgres') {
      postgres = await startPostgresServer({ dir: path.join(work, 'pg'), fsync: true, maxConnections: 50 });
      databaseUrl = await createDatabase(postgres.url, 'lgsp_bench_audit');
      log(`PostgreSQL on port ${postgres.port}`);
    }
    db = await openDatabase({ databaseUrl, dataDir: path.join(work, 'data') });
    await migrate(db);
    const key = await writeKey(work);
    const writerOptions = { key, batchSize: o.batch, checkpointIntervalMs: CHECKPOINT_INTERVAL_MS, integrateIntervalMs: INTEGRATE_INTERVAL_MS };

    // 0. The backlog, loaded by 4 concurrent loaders in transactions of 100 records (not the figure that matters).
    log(`loading ${o.records} records`);
    let next = 0;
    let bytes = 0;
    let withBody = 0;
    let withSignature = 0;
    const loadStart = performance.now();
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < o.records) {
          const from = next;
          const to = Math.min(o.records, from + 100);
          next = to;
          const records = Array.from({ length: to - from }, (_, k) => benchRecord(from + k));
          for (const r of records) {
            bytes += recordBytes(r);
            if (r.body) withBody++;
            if (r.signature) withSignature++;
          }
          await db!.transaction(async (tx) => {
            for (const r of records) await appendLog(tx, r);
          });
        }
      }),
    );
    const loadS = (performance.now() - loadStart) / 1000;
    log(`loaded in ${loadS.toFixed(1)} s`);

    // 1. Backlog: drain() integrates everything and signs the final checkpoint.
    const backlogWriter = new AuditLogWriter(db, writerOptions, silentLogger);
    const backlogEvents = observe(backlogWriter);
    const backlogCpu0 = await cpuMark();
    const drainStart = performance.now();
    const drained = await backlogWriter.drain();
    const drainS = (performance.now() - drainStart) / 1000;
    const backlogCpu = cpuSince(backlogCpu0, await cpuMark());
    const [{ n: backlogCheckpoints } = { n: 0 }] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_checkpoints');
    if (drained.treeSize !== o.records || !drained.checkpoint || drained.checkpoint.treeSize !== o.records) {
      throw new Error(`drain() ended at tree size ${drained.treeSize}, checkpoint ${drained.checkpoint?.treeSize}, expected ${o.records}`);
    }
    log(`backlog drained in ${drainS.toFixed(2)} s (${(o.records / drainS).toFixed(0)} records/s), ${backlogCheckpoints} checkpoints`);
    const [leafRow] = await db.query<{ mean: number }>('SELECT avg(length(leaf))::float8 AS mean FROM audit_leaves');

    // 2. Live: producers at a steady rate, the writer on its own loop at the production intervals.
    log(`live: ${o.producers} producers at ${o.liveRate} records/s for ${o.liveSeconds} s`);
    const liveWriter = new AuditLogWriter(db, writerOptions, silentLogger);
    const liveEvents = observe(liveWriter);
    const appended: { messageId: string; at: number }[] = [];
    const txMs: number[] = [];
    let liveIndex = o.records;
    const liveCpu0 = await cpuMark();
    const liveStart = performance.now();
    const liveEnd = liveStart + o.liveSeconds * 1000;
    liveWriter.start();
    const txInterval = (1000 * o.producers * o.txRecords) / o.liveRate;
    await Promise.all(
      Array.from({ length: o.producers }, async (_, p) => {
        // Each producer keeps its own schedule (staggered), so the total is steady; a late one catches up.
        for (let k = 0; ; k++) {
          const due = liveStart + (p / o.producers) * txInterval + k * txInterval;
          if (due >= liveEnd) return;
          const wait = due - performance.now();
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
          const records = Array.from({ length: o.txRecords }, () => benchRecord(liveIndex++));
          const t0 = performance.now();
          await db!.transaction(async (tx) => {
            for (const r of records) await appendLog(tx, r);
          });
          const t1 = performance.now();
          txMs.push(t1 - t0);
          for (const r of records) appended.push({ messageId: r.messageId!, at: t1 });
        }
      }),
    );
    const lastAppend = performance.now();
    const target = o.records + appended.length;
    const deadline = performance.now() + 180_000;
    while (!liveEvents.some((e) => (e.checkpointSize ?? 0) >= target)) {
      if (performance.now() > deadline) throw new Error(`the live writer did not checkpoint size ${target} within 3 minutes`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const covered = performance.now();
    await liveWriter.stop();
    const liveCpu = cpuSince(liveCpu0, await cpuMark());

    const leafOf = new Map(
      (
        await db.query<{ id: string; leaf: string }>(
          'SELECT m.message_id::text AS id, l.leaf_index::text AS leaf FROM message_log m JOIN audit_leaves l ON l.log_seq = m.seq WHERE l.leaf_index >= $1',
          [o.records],
        )
      ).map((r) => [r.id, Number(r.leaf)]),
    );
    const integrations = liveEvents.filter((e) => e.integrated > 0);
    const checkpoints = liveEvents.filter((e) => e.checkpointSize !== undefined);
    const firstEnd = (events: BatchEvent[], size: (e: BatchEvent) => number, leaf: number) => {
      let lo = 0;
      let hi = events.length - 1;
      let found: BatchEvent | undefined;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if (size(events[mid]!) > leaf) {
          found = events[mid];
          hi = mid - 1;
        } else lo = mid + 1;
      }
      if (!found) throw new Error(`no event covers leaf ${leaf}`);
      return found.end;
    };
    const toLeaf: number[] = [];
    const toCheckpoint: number[] = [];
    for (const a of appended) {
      const leaf = leafOf.get(a.messageId);
      if (leaf === undefined) throw new Error(`record ${a.messageId} was never integrated`);
      toLeaf.push(firstEnd(integrations, (e) => e.treeSize, leaf) - a.at);
      toCheckpoint.push(firstEnd(checkpoints, (e) => e.checkpointSize!, leaf) - a.at);
    }
    const inWindow = liveEvents.filter((e) => e.end <= lastAppend);
    const integratedInWindow = inWindow.reduce((n, e) => n + e.integrated, 0);
    const windowCheckpoints = checkpoints.filter((e) => e.end <= lastAppend).map((e) => e.end);
    const liveS = (lastAppend - liveStart) / 1000;
    log(`live: ${appended.length} appended, ${integratedInWindow} integrated while appending, all checkpointed ${((covered - lastAppend) / 1000).toFixed(2)} s after the last append`);

    // 3. Proofs at the final size, read through DatabaseNodeSource and checked against the signed roots.
    const size = await treeSize(db);
    const source = new DatabaseNodeSource(db);
    const kept = await db.query<{ size: string; note: string }>('SELECT tree_size::text AS size, note FROM audit_checkpoints ORDER BY tree_size');
    const rootOf = new Map(kept.map((c) => [Number(c.size), parseCheckpoint(openNote(c.note, [key.verifier]).text).rootHash]));
    const finalRoot = rootOf.get(size);
    if (!finalRoot) throw new Error(`no checkpoint at the final size ${size}`);
    const inclusionMs: number[] = [];
    let inclusionHashes = 0;
    let verifiedInclusion = 0;
    for (let k = 0; k < o.proofSamples; k++) {
      const index = Math.floor(Math.random() * size);
      const t0 = performance.now();
      const proof = await inclusionProof(source, index, size);
      inclusionMs.push(performance.now() - t0);
      inclusionHashes += proof.length;
      const [leaf] = await db.query<{ hash: Uint8Array }>('SELECT leaf_hash AS hash FROM audit_leaves WHERE leaf_index = $1', [String(index)]);
      const verdict = verifyInclusion(Buffer.from(leaf!.hash), index, size, proof, finalRoot);
      if (!verdict.ok) throw new Error(`inclusion proof for ${index} at ${size} does not verify: ${verdict.reason}`);
      verifiedInclusion++;
    }
    const earlier = [...rootOf.keys()].filter((s) => s < size);
    const consistencyMs: number[] = [];
    let consistencyHashes = 0;
    let verifiedConsistency = 0;
    for (let k = 0; k < o.proofSamples && earlier.length > 0; k++) {
      const from = earlier[Math.floor(Math.random() * earlier.length)]!;
      const t0 = performance.now();
      const proof = await consistencyProof(source, from, size);
      consistencyMs.push(performance.now() - t0);
      consistencyHashes += proof.length;
      const verdict = verifyConsistency(from, size, proof, rootOf.get(from)!, finalRoot);
      if (!verdict.ok) throw new Error(`consistency proof ${from}→${size} does not verify: ${verdict.reason}`);
      verifiedConsistency++;
    }

    const tables = ['audit_leaves', 'audit_nodes', 'audit_checkpoints', 'audit_bodies', 'message_log'];
    const tablesMiB: Record<string, number> = {};
    const rows: Record<string, number> = {};
    for (const t of tables) {
      const [r] = await db.query<{ bytes: string; n: string }>(`SELECT pg_total_relation_size('${t}')::text AS bytes, (SELECT count(*) FROM ${t})::text AS n`);
      tablesMiB[t] = mib(Number(r!.bytes));
      rows[t] = Number(r!.n);
    }

    const machine = await describeMachine();
    const loadAverageAtEnd = os.loadavg().map((v) => round(v, 2));
    const result: EngineResult = {
      date: new Date().toISOString(),
      kind: 'audit-log',
      engine,
      machine: { ...machine, loadAverageAtStart, loadAverageAtEnd },
      design:
        (engine === 'postgres' ? 'private PostgreSQL 15 (fsync on), pg pool of 10' : 'PGlite in a temp folder, in the bench process') +
        '; AuditLogWriter and the producers in the one bench process; writer key Ed25519 from a temp file; one database for the three phases (backlog, then live on top of it, then proofs at the final size)',
      parameters: {
        records: o.records,
        batch: o.batch,
        integrateIntervalMs: INTEGRATE_INTERVAL_MS,
        checkpointIntervalMs: CHECKPOINT_INTERVAL_MS,
        liveSeconds: o.liveSeconds,
        liveRate: o.liveRate,
        producers: o.producers,
        txRecords: o.txRecords,
        proofSamples: o.proofSamples,
        mix: 'of 10 records: 5 inbound accepted (partner JWS, body), 4 outbound delivered (gateway JWS, body), 1 refusal (no body, no signature)',
        command: `npx tsx bench/audit-log.ts ${process.argv.slice(2).join(' ')}`.trim(),
      },
      load: {
        records: o.records,
        seconds: round(loadS, 2),
        perSecond: round(o.records / loadS, 1),
        recordBytesMean: Math.round(bytes / o.records),
        withBody,
        withSignature,
        refusals: o.records - withBody,
        leafBytesMean: Math.round(leafRow?.mean ?? 0),
      },
      backlog: {
        records: o.records,
        seconds: round(drainS, 3),
        perSecond: round(o.records / drainS, 1),
        checkpoints: backlogCheckpoints,
        batches: backlogEvents.length,
        batchMs: roundAll(percentiles(backlogEvents.map((e) => e.end - e.start)), 1),
        finalTreeSize: drained.treeSize,
        cpu: backlogCpu,
      },
      live: {
        seconds: round(liveS, 2),
        producers: o.producers,
        targetPerSecond: o.liveRate,
        appended: appended.length,
        appendedPerSecond: round(appended.length / liveS, 1),
        transactionMs: roundAll(percentiles(txMs), 1),
        integratedInWindow,
        integratedPerSecond: round(integratedInWindow / liveS, 1),
        tailSeconds: round((covered - lastAppend) / 1000, 2),
        appendToLeafMs: roundAll(percentiles(toLeaf), 0),
        appendToCheckpointMs: roundAll(percentiles(toCheckpoint), 0),
        checkpoints: checkpoints.length,
        checkpointIntervalMs: roundAll(percentiles(windowCheckpoints.slice(1).map((t, i) => t - windowCheckpoints[i]!)), 0),
        batches: liveEvents.length,
        emptyBatches: liveEvents.length - integrations.length,
        batchMs: roundAll(percentiles(integrations.map((e) => e.end - e.start)), 1),
        leavesPerBatch: roundAll(percentiles(integrations.map((e) => e.integrated)), 1),
        cpu: liveCpu,
      },
      proofs: {
        treeSize: size,
        inclusionMs: roundAll(percentiles(inclusionMs), 2),
        inclusionHashes: Math.round(inclusionHashes / Math.max(1, inclusionMs.length)),
        consistencyMs: roundAll(percentiles(consistencyMs), 2),
        consistencyHashesMean: round(consistencyHashes / Math.max(1, consistencyMs.length), 1),
        verified: { inclusion: verifiedInclusion, consistency: verifiedConsistency },
      },
      tablesMiB,
      rows,
      note: '',
    };
    result.note = [deriveNote(result), o.note].filter(Boolean).join(' ');
    return result;
  } finally {
    await db?.close().catch(() => {});
    await postgres?.stop().catch((e: Error) => log(`stopping PostgreSQL: ${e.message}`));
    await rm(work, { recursive: true, force: true });
  }
}

async function writeKey(dir: string): Promise<LogKey> {
  const { signerKey, verifierKey } = generateNoteKey(ORIGIN);
  const file = path.join(dir, 'audit-log.key');
  await writeFile(file, signerKey + '\n', { mode: 0o600 });
  await writeFile(`${file}.pub`, verifierKey + '\n');
  return loadLogKey(file, ORIGIN);
}

function deriveNote(r: EngineResult): string {
  const parts: string[] = [];
  const l = r.live;
  if (l.appendedPerSecond < l.targetPerSecond * 0.95) parts.push(`the producers reached ${fmt(l.appendedPerSecond)} of the ${fmt(l.targetPerSecond)} records/s aimed at`);
  if (l.integratedPerSecond < l.appendedPerSecond * 0.9) parts.push(`the writer fell behind the producers (${fmt(l.integratedPerSecond)} integrated/s for ${fmt(l.appendedPerSecond)} appended/s)`);
  else parts.push('the writer kept up with the producers');
  if (l.checkpointIntervalMs.count > 0 && l.checkpointIntervalMs.p50 < CHECKPOINT_INTERVAL_MS * 0.75) {
    parts.push(
      `live checkpoints came every ${fmt(l.checkpointIntervalMs.p50)} ms (p50), not every ${fmt(CHECKPOINT_INTERVAL_MS)}: the writer signs at once when no record is pending at the end of its batch` +
        (r.engine === 'pglite' ? ', and PGlite runs one transaction at a time, so no producer can commit while a batch is open and nearly every batch ends with nothing pending' : ''),
    );
  }
  const busy = Math.max(r.backlog.cpu.machineBusy, r.live.cpu.machineBusy);
  parts.push(`machine ${r.machine.cores} cores, busy ${fmt(r.backlog.cpu.machineBusy * 100)}% during the drain and ${fmt(r.live.cpu.machineBusy * 100)}% during the live case; load average ${r.machine.loadAverageAtStart.join(' ')} at the start`);
  if (busy > 0.9) parts.push('the cores were saturated, so the figures are CPU-bound');
  return `${parts.join('; ')}.`;
}

// --- RESULTS.md ----------------------------------------------------------------------------------------------

function renderSection(r: EngineResult, jsonFile: string | undefined): string {
  const m = r.machine;
  const p = r.parameters;
  const b = r.backlog;
  const l = r.live;
  const pr = r.proofs;
  const t = r.tablesMiB;
  const pct = (x: Percentiles, digits = 0) => `p50 ${fmt(x.p50, digits)} · p99 ${fmt(x.p99, digits)} · max ${fmt(x.max, digits)}`;
  const lines = [
    '',
    `## ${r.date.slice(0, 16).replace('T', ' ')} UTC · Audit log append, ${r.engine === 'pglite' ? 'PGlite' : 'PostgreSQL'}`,
    '',
    `- **Machine**: ${m.cpuModel}, ${m.cores} cores, ${fmt(m.ramGiB)} GiB RAM; Node ${m.node}; ${m.os} (${m.kernel}); load average ${m.loadAverageAtStart.join(' ')} at the start, ${m.loadAverageAtEnd.join(' ')} at the end`,
    `- **Set-up**: ${r.design}. Run with \`${String(p.command)}\`.`,
    `- **Parameters**: ${fmt(r.load.records)} backlog records (${String(p.mix)}; ${fmt(r.load.withBody)} with a ~2 KB body, ${fmt(r.load.withSignature)} with a ~3.7 KB detached JWS and a 2-fingerprint chain; ${fmt(r.load.recordBytesMean)} B of body + signature per record on average, leaves ${fmt(r.load.leafBytesMean)} B); batch ${String(p.batch)}, integrate every ${String(p.integrateIntervalMs)} ms, checkpoint every ${String(p.checkpointIntervalMs)} ms (the defaults); live: ${String(p.producers)} producers, ${String(p.txRecords)} record per transaction, ${fmt(l.targetPerSecond)} records/s aimed at for ${String(p.liveSeconds)} s`,
    '- **How to read it**: *backlog* times `drain()` over records already in message_log, to the final checkpoint signed; *batch* is one `integrateOnce()` (one transaction: leaves, nodes, maybe a checkpoint). *Live* runs the writer\'s own loop while the producers append; *integrated/s* counts leaves integrated by batches that ended before the last append; *append→leaf* and *append→checkpoint* run from a producer\'s commit to the end of the batch that integrated the record, or that signed the first checkpoint covering it (same clock, one process). Proofs are read through `DatabaseNodeSource` at the final size and each is verified against a signed root (consistency from a random kept checkpoint). Table sizes are `pg_total_relation_size` (with indexes and TOAST).',
    '',
    '| Figure | Value |',
    '|---|---|',
    `| Backlog drain | ${fmt(b.records)} records in ${fmt(b.seconds, 2)} s: **${fmt(b.perSecond, 1)} records/s** integrated and checkpointed; ${fmt(b.checkpoints)} checkpoints, ${fmt(b.batches)} batches |`,
    `| Backlog batch (ms) | ${pct(b.batchMs, 1)} |`,
    `| Live appends | ${fmt(l.appended)} in ${fmt(l.seconds, 2)} s: ${fmt(l.appendedPerSecond, 1)} appended/s (aimed at ${fmt(l.targetPerSecond)}); transaction ms ${pct(l.transactionMs, 1)} |`,
    `| Live integration | **${fmt(l.integratedPerSecond, 1)} records/s** integrated while appending; all checkpointed ${fmt(l.tailSeconds, 2)} s after the last append; ${fmt(l.batches)} batches (${fmt(l.emptyBatches)} empty), ${fmt(l.leavesPerBatch.p50)} leaves per batch p50 (max ${fmt(l.leavesPerBatch.max)}), batch ms ${pct(l.batchMs, 1)} |`,
    `| Append→leaf (ms) | ${pct(l.appendToLeafMs)} |`,
    `| Append→checkpoint (ms) | **${pct(l.appendToCheckpointMs)}** |`,
    `| Checkpoint interval (ms) | ${pct(l.checkpointIntervalMs)}; ${fmt(l.checkpoints)} checkpoints in the live case |`,
    `| Inclusion proof at ${fmt(pr.treeSize)} (ms) | ${pct(pr.inclusionMs, 2)} (${fmt(pr.inclusionHashes)} hashes; ${pr.verified.inclusion} verified) |`,
    `| Consistency proof to ${fmt(pr.treeSize)} (ms) | ${pct(pr.consistencyMs, 2)} (${fmt(pr.consistencyHashesMean, 1)} hashes on average; ${pr.verified.consistency} verified) |`,
    `| Tables (MiB) | audit_leaves ${fmt(t.audit_leaves ?? 0, 1)} · audit_nodes ${fmt(t.audit_nodes ?? 0, 1)} · audit_checkpoints ${fmt(t.audit_checkpoints ?? 0, 1)} (${fmt(r.rows.audit_checkpoints ?? 0)} rows); beside them audit_bodies ${fmt(t.audit_bodies ?? 0, 1)}, message_log ${fmt(t.message_log ?? 0, 1)} |`,
    `| CPU | machine busy ${fmt(b.cpu.machineBusy * 100)}% during the drain, ${fmt(l.cpu.machineBusy * 100)}% live; the bench process ${fmt(b.cpu.benchProcessCores, 2)} / ${fmt(l.cpu.benchProcessCores, 2)} cores${r.engine === 'pglite' ? ' (PGlite included)' : ''} |`,
    `| Backlog load (not timed as a figure) | ${fmt(r.load.records)} records appended in ${fmt(r.load.seconds, 1)} s (${fmt(r.load.perSecond)}/s, 4 loaders, 100 per transaction) |`,
    '',
    `**Note**: ${r.note}`,
    '',
    ...(jsonFile ? [`Full figures: [${jsonFile}](${jsonFile})`, ''] : []),
  ];
  return lines.join('\n');
}

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  for (const engine of o.engines) {
    const result = await runEngine(engine, o);
    if (!o.record) {
      process.stdout.write(renderSection(result, undefined));
      process.stdout.write(`\n${JSON.stringify(result, null, 2)}\n`);
      continue;
    }
    const dir = path.join(BENCH_DIR, 'results');
    await mkdir(dir, { recursive: true });
    const day = result.date.slice(0, 10);
    let file = path.join(dir, `${day}-audit-log-${engine}.json`);
    for (let n = 2; await exists(file); n++) file = path.join(dir, `${day}-audit-log-${engine}-${n}.json`);
    await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
    await appendFile(path.join(BENCH_DIR, 'RESULTS.md'), renderSection(result, path.relative(BENCH_DIR, file)));
    process.stderr.write(`[audit-log ${engine}] recorded ${path.relative(REPO, file)} and bench/RESULTS.md\n`);
  }
}

main().catch((error: Error) => {
  process.stderr.write(`bench failed: ${error.stack ?? error.message}\n`);
  process.exitCode = 1;
});
