// `npm run bench -- --count 5000 --concurrency 32`: the gateway's first load benchmark.
//
// For each engine (PGlite in a temp folder; PostgreSQL started privately) it starts a private
// redis-server, the national portal simulator, and the gateway (roles api+worker, production mode)
// in a Node process of its own. This process is the load generator and hosts the simulator, so
// neither takes the gateway's event loop. It then
//   1. offers N unique dossiers to POST /v1/dossiers from C concurrent connections (request latency),
//   2. waits until the simulator holds all of them (delivery rate, accept→portal latency per dossier),
//   3. follows the gateway process's memory (RSS, heap) before, during and after,
// and records the figures in bench/results/<date>-<engine>.json and bench/RESULTS.md.
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, open, readFile, readdir, rm, stat, writeFile, appendFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import pg from 'pg';
import { Pool } from 'undici';
import { startNationalPortalSimulator, type PortalSimulator } from '../adapters/national-portal/index.js';
import { generateNoteKey } from '../src/audit/note.js';
import { createDevPki } from '../src/crypto/dev-pki.js';
import { createDatabase, startPostgresServer, type PostgresServer } from '../src/infra/postgres-server.js';
import { startRedisServer, type RedisServer } from '../src/infra/redis-server.js';
import { hashApiKey } from '../src/partners/registry.js';
import { BENCH_AGENCY, FILE_SERVER, benchDossier } from './dossiers.js';
import { describeMachine, type Machine } from './machine.js';
import type { ChildMessage, GatewayCounts, MemorySample, ParentMessage, PhaseFigures } from './protocol.js';
import { renderSection, RESULTS_HEADER } from './report.js';
import { mib, percentiles, round, roundAll, type Percentiles } from './stats.js';

type Engine = 'pglite' | 'postgres';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.dirname(BENCH_DIR);
const API_KEY = `bench-key-${randomBytes(16).toString('hex')}`;

