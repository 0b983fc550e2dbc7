// What the fault tests (test/e2e/faults/) and bench/faults.ts share: a gateway in a process of its
// own (`src/server.ts`, roles api+worker, as in production) with a private redis-server and database
// that a scenario may stop and restart, the national portal simulator in this process, a client that
// keeps offering dossiers and their events through the fault (retrying 503s and refused connections,
// as a partner would), and the counts at the portal: accepted, delivered, duplicates, lost.
// It uses no vitest API, so the benchmark runs it as it is.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Agent, request } from 'undici';
import { startNationalPortalSimulator, type PortalSimulator } from '../../adapters/national-portal/index.js';
import { freePort } from '../../src/infra/free-port.js';
import { createDatabase, startPostgresServer, type PostgresServer } from './postgres-server.js';
import { startRedisServer, type RedisServer } from '../../src/infra/redis-server.js';
import { sampleDossier, sampleEvent } from './dossiers.js';
import { KEYS, gatewayEnvironment } from './gateway.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface FaultStackOptions {
  /** A PostgreSQL cluster to make the database in; omitted, a private cluster is started (and may be restarted). */
  postgresAdminUrl?: string | undefined;
  /** The private redis-server's `appendonly` (default true). */
  redisAppendOnly?: boolean;
  /** Gateway settings on top of the test defaults (test/support/gateway.ts). */
  env?: Record<string, string>;
  /** Called with progress lines (the benchmark prints them). */
  log?: (line: string) => void;
}

/** One gateway process: `node --import tsx src/server.ts`, its output in the stack's folder. */
export interface GatewayProcess {
  readonly pid: number;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves when the process has exited (SIGKILL after timeoutMs). */
  signal(signal: NodeJS.Signals, timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface FaultStack {
  sim: PortalSimulator;
  redis: RedisServer;
  /** The private cluster, when no postgresAdminUrl was given. */
  postgres: PostgresServer | undefined;
  databaseUrl: string;
  /** The API's address; every gateway process of the stack listens on the same port. */
  url: string;
  env: Record<string, string>;
  startGateway(): Promise<GatewayProcess>;
  /** Stops the private PostgreSQL (fast shutdown) and starts it again on the same port and data. */
  stopPostgres(): Promise<void>;
  startPostgres(): Promise<void>;
  query<T>(sql: string): Promise<T[]>;
  /** The last lines the gateway processes wrote (warnings and errors), for a failing test's message. */
  gatewayOutput(): Promise<string>;
  dispose(): Promise<void>;
}

export async function startFaultStack(options: FaultStackOptions = {}): Promise<FaultStack> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'lgsp-faults-'));
  // When we run as root PostgreSQL runs as the postgres user, which must be able to enter the folder.
  await chmod(work, 0o755);
  const cleanup: (() => Promise<unknown>)[] = [() => rm(work, { recursive: true, force: true })];
  const children = new Set<ChildProcess>();
  const dispose = async () => {
    for (const child of children) child.kill('SIGKILL');
    for (const fn of cleanup.reverse()) await fn().catch(() => undefined);
  };
  try {
    const redis = await startRedisServer({ dir: path.join(work, 'redis'), appendOnly: options.redisAppendOnly ?? true });
    cleanup.push(() => redis.stop());
    let postgres: PostgresServer | undefined;
    let adminUrl = options.postgresAdminUrl;
    const pgDir = path.join(work, 'pg');
    if (!adminUrl) {
      postgres = await startPostgresServer({ dir: pgDir });
      cleanup.push(() => postgres!.stop());
      adminUrl = postgres.url;
    }
    const databaseUrl = await createDatabase(adminUrl, `lgsp_faults_${randomBytes(6).toString('hex')}`);
    const sim = await startNationalPortalSimulator();
    cleanup.push(() => sim.close());
    const port = await freePort();
    const dataDir = path.join(work, 'data');
    await mkdir(dataDir);
    const { env } = await gatewayEnvironment({
      dataDir,
      portalUrl: sim.url,
      redisUrl: redis.url,
      redisPrefix: 'lgsp-faults',
      databaseUrl,
      env: { PORT: String(port), PROCESS_ROLES: 'api,worker', RATE_LIMIT_PARTNER_PER_MINUTE: '100000000', ...options.env },
    });
    const output = path.join(work, 'gateway.log');
    const outputStream = createWriteStream(output, { flags: 'a' });
    cleanup.push(() => new Promise((resolve) => outputStream.end(resolve)));
    const url = `http://127.0.0.1:${port}`;
    const client = new pg.Pool({ connectionString: databaseUrl, max: 2 });
    client.on('error', () => undefined);
    cleanup.splice(1, 0, () => client.end());

    return {
      sim,
      redis,
      postgres,
      databaseUrl,
      url,
      env,
      async startGateway() {
        const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
        children.add(child);
        child.stdout!.pipe(outputStream, { end: false });
        child.stderr!.pipe(outputStream, { end: false });
        const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
          child.once('exit', (code, signal) => {
            children.delete(child);
            resolve({ code, signal });
          }),
        );
        const gateway: GatewayProcess = {
          pid: child.pid!,
          exited,
          async signal(signal, timeoutMs = 60_000) {
            if (children.has(child)) child.kill(signal);
            const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
            try {
              return await exited;
            } finally {
              clearTimeout(timer);
            }
          },
        };
        await untilReady(url, exited);
        options.log?.(`gateway ${child.pid} ready on ${url}`);
        return gateway;
      },
      async stopPostgres() {
        if (!postgres) throw new Error('stopPostgres needs the private cluster (no postgresAdminUrl)');
        await postgres.stop();
      },
      async startPostgres() {
        if (!postgres) throw new Error('startPostgres needs the private cluster (no postgresAdminUrl)');
        const again = await startPostgresServer({ dir: pgDir, port: postgres.port });
        postgres.stop = again.stop;
      },
      async query<T>(sql: string) {
        return (await client.query(sql)).rows as T[];
      },
      async gatewayOutput() {
        const text = await readFile(output, 'utf8').catch(() => '');
        return text.split('\n').slice(-30).join('\n');
      },
      dispose,
    };
  } catch (error) {
    await dispose();
    throw error;
  }
}

