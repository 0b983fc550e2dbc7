// What one engine's run stands on: a temp folder, a private redis-server (AOF on), PostgreSQL when
// asked for, the national portal simulator (in this process), and the gateway (roles api+worker,
// production mode) forked into a process of its own. `close()` removes all of it.
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, open, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { startNationalPortalSimulator, type PortalSimulator } from '../adapters/national-portal/index.js';
import { generateNoteKey } from '../src/audit/note.js';
import { createDevPki } from '../src/crypto/dev-pki.js';
import { createDatabase, startPostgresServer } from '../test/support/postgres-server.js';
import { startRedisServer, type RedisServer } from '../src/infra/redis-server.js';
import { hashApiKey } from '../src/partners/registry.js';
import { BENCH_AGENCY, FILE_SERVER } from './dossiers.js';
import { forkChild, type ForkedProcess } from './forked.js';

export type Engine = 'pglite' | 'postgres';

export const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.dirname(BENCH_DIR);

export interface StackOptions {
  engine: Engine;
  logLevel: string;
  pgFsync: boolean;
  /** Extra node flags for the gateway process, e.g. --cpu-prof. */
  gatewayExecArgv?: string[];
}

export interface Stack {
  engine: Engine;
  work: string;
  apiKey: string;
  redis: RedisServer;
  databaseUrl: string | undefined;
  sim: PortalSimulator;
  gateway: ForkedProcess;
  logFile: string;
  /** The redis-server's pid, and PostgreSQL's postmaster (undefined with PGlite): their CPU is read per phase. */
  servicePids: { redis: number; postgres: number | undefined };
  /**
   * Forks one more gateway process with these PROCESS_ROLES (e.g. `api`, `worker`) against the same
   * Redis, database and simulator, logging to `gateway-<label>.log`; closed with the stack.
   */
  forkGateway(roles: string, label: string): Promise<ForkedProcess>;
  /** The delivery settings passed through from the environment. */
  deliveryEnv: Record<string, string>;
  log(message: string): void;
  /** Bytes the database takes, and Redis's used memory. */
  storage(): Promise<{ databaseBytes: number; redisUsedMemoryBytes: number }>;
  /** Stops the gateway (if still running) and removes everything else. */
  close(): Promise<void>;
}

/** Settings a run may change from the environment: delivery, the bulk lane's rate, sweeping, timeouts, load shedding. */
export const PASS_THROUGH = /^(DELIVERY_|BULK_CALLS|SWEEP_|NATIONAL_PORTAL_TIMEOUT|LOAD_SHED_)/;