export interface Options {
  count: number;
  concurrency: number;
  warmup: number;
  engines: Engine[];
  logLevel: string;
  pgFsync: boolean;
  deliveryTimeoutS: number;
  record: boolean;
  note: string | undefined;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      count: { type: 'string', default: '5000' },
      concurrency: { type: 'string', default: '32' },
      warmup: { type: 'string', default: '200' },
      engines: { type: 'string', default: 'pglite,postgres' },
      'log-level': { type: 'string', default: 'info' },
      'pg-fsync': { type: 'string', default: 'on' },
      'delivery-timeout': { type: 'string', default: '600' },
      'dry-run': { type: 'boolean', default: false },
      note: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      [
        'npm run bench -- [options]',
        '  --count N             dossiers offered per engine (default 5000)',
        '  --concurrency C       concurrent connections offering them (default 32)',
        '  --warmup W            dossiers offered and delivered first, not measured (default 200)',
        '  --engines LIST        pglite,postgres (default both)',
        '  --log-level L         the gateway LOG_LEVEL (default info, the production default)',
        '  --pg-fsync on|off     PostgreSQL fsync and synchronous_commit (default on, as in production)',
        '  --delivery-timeout S  give up waiting for delivery after S seconds (default 600)',
        '  --note TEXT           the one-line note for RESULTS.md instead of the derived one',
        '  --dry-run             print the figures, record nothing',
        'Delivery settings (DELIVERY_BATCH_SIZE, DELIVERY_CONCURRENCY, ...) pass through from the environment.',
        '',
      ].join('\n'),
    );
    process.exit(0);
  }
  const int = (name: string, raw: string, min: number) => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, got "${raw}"`);
    return n;
  };
  const engines = values.engines.split(',').map((e) => e.trim()) as Engine[];
  for (const e of engines) if (e !== 'pglite' && e !== 'postgres') throw new Error(`--engines lists pglite and/or postgres, got "${e}"`);
  if (values['pg-fsync'] !== 'on' && values['pg-fsync'] !== 'off') throw new Error('--pg-fsync is on or off');
  return {
    count: int('count', values.count, 1),
    concurrency: int('concurrency', values.concurrency, 1),
    warmup: int('warmup', values.warmup, 0),
    engines,
    logLevel: values['log-level'],
    pgFsync: values['pg-fsync'] === 'on',
    deliveryTimeoutS: int('delivery-timeout', values['delivery-timeout'], 1),
    record: !values['dry-run'],
    note: values.note,
  };
}

// --- the gateway process ---------------------------------------------------------------------------

class GatewayProcess {
  readonly samples: MemorySample[] = [];
  private readonly waiters: { match: (m: ChildMessage) => boolean; resolve: (m: ChildMessage) => void }[] = [];
  private exited = false;
  readonly exit: Promise<number | null>;
  errors: string[] = [];
  ready!: Extract<ChildMessage, { type: 'ready' }>;

  constructor(private readonly child: ChildProcess) {
    child.on('message', (raw) => {
      const m = raw as ChildMessage;
      if (m.type === 'memory') this.samples.push(m.sample);
      if (m.type === 'ready') this.samples.push(m.sample);
      if (m.type === 'error') this.errors.push(m.message);
      for (const [i, w] of this.waiters.entries()) {
        if (w.match(m)) {
          this.waiters.splice(i, 1);
          w.resolve(m);
          break;
        }
      }
    });
    this.exit = new Promise((resolve) =>
      child.once('exit', (code) => {
        this.exited = true;
        resolve(code);
      }),
    );
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  async waitFor<T extends ChildMessage['type']>(type: T, timeoutMs = 60_000, name?: string): Promise<Extract<ChildMessage, { type: T }>> {
    let timer: NodeJS.Timeout | undefined;
    const message = new Promise<ChildMessage>((resolve) =>
      this.waiters.push({ match: (m) => m.type === type && (name === undefined || ('name' in m && m.name === name)), resolve }),
    );
    const failed = Promise.race([
      this.exit.then((code) => {
        throw new Error(`the gateway process exited (code ${code}) while waiting for "${type}"${this.errors.length ? `:\n${this.errors.join('\n')}` : ''}`);
      }),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no "${type}" from the gateway process within ${timeoutMs} ms`)), timeoutMs))),
    ]);
    try {
      return (await Promise.race([message, failed])) as Extract<ChildMessage, { type: T }>;
    } finally {
      clearTimeout(timer);
    }
  }

  send(message: ParentMessage): void {
    if (!this.exited) this.child.send(message);
  }

  async ask<T extends ChildMessage['type']>(message: ParentMessage, answer: T, timeoutMs?: number): Promise<Extract<ChildMessage, { type: T }>> {
    const waiting = this.waitFor(answer, timeoutMs, 'name' in message ? message.name : undefined);
    this.send(message);
    return waiting;
  }

  async phase(name: string, edge: 'start' | 'end'): Promise<PhaseFigures | undefined> {
    if (edge === 'start') {
      await this.ask({ type: 'phase-start', name }, 'phase-started');
      return undefined;
    }
    return (await this.ask({ type: 'phase-end', name }, 'phase-figures')).figures;
  }

  latest(): MemorySample {
    return this.samples[this.samples.length - 1]!;
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const kill = setTimeout(() => this.child.kill('SIGKILL'), 30_000);
    try {
      this.send({ type: 'close' });
      await this.exit;
    } finally {
      clearTimeout(kill);
    }
  }
}

// --- the simulator, watched ------------------------------------------------------------------------

/** Timestamps the moment the simulator stores each awaited dossier (performance.now() of this process). */
class DeliveryWatch {
  private readonly index = new Map<string, number>();
  private seen = 0;
  private target = Infinity;
  private onAll: (() => void) | undefined;
  readonly seenAt: Float64Array;