async function untilReady(url: string, exited: Promise<unknown>): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline && !gone) {
    const ok = await request(`${url}/readyz`)
      .then(async (r) => {
        await r.body.dump();
        return r.statusCode === 200;
      })
      .catch(() => false);
    if (ok) return;
    await sleep(200);
  }
  throw new Error(gone ? 'the gateway process exited before it was ready' : `the gateway at ${url} was not ready within 120 s`);
}

// --- the partner's traffic ---------------------------------------------------------------------------

/** The key the simulator records for an effect (its receivedOrder), and ours for an accepted message. */
const createKey = (code: string) => `create:${code}`;
// The event every dossier gets is PROCESSING, which the portal knows as TrangThai 4.
const progressKey = (code: string) => `progress:${code}:4`;

export interface TrafficOptions {
  url: string;
  dossiers: number;
  concurrency: number;
  /** Prefix of the dossier codes, unique per run. */
  prefix: string;
  /** Give up on a message after this long of 503s and refused connections (default 5 minutes). */
  retryForMs?: number;
}

/**
 * Offers `dossiers` dossiers, each followed by one event once the dossier is accepted, from
 * `concurrency` senders. A 503 or a connection that fails is retried after a pause, with the same
 * body: the gateway answers a retry of something it already committed as the first time. Any other
 * answer is counted and not retried.
 */
export class Traffic {
  /** Messages answered 202, by the key the portal records their effect under. */
  readonly accepted = new Set<string>();
  /** Every answer, by status or network error code. */
  readonly answers: Record<string, number> = {};
  readonly done: Promise<void>;
  private readonly agent = new Agent({ connections: 64 });

  constructor(private readonly o: TrafficOptions) {
    let next = 0;
    const sender = async () => {
      for (let i = next++; i < o.dossiers; i = next++) {
        const code = `${o.prefix}-${i}`;
        if (await this.offer('/v1/dossiers', sampleDossier(code), createKey(code))) {
          await this.offer(`/v1/dossiers/${code}/events`, sampleEvent(1, 'PROCESSING'), progressKey(code));
        }
      }
    };
    this.done = Promise.all(Array.from({ length: Math.min(o.concurrency, o.dossiers) }, sender)).then(() => this.agent.close());
  }

  /** Resolves once at least n messages were accepted (or the traffic is over). */
  async acceptedAtLeast(n: number): Promise<void> {
    let over = false;
    void this.done.then(() => (over = true));
    while (this.accepted.size < n && !over) await sleep(20);
  }

  private async offer(pathname: string, body: unknown, key: string): Promise<boolean> {
    const deadline = Date.now() + (this.o.retryForMs ?? 300_000);
    const payload = JSON.stringify(body);
    for (;;) {
      let answer: string;
      try {
        const response = await request(this.o.url + pathname, {
          method: 'POST',
          dispatcher: this.agent,
          headers: { 'content-type': 'application/json', 'x-api-key': KEYS.oneStop },
          body: payload,
        });
        await response.body.dump();
        answer = String(response.statusCode);
      } catch (error) {
        answer = (error as { code?: string }).code ?? 'network-error';
      }
      this.answers[answer] = (this.answers[answer] ?? 0) + 1;
      if (answer === '202') {
        this.accepted.add(key);
        return true;
      }
      const unavailable = answer === '503' || !/^\d+$/.test(answer);
      if (!unavailable || Date.now() > deadline) return false;
      await sleep(100);
    }
  }
}

// --- the counts ---------------------------------------------------------------------------------------

export interface FaultCounts {
  /** Messages (dossier syncs and events) answered 202. */
  accepted: number;
  /** Accepted messages whose effect the portal holds. */
  delivered: number;
  /** Effects the portal recorded more than once (a create or a progress item twice). */
  duplicates: number;
  /** Accepted messages the portal never received. */
  lost: number;
  /** Creates sent again after a lost answer, which the portal called "already exists" and the gateway resent as an identical update. */
  resentAsUpdate: number;
  /** Every answer the partner got, by HTTP status or network error code. */
  answers: Record<string, number>;
}

export function countAtPortal(sim: PortalSimulator, traffic: Traffic): FaultCounts {
  const seen = new Map<string, number>();
  let resentAsUpdate = 0;
  for (const entry of sim.receivedOrder) {
    if (entry.startsWith('update:')) resentAsUpdate += 1;
    else seen.set(entry, (seen.get(entry) ?? 0) + 1);
  }
  let delivered = 0;
  let duplicates = 0;
  for (const key of traffic.accepted) {
    const n = seen.get(key) ?? 0;
    if (n > 0) delivered += 1;
    duplicates += Math.max(0, n - 1);
  }
  return { accepted: traffic.accepted.size, delivered, duplicates, lost: traffic.accepted.size - delivered, resentAsUpdate, answers: { ...traffic.answers } };
}

/** Waits until the portal holds every accepted message, or the timeout; returns whether it does. */
export async function allDelivered(sim: PortalSimulator, traffic: Traffic, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const held = new Set(sim.receivedOrder);
    if ([...traffic.accepted].every((key) => held.has(key))) return true;
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
