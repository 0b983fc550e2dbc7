#!/usr/bin/env node
// lgsp-audit: the auditors' command (docs/audit-log.md). It trusts only the log's verifier key (and a
// trust store, when given), never the gateway: `verify` checks an evidence bundle offline, `check-log`
// re-reads a log store, `watch` proves the log only grew since the checkpoint it last accepted.
// Exit codes: 0 verified, 1 verification failed (one line why), 2 usage or input error. Nothing it
// prints comes from message bodies or records, so its output holds no personal data.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { checkLog, type CheckLogResult } from '../audit/check-log.js';
import { readVerifierKey } from '../audit/log-key.js';
import { verifyBundle } from '../audit/verify-bundle.js';
import { watchOnce } from '../audit/watch.js';
import { TrustStore } from '../crypto/trust-store.js';
import { openDatabase } from '../store/db.js';

const USAGE = `Usage:
  lgsp-audit verify BUNDLE.json --log-key VKEY_OR_FILE [--trust-store DIR]
      Checks an evidence bundle (GET /v1/audit/bundles/{index}) offline.
  lgsp-audit check-log --log-key VKEY_OR_FILE [--database-url URL | --data-dir DIR]
      Re-reads the whole log store (defaults: DATABASE_URL, DATA_DIR) and checks every leaf and checkpoint.
  lgsp-audit watch --url GATEWAY_URL --api-key KEY --state FILE --log-key VKEY_OR_FILE
      Fetches the latest checkpoint and proves it consistent with the one saved in FILE, then saves it.

VKEY_OR_FILE is the log's verifier key (<name>+<hex key id>+<base64>) or a file holding it.
Exit codes: 0 verified, 1 verification failed, 2 usage or input error.
`;

const COMMANDS = {
  verify: { 'log-key': { type: 'string' }, 'trust-store': { type: 'string' } },
  'check-log': { 'log-key': { type: 'string' }, 'database-url': { type: 'string' }, 'data-dir': { type: 'string' } },
  watch: { 'log-key': { type: 'string' }, url: { type: 'string' }, 'api-key': { type: 'string' }, state: { type: 'string' } },
} as const;

type Command = keyof typeof COMMANDS;
type Outcome = { ok: true; message: string } | { ok: false; reason: string };

/** Bad arguments or input that cannot be read: exit 2, with the usage. */
class InputError extends Error {}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined) {
    process.stderr.write(USAGE);
    return 2;
  }
  if (command === '--help' || command === '-h' || rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  try {
    if (!Object.hasOwn(COMMANDS, command)) throw new InputError(`unknown command "${command}"`);
    const outcome = await run(command as Command, rest);
    process.stdout.write(outcome.ok ? `OK: ${outcome.message}\n` : `FAILED: ${oneLine(outcome.reason)}\n`);
    return outcome.ok ? 0 : 1;
  } catch (error) {
    const message = oneLine((error as Error).message);
    process.stderr.write(error instanceof InputError ? `lgsp-audit: ${message}\n\n${USAGE}` : `lgsp-audit: ${message}\n`);
    return 2;
  }
}

async function run(command: Command, args: string[]): Promise<Outcome> {
  let parsed;
  try {
    parsed = parseArgs({ args, options: COMMANDS[command], allowPositionals: command === 'verify', strict: true });
  } catch (error) {
    throw new InputError((error as Error).message);
  }
  const values = parsed.values as Record<string, string | undefined>;
  // The bundle first: "verify" alone is a newcomer asking how, not one missing its --log-key.
  if (command === 'verify' && parsed.positionals.length !== 1) throw new InputError('verify takes exactly one bundle file');
  const logKey = await readVerifierKey(required(values, 'log-key')).catch((error: Error) => {
    throw new InputError(error.message);
  });
  switch (command) {
    case 'verify':
      return verify(parsed.positionals[0]!, logKey, values['trust-store']);
    case 'check-log':
      return checkStore(logKey, values['database-url'] ?? process.env.DATABASE_URL, values['data-dir'] ?? process.env.DATA_DIR);
    case 'watch':
      return watch(logKey, required(values, 'url'), required(values, 'api-key'), required(values, 'state'));
  }
}