  constructor(sim: PortalSimulator, codes: string[]) {
    this.seenAt = new Float64Array(codes.length).fill(Number.NaN);
    codes.forEach((code, i) => this.index.set(code, i));
    const dossiers = sim.dossiers;
    const set = dossiers.set.bind(dossiers);
    dossiers.set = (code, item) => {
      const i = this.index.get(code);
      if (i !== undefined && Number.isNaN(this.seenAt[i]!)) {
        this.seenAt[i] = performance.now();
        this.seen += 1;
        if (this.seen >= this.target) this.onAll?.();
      }
      return set(code, item);
    };
  }

  get delivered(): number {
    return this.seen;
  }

  /** Resolves true when `target` awaited dossiers have arrived, false at the timeout. */
  all(target: number, timeoutMs: number): Promise<boolean> {
    this.target = target;
    if (this.seen >= target) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.onAll = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
  }
}

// --- load ------------------------------------------------------------------------------------------

interface OfferResult {
  startedAt: number;
  endedAt: number;
  latencyMs: Float64Array;
  acceptedAt: Float64Array;
  accepted: number;
  refusals: Record<string, number>;
}

async function offer(pool: Pool, codes: string[], bodies: string[], concurrency: number, progress?: (done: number) => void): Promise<OfferResult> {
  const n = codes.length;
  const latencyMs = new Float64Array(n).fill(Number.NaN);
  const acceptedAt = new Float64Array(n).fill(Number.NaN);
  const refusals: Record<string, number> = {};
  let next = 0;
  let done = 0;
  let accepted = 0;
  const startedAt = performance.now();
  const worker = async () => {
    for (let i = next++; i < n; i = next++) {
      const sent = performance.now();
      try {
        const response = await pool.request({
          path: '/v1/dossiers',
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
          body: bodies[i]!,
        });
        const text = await response.body.text();
        const now = performance.now();
        latencyMs[i] = now - sent;
        if (response.statusCode === 202) {
          acceptedAt[i] = now;
          accepted += 1;
        } else {
          let type = '';
          try {
            type = String((JSON.parse(text) as { type?: string }).type ?? '').split('/').pop() ?? '';
          } catch {
            // not a problem document
          }
          const key = `${response.statusCode}${type ? ` ${type}` : ''}`;
          refusals[key] = (refusals[key] ?? 0) + 1;
        }
      } catch (error) {
        latencyMs[i] = performance.now() - sent;
        const key = `network ${(error as { code?: string }).code ?? (error as Error).message}`;
        refusals[key] = (refusals[key] ?? 0) + 1;
      }
      done += 1;
      progress?.(done);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
  return { startedAt, endedAt: performance.now(), latencyMs, acceptedAt, accepted, refusals };
}

// --- machine-wide CPU --------------------------------------------------------------------------------

async function cpuTimes(): Promise<{ busy: number; total: number }> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!;
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  const total = fields.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

function busyShare(a: { busy: number; total: number }, b: { busy: number; total: number }): number {
  return b.total > a.total ? (b.busy - a.busy) / (b.total - a.total) : 0;
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

async function summariseLog(file: string): Promise<{ lines: number; bytes: number; byLevel: Record<string, number>; firstWarnings: string[] }> {
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

// --- one engine --------------------------------------------------------------------------------------

export interface BenchResult {
  date: string;
  machine: Machine;
  engine: Engine;
  design: string;
  parameters: Record<string, unknown>;
  accept: {
    offered: number;
    accepted: number;
    refusals: Record<string, number>;
    wallS: number;
    perSecond: number;
    latencyMs: Percentiles;
  };
  delivery: {
    complete: boolean;
    delivered: number;
    windowS: number;
    perSecond: number;
    deliveredWhileOffering: number;
    drainAfterLastAcceptS: number;
    endToEndLatencyMs: Percentiles;
    portalCalls: number;
    itemsPerCall: { mean: number; max: number };
    portalRefusals: Record<string, number>;
    logins: number;
  };
  memoryMiB: {
    idle: { rss: number; heapUsed: number };
    before: { rss: number; heapUsed: number };
    peak: { rss: number; heapUsed: number; heapTotal: number; external: number };
    after: { rss: number; heapUsed: number };
    afterGc: { rss: number; heapUsed: number };
  };
  gatewayProcess: { offering: PhaseFigures; untilDelivered: PhaseFigures };
  machineCpuBusy: { offering: number; untilDelivered: number };
  loadGeneratorCpuMs: number;
  counts: GatewayCounts;
  logs: { lines: number; bytes: number; byLevel: Record<string, number>; firstWarnings: string[] };
  storage: { databaseBytes: number; redisUsedMemoryBytes: number };
  timeline: { s: number; accepted: number; delivered: number; rssMiB: number; heapUsedMiB: number }[];
  note: string;
}

async function benchEngine(engine: Engine, o: Options, machine: Machine): Promise<BenchResult> {
  const work = await mkdtemp(path.join(os.tmpdir(), `lgsp-bench-${engine}-`));
  // PostgreSQL runs as the postgres OS user when we are root; it must be able to enter this folder.
  await chmod(work, 0o755);
  const cleanup: (() => Promise<unknown>)[] = [() => rm(work, { recursive: true, force: true })];
  const log = (message: string) => process.stderr.write(`[bench ${engine}] ${message}\n`);
  let gateway: GatewayProcess | undefined;
  try {
    const redis: RedisServer = await startRedisServer({ dir: path.join(work, 'redis') });
    cleanup.push(() => redis.stop());
    log(`redis-server ${redis.url}`);

    let databaseUrl: string | undefined;
    let postgres: PostgresServer | undefined;
    if (engine === 'postgres') {
      postgres = await startPostgresServer({ dir: path.join(work, 'pg'), fsync: o.pgFsync, maxConnections: 50 });
      cleanup.push(() => postgres!.stop());
      databaseUrl = await createDatabase(postgres.url, 'lgsp_bench');
      log(`postgres ${postgres.url} (fsync ${o.pgFsync ? 'on' : 'off'})`);
    }

    const sim = await startNationalPortalSimulator();
    cleanup.push(() => sim.close());

    const partnersFile = path.join(work, 'partners.json');
    await writeFile(
      partnersFile,
      JSON.stringify({
        partners: [
          {
            id: 'bench-one-stop',
            name: 'Bench one-stop system',
            roles: ['one-stop'],
            apiKeys: [{ id: 'k1', sha256: hashApiKey(API_KEY) }],
            agencies: [{ code: BENCH_AGENCY }],
          },
        ],
      }),
    );

    const passThrough = Object.fromEntries(
      Object.entries(process.env).filter(([k, v]) => v !== undefined && /^(DELIVERY_|BULK_CALLS|SWEEP_|NATIONAL_PORTAL_TIMEOUT)/.test(k)),
    ) as Record<string, string>;
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
      ...passThrough,
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    };

    const logFile = path.join(work, 'gateway.log');
    const logHandle = await open(logFile, 'w');
    cleanup.push(() => logHandle.close());
    const child = fork(path.join(BENCH_DIR, 'gateway-process.ts'), [], {
      cwd: REPO,
      env,
      execArgv: ['--import', 'tsx', '--expose-gc'],
      stdio: ['ignore', logHandle.fd, logHandle.fd, 'ipc'],
    });
    gateway = new GatewayProcess(child);
    const gw = gateway;
    const ready = await gw.waitFor('ready', 120_000);
    gw.ready = ready;
    log(`gateway pid ${ready.pid} at ${ready.url} (${ready.engine})`);

    const pool = new Pool(ready.url, { connections: o.concurrency, pipelining: 1, keepAliveTimeout: 60_000 });
    cleanup.push(() => pool.close());

    const tag = randomBytes(3).toString('hex').toUpperCase();
    const makeCodes = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `000.00.20.H26-${prefix}${tag}-${String(i + 1).padStart(6, '0')}`);

    // Warm-up: JIT, connection pools, prepared plans, the portal session. Delivered before we measure.
    if (o.warmup > 0) {
      const codes = makeCodes('W', o.warmup);
      const watch = new DeliveryWatch(sim, codes);
      const warm = await offer(pool, codes, codes.map((c, i) => JSON.stringify(benchDossier(c, i))), o.concurrency);
      if (warm.accepted !== o.warmup) throw new Error(`warm-up: only ${warm.accepted} of ${o.warmup} accepted: ${JSON.stringify(warm.refusals)}`);
      if (!(await watch.all(warm.accepted, o.deliveryTimeoutS * 1000))) throw new Error('warm-up dossiers were not all delivered');
      log(`warm-up: ${o.warmup} dossiers accepted and delivered`);
      await new Promise((r) => setTimeout(r, 2_000));
    }

    // The measured run.
    const codes = makeCodes('B', o.count);
    const bodies = codes.map((c, i) => JSON.stringify(benchDossier(c, i)));
    const watch = new DeliveryWatch(sim, codes);
    const callsBefore = sim.calls.length;
    const before = gw.latest();
    await gw.phase('offering', 'start');
    await gw.phase('untilDelivered', 'start');
    const cpu0 = await cpuTimes();
    const ownCpu0 = process.cpuUsage();
    const samplesFrom = gw.samples.length;
    let accepted = 0;
    const timeline: BenchResult['timeline'] = [];
    const t0 = performance.now();
    const ticker = setInterval(() => {
      const m = gw.latest();
      timeline.push({ s: round((performance.now() - t0) / 1000, 0), accepted, delivered: watch.delivered, rssMiB: mib(m.rss), heapUsedMiB: mib(m.heapUsed) });
      if (timeline.length % 5 === 0) log(`t=${timeline.length}s accepted ${accepted}/${o.count}, delivered ${watch.delivered}, gateway RSS ${mib(m.rss)} MiB`);
    }, 1_000);

    const run = await offer(pool, codes, bodies, o.concurrency, (done) => (accepted = done));
    const offeringFigures = (await gw.phase('offering', 'end'))!;
    const cpu1 = await cpuTimes();
    const deliveredWhileOffering = watch.delivered;
    log(`offered ${o.count}: ${run.accepted} accepted in ${round((run.endedAt - run.startedAt) / 1000, 2)} s; waiting for delivery`);

    const complete = await watch.all(run.accepted, o.deliveryTimeoutS * 1000);
    const deliveredAtEnd = performance.now();
    const untilDeliveredFigures = (await gw.phase('untilDelivered', 'end'))!;
    const cpu2 = await cpuTimes();
    const ownCpu = process.cpuUsage(ownCpu0);
    clearInterval(ticker);
    const duringSamples = gw.samples.slice(samplesFrom);
    if (!complete) log(`delivery timed out: ${watch.delivered} of ${run.accepted} delivered`);

    await new Promise((r) => setTimeout(r, 2_000));
    const after = gw.latest();
    const gc = await gw.ask({ type: 'gc' }, 'gc-done');
    const counts = (await gw.ask({ type: 'counts' }, 'counts')).counts;

    // Storage: what N dossiers cost the database and Redis.
    let databaseBytes = 0;
    if (postgres && databaseUrl) {
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
    const redisUsedMemoryBytes = Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? 0);

    // Figures.
    const acceptedTimes = Array.from(run.acceptedAt).filter((t) => !Number.isNaN(t));
    const firstAccept = Math.min(...acceptedTimes);
    const lastAccept = Math.max(...acceptedTimes);
    const seen = Array.from(watch.seenAt).filter((t) => !Number.isNaN(t));
    const lastSeen = seen.length ? Math.max(...seen) : deliveredAtEnd;
    const e2e: number[] = [];
    for (let i = 0; i < o.count; i++) {
      const a = run.acceptedAt[i]!;
      const s = watch.seenAt[i]!;
      if (!Number.isNaN(a) && !Number.isNaN(s)) e2e.push(s - a);
    }
    const calls = sim.calls.slice(callsBefore);
    const syncCalls = calls.filter((c) => c.service === 'DongBoHoSoMC');
    const portalRefusals: Record<string, number> = {};
    for (const c of calls) if (c.answer !== '0' && c.service !== 'login') portalRefusals[c.answer] = (portalRefusals[c.answer] ?? 0) + 1;
    const peakOf = (key: keyof MemorySample) => Math.max(...duringSamples.map((s) => s[key]), before[key]);
    const windowMs = lastSeen - firstAccept;

    const result: BenchResult = {
      date: new Date().toISOString(),
      machine,
      engine,
      design:
        'gateway (roles api+worker, LGSP_MODE=production) in its own Node process; load generator (undici Pool) and national portal simulator in the bench process; private redis-server (AOF on)' +
        (engine === 'postgres' ? `; private PostgreSQL 15 (fsync ${o.pgFsync ? 'on' : 'off'})` : '; PGlite in a temp folder'),
      parameters: {
        count: o.count,
        concurrency: o.concurrency,
        warmup: o.warmup,
        logLevel: o.logLevel,
        ...(engine === 'postgres' ? { pgFsync: o.pgFsync } : {}),
        bodyBytesMean: Math.round(bodies.reduce((n, b) => n + Buffer.byteLength(b), 0) / bodies.length),
        lane: 'live',
        deliveryEnv: passThrough,
      },
      accept: {
        offered: o.count,
        accepted: run.accepted,
        refusals: run.refusals,
        wallS: round((run.endedAt - run.startedAt) / 1000, 3),
        perSecond: round((run.accepted * 1000) / (run.endedAt - run.startedAt), 1),
        latencyMs: roundAll(percentiles(run.latencyMs.filter((x) => !Number.isNaN(x))), 2),
      },
      delivery: {
        complete,
        delivered: watch.delivered,
        windowS: round(windowMs / 1000, 3),
        perSecond: round((watch.delivered * 1000) / windowMs, 1),
        deliveredWhileOffering,
        drainAfterLastAcceptS: round((lastSeen - lastAccept) / 1000, 3),
        endToEndLatencyMs: roundAll(percentiles(e2e), 1),
        portalCalls: syncCalls.length,
        itemsPerCall: {
          mean: round(syncCalls.reduce((n, c) => n + c.codes.length, 0) / Math.max(1, syncCalls.length), 1),
          max: Math.max(0, ...syncCalls.map((c) => c.codes.length)),
        },
        portalRefusals,
        logins: calls.filter((c) => c.service === 'login').length,
      },
      memoryMiB: {
        idle: { rss: mib(ready.sample.rss), heapUsed: mib(ready.sample.heapUsed) },
        before: { rss: mib(before.rss), heapUsed: mib(before.heapUsed) },
        peak: { rss: mib(peakOf('rss')), heapUsed: mib(peakOf('heapUsed')), heapTotal: mib(peakOf('heapTotal')), external: mib(peakOf('external')) },
        after: { rss: mib(after.rss), heapUsed: mib(after.heapUsed) },
        afterGc: { rss: mib(gc.sample.rss), heapUsed: mib(gc.sample.heapUsed) },
      },
      gatewayProcess: { offering: roundPhase(offeringFigures), untilDelivered: roundPhase(untilDeliveredFigures) },
      machineCpuBusy: { offering: round(busyShare(cpu0, cpu1), 3), untilDelivered: round(busyShare(cpu0, cpu2), 3) },
      loadGeneratorCpuMs: Math.round((ownCpu.user + ownCpu.system) / 1000),
      counts,
      logs: { lines: 0, bytes: 0, byLevel: {}, firstWarnings: [] },
      storage: { databaseBytes, redisUsedMemoryBytes },
      timeline,
      note: '',
    };

    await gw.stop();
    gateway = undefined;
    result.logs = await summariseLog(logFile);
    result.note = o.note ?? deriveNote(result);
    return result;
  } finally {
    if (gateway) await gateway.stop().catch(() => {});
    for (const fn of cleanup.reverse()) await fn().catch((error: Error) => log(`cleanup: ${error.message}`));
  }
}

function roundPhase(f: PhaseFigures): PhaseFigures {
  return {
    wallMs: Math.round(f.wallMs),
    cpuUserMs: Math.round(f.cpuUserMs),
    cpuSystemMs: Math.round(f.cpuSystemMs),
    eventLoopUtilization: round(f.eventLoopUtilization, 3),
    eventLoopDelayMs: roundAll(f.eventLoopDelayMs, 1),
  };
}

/** A first guess at what limits the run, from the figures; --note replaces it. */
function deriveNote(r: BenchResult): string {
  const parts: string[] = [];
  const elu = r.gatewayProcess.offering.eventLoopUtilization;
  const busy = r.machineCpuBusy.offering;
  const gatewayCores = (r.gatewayProcess.offering.cpuUserMs + r.gatewayProcess.offering.cpuSystemMs) / Math.max(1, r.gatewayProcess.offering.wallMs);
  if (elu > 0.85) parts.push(`while offering, the gateway's event loop was busy ${Math.round(elu * 100)}% of the time (${round(gatewayCores, 2)} cores of CPU): one Node process is the ceiling`);
  else parts.push(`while offering, the gateway's event loop was busy ${Math.round(elu * 100)}% (${round(gatewayCores, 2)} cores of CPU)`);
  if (busy > 0.9) parts.push(`the machine's ${r.machine.cores} cores were ${Math.round(busy * 100)}% busy, shared by gateway, database, Redis, simulator and load generator`);
  if (r.delivery.deliveredWhileOffering < r.accept.accepted * 0.5) {
    parts.push(`delivery lagged accepting (${r.delivery.deliveredWhileOffering} of ${r.accept.accepted} delivered by the last 202)`);
  }
  if (Object.keys(r.accept.refusals).length > 0) parts.push(`refusals: ${JSON.stringify(r.accept.refusals)}`);
  if (!r.delivery.complete) parts.push('DELIVERY DID NOT COMPLETE within the timeout');
  return parts.join('; ') + '.';
}

// --- main --------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const machine = await describeMachine();
  const resultsDir = path.join(BENCH_DIR, 'results');
  for (const engine of o.engines) {
    const result = await benchEngine(engine, o, machine);
    process.stdout.write(`${JSON.stringify({ engine, accept: result.accept, delivery: result.delivery, memoryMiB: result.memoryMiB, note: result.note }, null, 2)}\n`);
    if (!o.record) continue;
    await mkdir(resultsDir, { recursive: true });
    const day = result.date.slice(0, 10);
    let file = path.join(resultsDir, `${day}-${engine}.json`);
    for (let n = 2; await stat(file).then(() => true, () => false); n++) file = path.join(resultsDir, `${day}-${engine}-${n}.json`);
    await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
    const resultsMd = path.join(BENCH_DIR, 'RESULTS.md');
    if (!(await stat(resultsMd).then(() => true, () => false))) await writeFile(resultsMd, RESULTS_HEADER);
    await appendFile(resultsMd, renderSection(result, path.relative(BENCH_DIR, file)));
    process.stderr.write(`[bench ${engine}] recorded ${path.relative(REPO, file)} and bench/RESULTS.md\n`);
  }
}

main().catch((error: Error) => {
  process.stderr.write(`bench failed: ${error.stack ?? error.message}\n`);
  process.exitCode = 1;
});
