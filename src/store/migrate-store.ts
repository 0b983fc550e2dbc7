// Moves a gateway's store from one database to another (in practice: the embedded PGlite folder to
// PostgreSQL) without changing a byte of it. Both sides are brought to the current schema first;
// then, in ONE target transaction, every table is copied in foreign-key order, in batches, and the
// copy is proven before it commits: equal row counts, equal content digests, sequences carried
// over, and the auditors' log re-checked (every leaf against its record, the tree recomputed against
// every signed checkpoint). Whatever fails, the target is left with its empty schema only.
import type { Db, Queryable } from './db.js';
import { migrate } from './migrations.js';
import { checkLog } from '../audit/check-log.js';

export interface MigrateStoreOptions {
  /** The log's verifier key: checkpoints are checked against it on both sides. */
  logKey: string;
  /** Rows per batch at most; big rows (attachments) make batches smaller, see MAX_BATCH_TEXT. */
  batchSize?: number;
  /** Told after each table, for progress output. */
  onTable?: (table: TableReport) => void;
}

export interface TableReport {
  table: string;
  rows: number;
}

export type MigrateStoreResult =
  | { ok: true; tables: TableReport[]; treeSize: number; checkpoints: number }
  | { ok: false; reason: string };

/** A refusal before anything was written, or a failed proof that rolled the copy back. */
class Refusal extends Error {}

/** Text of one batch held in memory at most (a 20 MiB attachment is 40 MB of hex on its own). */
const MAX_BATCH_TEXT = 16 * 1024 * 1024;

interface Column {
  name: string;
  type: string;
}

export async function migrateStore(source: Db, target: Db, options: MigrateStoreOptions): Promise<MigrateStoreResult> {
  const batchSize = options.batchSize ?? 1000;
  try {
    await migrate(source);
    await migrate(target);
    // One snapshot of the source for the whole copy, and one transaction on the target: all or nothing.
    return await source.transaction(async (from) => {
      await from.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      await sameTextOutput(from);
      const sourceLog = await checkLog(from, options.logKey);
      if (!sourceLog.ok) throw new Refusal(`the source's audit log does not verify, so there is nothing trustworthy to carry over: ${sourceLog.reason}`);
      return target.transaction(async (to) => {
        await sameTextOutput(to);
        const tables = await tablesInDependencyOrder(to);
        await sameTables(from, to, tables);
        // Kept out while copying: a gateway started early against the target waits here, not beside us.
        await to.query(`LOCK TABLE ${tables.map(ident).join(', ')} IN ACCESS EXCLUSIVE MODE`);
        const occupied = await firstNonEmpty(to, tables);
        if (occupied) throw new Refusal(`the target is not empty (table ${occupied} has rows); migrate-store only fills an empty store`);

        const reports: TableReport[] = [];
        for (const table of tables) {
          const rows = await copyTable(from, to, table, batchSize);
          await sameContent(from, to, table, rows);
          const report = { table, rows };
          reports.push(report);
          options.onTable?.(report);
        }
        await copySequences(from, to);
        const targetLog = await checkLog(to, options.logKey);
        if (!targetLog.ok) throw new Refusal(`the copied audit log does not verify, so the copy was rolled back: ${targetLog.reason}`);
        if (targetLog.treeSize !== sourceLog.treeSize || targetLog.checkpoints !== sourceLog.checkpoints) {
          throw new Refusal('the copied audit log differs in size from the source, so the copy was rolled back');
        }
        return { ok: true as const, tables: reports, treeSize: targetLog.treeSize, checkpoints: targetLog.checkpoints };
      });
    });
  } catch (error) {
    if (error instanceof Refusal) return { ok: false, reason: error.message };
    throw error;
  }
}

/** Every value crosses as its text form, which is exact for every type; these settings make it identical on both sides. */
async function sameTextOutput(q: Queryable): Promise<void> {
  for (const setting of ["SET LOCAL TimeZone = 'UTC'", "SET LOCAL DateStyle = 'ISO, YMD'", "SET LOCAL bytea_output = 'hex'", 'SET LOCAL extra_float_digits = 1']) await q.query(setting);
}

/** The schema's tables, parents before the tables whose foreign keys point at them. */
async function tablesInDependencyOrder(q: Queryable): Promise<string[]> {
  const tables = (await q.query<{ name: string }>("SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations' ORDER BY tablename")).map((r) => r.name);
  const edges = await q.query<{ child: string; parent: string }>(
    `SELECT c.relname AS child, p.relname AS parent FROM pg_constraint k
       JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class p ON p.oid = k.confrelid
      WHERE k.contype = 'f' AND k.connamespace = 'public'::regnamespace AND k.conrelid <> k.confrelid`,
  );
  const ordered: string[] = [];
  const placed = new Set<string>();
  const visit = (table: string, path: readonly string[]) => {
    if (placed.has(table)) return;
    if (path.includes(table)) throw new Refusal(`foreign keys form a cycle through ${table}; migrate-store cannot order it`);
    for (const e of edges) if (e.child === table) visit(e.parent, [...path, table]);
    placed.add(table);
    ordered.push(table);
  };
  for (const table of tables) visit(table, []);
  return ordered;
}

