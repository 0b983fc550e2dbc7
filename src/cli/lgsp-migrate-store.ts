#!/usr/bin/env node
// lgsp-migrate-store: moves a stopped gateway's embedded store (PGlite in DATA_DIR) to PostgreSQL
// (DATABASE_URL), keeping the auditors' log and its proofs intact (src/store/migrate-store.ts).
// Exit codes: 0 migrated, 1 refused or not proven (the target is left empty), 2 usage or input error.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { readVerifierKey } from '../audit/log-key.js';
import { openDatabase, openPostgres } from '../store/db.js';
import { migrateStore } from '../store/migrate-store.js';

const USAGE = `Usage:
  lgsp-migrate-store [--data-dir DIR] [--database-url URL] [--log-key VKEY_OR_FILE] [--batch-size N]

Copies the embedded store in DIR/pglite (default: DATA_DIR) into the empty PostgreSQL database at URL
(default: DATABASE_URL), all tables in one transaction, and commits only once the copy is proven:
equal rows, and the audit log re-checked against every signed checkpoint with the log's verifier key
(default: AUDIT_LOG_KEY_FILE.pub, else DIR/audit-log.key.pub). Stop the gateway first: PGlite has
one user at a time. Exit codes: 0 migrated, 1 refused (nothing kept in the target), 2 usage error.
`;

class InputError extends Error {}

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  try {
    const options = await readOptions(argv);
    const source = await openDatabase({ dataDir: options.dataDir });
    const target = openPostgres(options.databaseUrl);
    try {
      process.stdout.write(`migrating ${path.join(options.dataDir, 'pglite')} to PostgreSQL\n`);
      const result = await migrateStore(source, target, {
        logKey: options.logKey,
        batchSize: options.batchSize,
        onTable: ({ table, rows }) => process.stdout.write(`  ${table.padEnd(24)} ${String(rows).padStart(10)} rows\n`),
      });
      if (!result.ok) {
        process.stdout.write(`REFUSED: ${result.reason}\n`);
        return 1;
      }
      const total = result.tables.reduce((n, t) => n + t.rows, 0);
      process.stdout.write(`OK: ${total} rows in ${result.tables.length} tables; the audit log's ${result.treeSize} leaves match all ${result.checkpoints} checkpoints\n`);
      return 0;
    } finally {
      await Promise.allSettled([source.close(), target.close()]);
    }
  } catch (error) {
    const message = (error as Error).message.replace(/\s+/g, ' ').trim();
    process.stderr.write(error instanceof InputError ? `lgsp-migrate-store: ${message}\n\n${USAGE}` : `lgsp-migrate-store: ${message}\n`);
    return 2;
  }
}

async function readOptions(argv: string[]): Promise<{ dataDir: string; databaseUrl: string; logKey: string; batchSize: number }> {
  let values;
  try {
    values = parseArgs({
      args: argv,
      options: { 'data-dir': { type: 'string' }, 'database-url': { type: 'string' }, 'log-key': { type: 'string' }, 'batch-size': { type: 'string' } },
      strict: true,
    }).values;
  } catch (error) {
    throw new InputError((error as Error).message);
  }
  const dataDir = values['data-dir'] ?? process.env.DATA_DIR;
  const databaseUrl = values['database-url'] ?? process.env.DATABASE_URL;
  if (!dataDir) throw new InputError('--data-dir (or DATA_DIR) is required');
  if (!databaseUrl || !/^postgres(ql)?:\/\//.test(databaseUrl)) throw new InputError('--database-url (or DATABASE_URL) must be a postgres:// URL');
  // Opening a PGlite folder that is not there would make an empty database and "migrate" nothing.
  if (!(await stat(path.join(dataDir, 'pglite')).catch(() => undefined))) throw new InputError(`${dataDir} holds no gateway database (no pglite folder)`);
  const batchSize = Number(values['batch-size'] ?? 1000);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 100_000) throw new InputError('--batch-size must be an integer from 1 to 100000');
  const keyArg = values['log-key'] ?? (process.env.AUDIT_LOG_KEY_FILE ? `${process.env.AUDIT_LOG_KEY_FILE}.pub` : path.join(dataDir, 'audit-log.key.pub'));
  const logKey = await readVerifierKey(keyArg).catch((error: Error) => {
    throw new InputError(error.message);
  });
  return { dataDir, databaseUrl, logKey, batchSize };
}

process.exitCode = await main(process.argv.slice(2));