export async function startStack(o: StackOptions): Promise<Stack> {
  const { engine } = o;
  const work = await mkdtemp(path.join(os.tmpdir(), `lgsp-bench-${engine}-`));
  // PostgreSQL runs as the postgres OS user when we are root; it must be able to enter this folder.
  await chmod(work, 0o755);
  const cleanup: (() => Promise<unknown>)[] = [() => rm(work, { recursive: true, force: true })];
  const log = (message: string) => process.stderr.write(`[bench ${engine}] ${message}\n`);
  const close = async () => {
    for (const fn of cleanup.reverse()) await fn().catch((error: Error) => log(`cleanup: ${error.message}`));
  };
  try {
    const redis = await startRedisServer({ dir: path.join(work, 'redis') });
    cleanup.push(() => redis.stop());
    log(`redis-server ${redis.url}`);

    let databaseUrl: string | undefined;
    if (engine === 'postgres') {
      const postgres = await startPostgresServer({ dir: path.join(work, 'pg'), fsync: o.pgFsync, maxConnections: 50 });
      cleanup.push(() => postgres.stop());
      databaseUrl = await createDatabase(postgres.url, 'lgsp_bench');
      log(`postgres ${postgres.url} (fsync ${o.pgFsync ? 'on' : 'off'})`);
    }

    const sim = await startNationalPortalSimulator();
    cleanup.push(() => sim.close());

    const apiKey = `bench-key-${randomBytes(16).toString('hex')}`;
    const partnersFile = path.join(work, 'partners.json');
    await writeFile(
      partnersFile,
      JSON.stringify({
        partners: [
          {
            id: 'bench-one-stop',
            name: 'Bench one-stop system',
            roles: ['one-stop'],
            apiKeys: [{ id: 'k1', sha256: hashApiKey(apiKey) }],
            agencies: [{ code: BENCH_AGENCY }],
          },
        ],
      }),
    );

    const deliveryEnv = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => v !== undefined && PASS_THROUGH.test(k))) as Record<string, string>;
    // The gateway signs every call it makes, with a key from a PKI made for this run.
    const pki = await createDevPki(path.join(work, 'pki'), { partners: [{ id: 'bench-one-stop', name: 'Bench one-stop system' }] });
    const logKey = generateNoteKey('lgsp.bench/audit-log');
    await writeFile(path.join(work, 'audit-log.key'), logKey.signerKey + '\n');
    await writeFile(path.join(work, 'audit-log.key.pub'), logKey.verifierKey + '\n');
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? os.tmpdir(),
      NODE_ENV: 'production',
      LGSP_MODE: 'production',
      PROCESS_ROLES: 'api,worker',
      HOST: '127.0.0.1',
      PORT: '0',
      DATA_DIR: path.join(work, 'data'),
      REDIS_URL: redis.url,
      REDIS_PREFIX: 'lgsp-bench',
      PARTNERS_FILE: partnersFile,
      NATIONAL_PORTAL_URL: sim.url,
      NATIONAL_PORTAL_USERNAME: 'lgsp',
      NATIONAL_PORTAL_PASSWORD: 'lgsp-dev',
      NATIONAL_PORTAL_AGENCY_CODE: '000.00.00.H26',
      FILE_URL_SECRET: randomBytes(32).toString('base64url'),
      PUBLIC_BASE_URL: 'http://127.0.0.1:1',
      ATTACHMENT_URL_ALLOWLIST: FILE_SERVER,
      LOG_LEVEL: o.logLevel,
      SIGNING_CERT_FILE: pki.gateway.signingCertificateFile,
      SIGNING_KEY_FILE: pki.gateway.signingKeyFile,
      TRUST_STORE_DIR: pki.trustDir,
      AUDIT_LOG_ORIGIN: 'lgsp.bench/audit-log',
      // The benchmark is one partner at full speed: measure the pipeline, not the rate limit.
      RATE_LIMIT_PARTNER_PER_MINUTE: '100000000',
      AUDIT_LOG_KEY_FILE: path.join(work, 'audit-log.key'),
      ...deliveryEnv,
      // The PGlite runs measure the embedded store on purpose.
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : { ALLOW_EMBEDDED_IN_PRODUCTION: 'true' }),
    };

    const forkGateway = async (roles: string, label: string, logFile = path.join(work, `gateway-${label}.log`)) => {
      const logHandle = await open(logFile, 'w');
      cleanup.push(() => logHandle.close());
      const child = forkChild(path.join(BENCH_DIR, 'gateway-process.ts'), { cwd: REPO, env: { ...env, PROCESS_ROLES: roles }, logFd: logHandle.fd, execArgv: o.gatewayExecArgv ?? [] });
      cleanup.push(() => child.stop());
      child.ready = await child.waitFor('ready', 120_000);
      log(`${label} pid ${child.ready.pid}${child.ready.url ? ` at ${child.ready.url}` : ''} (roles ${roles}, ${child.ready.engine})`);
      return child;
    };
    const logFile = path.join(work, 'gateway.log');
    const gateway = await forkGateway(env.PROCESS_ROLES!, 'gateway', logFile);
    const servicePids = { redis: await redisPid(redis.url), postgres: databaseUrl ? await postmasterPid(databaseUrl) : undefined };

    const storage = async () => {
      let databaseBytes = 0;
      if (databaseUrl) {
        const client = new pg.Client({ connectionString: databaseUrl });
        await client.connect();
        databaseBytes = Number((await client.query<{ n: string }>('SELECT pg_database_size(current_database()) AS n')).rows[0]?.n ?? 0);
        await client.end();
      } else {
        databaseBytes = await dirBytes(path.join(work, 'data', 'pglite'));
      }
      const redisClient = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
      await redisClient.connect();
      const info = await redisClient.info('memory');
      await redisClient.quit();
      return { databaseBytes, redisUsedMemoryBytes: Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? 0) };
    };

    return { engine, work, apiKey, redis, databaseUrl, sim, gateway, logFile, servicePids, forkGateway, deliveryEnv, log, storage, close };
  } catch (error) {
    await close();
    throw error;
  }
}

async function redisPid(url: string): Promise<number> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await client.connect();
  const info = await client.info('server');
  await client.quit();
  return Number(/^process_id:(\d+)/m.exec(info)?.[1] ?? 0);
}

/** The postmaster is the parent of every backend: ask for ours and read its parent from /proc. */
async function postmasterPid(databaseUrl: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const backend = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  const stat = await readFile(`/proc/${backend}/stat`, 'utf8');
  await client.end();
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) total += await dirBytes(full);
    else if (entry.isFile()) total += (await stat(full).catch(() => ({ size: 0 }))).size;
  }
  return total;
}

export async function summariseLog(file: string): Promise<{ lines: number; bytes: number; byLevel: Record<string, number>; firstWarnings: string[] }> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const byLevel: Record<string, number> = {};
  const firstWarnings: string[] = [];
  let lines = 0;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    lines += 1;
    let level = 'text';
    let msg = line;
    try {
      const parsed = JSON.parse(line) as { level?: string; msg?: string; err?: { message?: string } };
      level = parsed.level ?? 'unknown';
      msg = `${parsed.msg ?? ''}${parsed.err?.message ? `: ${parsed.err.message}` : ''}`;
    } catch {
      // a line that is not JSON (e.g. a stack trace)
    }
    byLevel[level] = (byLevel[level] ?? 0) + 1;
    if (level !== 'info' && level !== 'debug' && level !== 'trace' && firstWarnings.length < 8 && !firstWarnings.includes(`${level}: ${msg}`)) {
      firstWarnings.push(`${level}: ${msg.slice(0, 300)}`);
    }
  }
  return { lines, bytes: Buffer.byteLength(text), byLevel, firstWarnings };
}