async function sameTables(from: Queryable, to: Queryable, tables: readonly string[]): Promise<void> {
  const sourceTables = new Set((await from.query<{ name: string }>("SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations'")).map((r) => r.name));
  const missing = [...sourceTables].filter((t) => !tables.includes(t));
  if (missing.length > 0) throw new Refusal(`the target has no table ${missing.join(', ')}; is it another application's database?`);
  const [sourceMigrations, targetMigrations] = await Promise.all([from, to].map((q) => q.query<{ ids: string }>("SELECT string_agg(id::text, ',' ORDER BY id) AS ids FROM schema_migrations")));
  if (sourceMigrations![0]!.ids !== targetMigrations![0]!.ids) throw new Refusal('the source and the target are at different schema migrations');
}

async function firstNonEmpty(q: Queryable, tables: readonly string[]): Promise<string | undefined> {
  for (const table of tables) {
    if ((await q.query(`SELECT 1 FROM ${ident(table)} LIMIT 1`)).length > 0) return table;
  }
  return undefined;
}

/** Columns that take values (not generated ones), with the type each text value is cast back to. */
async function columnsOf(q: Queryable, table: string): Promise<Column[]> {
  return q.query<Column>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type FROM pg_attribute a
      WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
      ORDER BY a.attnum`,
    [`public.${ident(table)}`],
  );
}

/** Copies one table through a cursor; answers the rows copied. */
async function copyTable(from: Queryable, to: Queryable, table: string, batchSize: number): Promise<number> {
  const columns = await columnsOf(to, table);
  const names = columns.map((c) => ident(c.name));
  const cursor = ident(`migrate_${table}`);
  await from.query(`DECLARE ${cursor} NO SCROLL CURSOR FOR SELECT ${names.map((n) => `${n}::text`).join(', ')} FROM ${ident(table)}`);
  const insert = `INSERT INTO ${ident(table)} (${names.join(', ')}) OVERRIDING SYSTEM VALUE
    SELECT ${columns.map((c, i) => `u.c${i}::${c.type}`).join(', ')}
      FROM unnest(${columns.map((_, i) => `$${i + 1}::text[]`).join(', ')}) AS u(${columns.map((_, i) => `c${i}`).join(', ')})`;
  let copied = 0;
  // The first fetch is one row, to learn how big this table's rows are before fetching many.
  let fetch = 1;
  for (;;) {
    const rows = await from.query<Record<string, string | null>>(`FETCH ${fetch} FROM ${cursor}`);
    if (rows.length === 0) break;
    await to.query(insert, columns.map((c) => rows.map((r) => r[c.name] ?? null)));
    copied += rows.length;
    const textSize = rows.reduce((n, r) => n + Object.values(r).reduce((m, v) => m + (v?.length ?? 0), 0), 0);
    fetch = Math.max(1, Math.min(batchSize, Math.floor(MAX_BATCH_TEXT / Math.max(1, textSize / rows.length))));
  }
  await from.query(`CLOSE ${cursor}`);
  return copied;
}

/** The same multiset of rows on both sides: counts, and a digest of every row's text in a fixed order. */
async function sameContent(from: Queryable, to: Queryable, table: string, copied: number): Promise<void> {
  const digest = `SELECT count(*)::int AS n, md5(coalesce(string_agg(h, '' ORDER BY h), '')) AS digest FROM (SELECT md5(t::text) AS h FROM ${ident(table)} t) rows`;
  const [a] = await from.query<{ n: number; digest: string }>(digest);
  const [b] = await to.query<{ n: number; digest: string }>(digest);
  if (a!.n !== copied || b!.n !== copied) throw new Refusal(`table ${table}: ${a!.n} rows in the source, ${copied} read, ${b!.n} in the target`);
  if (a!.digest !== b!.digest) throw new Refusal(`table ${table}: the copied rows differ from the source's`);
}

/** Sequences continue where the source's stopped, so new message-log records follow the old ones. */
async function copySequences(from: Queryable, to: Queryable): Promise<void> {
  const sequences = await from.query<{ name: string }>("SELECT sequencename AS name FROM pg_sequences WHERE schemaname = 'public'");
  for (const { name } of sequences) {
    const [state] = await from.query<{ last: string; called: boolean }>(`SELECT last_value::text AS last, is_called AS called FROM ${ident(name)}`);
    await to.query('SELECT setval($1::regclass, $2::bigint, $3)', [`public.${ident(name)}`, state!.last, state!.called]);
  }
}

function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