async function verify(file: string, logKey: string, trustDir: string | undefined): Promise<Outcome> {
  const text = await readFile(file, 'utf8').catch((error: Error) => {
    throw new InputError(`cannot read ${file}: ${error.message}`);
  });
  let bundle: unknown;
  try {
    bundle = JSON.parse(text);
  } catch {
    throw new InputError(`${file} is not JSON`);
  }
  const trust = trustDir
    ? await TrustStore.load(trustDir).catch((error: Error) => {
        throw new InputError(`cannot load the trust store: ${error.message}`);
      })
    : undefined;
  const verdict = verifyBundle(bundle, { logKey, ...(trust ? { trust } : {}) });
  if (!verdict.ok) return verdict;
  // Verified, so these are the bundle's proven index and tree size.
  const { index, inclusionProof } = bundle as { index: number; inclusionProof: { treeSize: number } };
  return { ok: true, message: [`leaf ${index} is in the log at tree size ${inclusionProof.treeSize}`, ...verdict.notes].join('; ') };
}

async function checkStore(logKey: string, databaseUrl: string | undefined, dataDir: string | undefined): Promise<Outcome> {
  if (!databaseUrl && !dataDir) throw new InputError('check-log needs --database-url or --data-dir (or DATABASE_URL / DATA_DIR)');
  // Opening a PGlite folder that is not there would create an empty database; this only reads.
  if (!databaseUrl && !(await stat(path.join(dataDir!, 'pglite')).catch(() => undefined))) {
    throw new InputError(`${dataDir} holds no gateway database`);
  }
  const db = await openDatabase({ databaseUrl, dataDir: dataDir ?? '' });
  let result: CheckLogResult;
  try {
    // One snapshot, so that a gateway writing meanwhile cannot make the store look inconsistent.
    result = await db.transaction(async (tx) => {
      await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      return checkLog(tx, logKey);
    });
  } catch (error) {
    throw new Error(`cannot read the log store: ${(error as Error).message}`);
  } finally {
    await db.close();
  }
  return result.ok ? { ok: true, message: `${result.treeSize} leaves and ${result.checkpoints} checkpoints match the log key and each other` } : result;
}

async function watch(logKey: string, url: string, apiKey: string, stateFile: string): Promise<Outcome> {
  if (!/^https?:\/\/[^/]/.test(url)) throw new InputError(`--url ${url} is not an http(s) URL`);
  const base = url.replace(/\/+$/, '');
  const agent = new Agent();
  const get = async (pathname: string): Promise<string> => {
    const response = await request(base + pathname, { headers: { 'x-api-key': apiKey }, dispatcher: agent }).catch((error: Error) => {
      throw new Error(`cannot reach ${base}: ${error.message}`);
    });
    const text = await response.body.text();
    if (response.statusCode !== 200) throw new Error(`GET ${pathname.split('?')[0]} answered ${response.statusCode}`);
    return text;
  };
  try {
    const result = await watchOnce({
      logKey,
      stateFile,
      fetchCheckpoint: () => get('/v1/audit/checkpoint'),
      async fetchConsistency(from, to) {
        const hashes = (JSON.parse(await get(`/v1/audit/proofs/consistency?from=${from}&to=${to}`)) as { hashes?: unknown }).hashes;
        // A malformed answer proves nothing; the empty proof then fails like a wrong one.
        return Array.isArray(hashes) && hashes.every((h) => typeof h === 'string') ? hashes : [];
      },
    });
    if (!result.ok) return result;
    return {
      ok: true,
      message:
        result.previousSize === undefined
          ? `checkpoint ${result.treeSize} saved in ${stateFile}; later runs prove the log only grew from it`
          : `checkpoint ${result.treeSize} is consistent with the saved checkpoint ${result.previousSize}, and now saved`,
    };
  } finally {
    await agent.close();
  }
}

function required(values: Record<string, string | undefined>, name: string): string {
  const value = values[name];
  if (!value) throw new InputError(`--${name} is required`);
  return value;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

process.exitCode = await main(process.argv.slice(2));
