// `npm run bench`: the gateway's load benchmark, one command (bench/README.md).
//
// First a bare Fastify route (parse only; parse and validate) takes the same bodies, so the
// gateway's figures are ratios. Then, for each engine (PGlite in a temp folder; PostgreSQL started
// privately), a private redis-server, the national portal simulator and the gateway (roles
// api+worker, production mode) in a Node process of its own. This process is the load generator
// (autocannon) and hosts the simulator, so neither takes the gateway's event loop. Per engine:
//   1. saturation: N unique dossiers from C connections as fast as answers come (accepted/s),
//   2. fixed rate: R dossiers a second for D seconds (p50/p99 latency; does delivery keep up?),
//   3. sustained rate (PostgreSQL by default): 1,000/s for 60 s against the aims of issue #17,
//   and each time waits until the simulator holds every accepted dossier (delivered/s, accept→portal
//   latency), following the gateway's memory and the CPU of every process throughout. On PostgreSQL
//   the naive durable service follows, then the multi-process phase (2 API + 2 worker processes).
// `--mode resync` measures a go-live re-sync instead (bench/resync.ts).
// Figures go to bench/results/<date>-<engine>.json and bench/RESULTS.md (not with --dry-run).
import { appendFile, mkdir, stat, writeFile } from 'node:fs/promises';
import { judgeSustained } from './aims.js';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { measureBare, measureNaive, type BareFigures, type BareSpec } from './bare.js';
import { describeCommit, describeMachine, type Machine } from './machine.js';
import { makeBodies, offerAndFollow, type LoadFigures, type PhaseResult } from './phase.js';
import { renderSection, RESULTS_HEADER } from './report.js';
import { runResync, type ResyncResult } from './resync.js';
import { BENCH_DIR, REPO, type Engine } from './stack.js';
import { withEngine, PROFILE_DIR, type RunRecord } from './engine.js';
import { measureMultiProcess, type MultiProcessResult } from './multi-process.js';
import { round } from './stats.js';

export interface Options {
  mode: 'accept' | 'resync';
  count: number;
  /** Saturation runs (bare, naive, gateway) last this long; 0: by count. */
  seconds: number;
  concurrency: number;
  rate: number;
  rateSeconds: number;
  rateConnections: number;
  /** The sustained-rate phase: dossiers/s, seconds (0: skipped), connections, and on which engines. */
  sustainedRate: number;
  sustainedSeconds: number;
  sustainedConnections: number;
  sustainedEngines: Engine[];
  /** The multi-process phase (PostgreSQL only). */
  multiProcess: boolean;
  warmup: number;
  engines: Engine[];
  logLevel: string;
  pgFsync: boolean;
  deliveryTimeoutS: number;
  cpuProf: boolean;
  record: boolean;
  note: string | undefined;
  bulkCount: number;
  liveRate: number;
  baselineSeconds: number;
}

const HELP = `npm run bench -- [options]
  --mode accept|resync   accept (default): bare route, then per engine saturation, fixed rate and
                         sustained rate; on PostgreSQL also the naive durable service and 2 API +
                         2 worker processes;
                         resync: a go-live re-sync on the bulk lane while live traffic flows
  --seconds S            saturation runs (bare route, naive durable service, gateway) last S seconds
                         (default 15); 0 runs them by --count instead
  --count N              dossiers offered in a saturation run by count (default 10000); with
                         --seconds, at least this many unique bodies are ready (S x 6000 if more)
  --concurrency C        connections offering them (default 32)
  --rate R               the fixed offered rate, dossiers/s (default 500)
  --rate-seconds D       how long the fixed rate is offered (default 30)
  --rate-connections K   connections offering the fixed rate (default 16)
  --sustained-rate R     the sustained-rate phase offers R dossiers/s (default 1000) ...
  --sustained-seconds D  ... for D seconds (default 60; 0 skips the phase), and checks delivery keeps up
  --sustained-connections K  connections offering it (default 32)
  --sustained-engines LIST   engines it runs on (default postgres: the aims are PostgreSQL's; PGlite's
                         500/s aim is the fixed-rate phase's)
  --multi-process on|off PostgreSQL only: 2 API + 2 worker processes at saturation after the single
                         gateway's phases (default on)
  --warmup W             dossiers offered and delivered first, not measured (default 500)
  --engines LIST         pglite,postgres (default both)
  --log-level L          the gateway LOG_LEVEL (default info, the production default)
  --pg-fsync on|off      PostgreSQL fsync and synchronous_commit (default on, as in production)
  --delivery-timeout S   give up waiting for delivery after S seconds (default 900)
  --cpu-prof             write a V8 CPU profile of each gateway process (path printed at the end)
  --note TEXT            the one-line note for RESULTS.md instead of the derived one
  --dry-run              print the figures and the RESULTS.md section, record nothing
 resync mode:
  --bulk-count N         dossiers re-synced on the bulk lane (default 12000)
  --live-rate L          live dossiers a second offered throughout (default 20)
  --baseline-seconds B   live traffic alone first, for comparison (default 20)
  The bulk lane's rate is the gateway's own setting: BULK_CALLS_PER_SECOND (default 2) calls of up
  to DELIVERY_BATCH_SIZE (default 50) dossiers.
Delivery settings (DELIVERY_*, BULK_CALLS_PER_SECOND, SWEEP_*) pass through from the environment.
`;

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      mode: { type: 'string', default: 'accept' },
      count: { type: 'string', default: '10000' },
      seconds: { type: 'string', default: '15' },
      concurrency: { type: 'string', default: '32' },
      rate: { type: 'string', default: '500' },
      'rate-seconds': { type: 'string', default: '30' },
      'rate-connections': { type: 'string', default: '16' },
      'sustained-rate': { type: 'string', default: '1000' },
      'sustained-seconds': { type: 'string', default: '60' },
      'sustained-connections': { type: 'string', default: '32' },
      'sustained-engines': { type: 'string', default: 'postgres' },
      'multi-process': { type: 'string', default: 'on' },
      warmup: { type: 'string', default: '500' },
      engines: { type: 'string', default: 'pglite,postgres' },
      'log-level': { type: 'string', default: 'info' },
      'pg-fsync': { type: 'string', default: 'on' },
      'delivery-timeout': { type: 'string', default: '900' },
      'cpu-prof': { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: false },
      note: { type: 'string' },
      'bulk-count': { type: 'string', default: '12000' },
      'live-rate': { type: 'string', default: '20' },
      'baseline-seconds': { type: 'string', default: '20' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const int = (name: string, raw: string, min: number) => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, got "${raw}"`);
    return n;
  };
  const engineList = (name: string, raw: string) => {
    const list = raw.split(',').map((e) => e.trim()) as Engine[];
    for (const e of list) if (e !== 'pglite' && e !== 'postgres') throw new Error(`--${name} lists pglite and/or postgres, got "${e}"`);
    return list;
  };
  const engines = engineList('engines', values.engines);
  if (values['multi-process'] !== 'on' && values['multi-process'] !== 'off') throw new Error('--multi-process is on or off');
  if (values['pg-fsync'] !== 'on' && values['pg-fsync'] !== 'off') throw new Error('--pg-fsync is on or off');
  if (values.mode !== 'accept' && values.mode !== 'resync') throw new Error('--mode is accept or resync');
  return {
    mode: values.mode,
    count: int('count', values.count, 1),
    seconds: int('seconds', values.seconds, 0),
    concurrency: int('concurrency', values.concurrency, 1),
    rate: int('rate', values.rate, 1),
    rateSeconds: int('rate-seconds', values['rate-seconds'], 1),
    rateConnections: int('rate-connections', values['rate-connections'], 1),
    sustainedRate: int('sustained-rate', values['sustained-rate'], 1),
    sustainedSeconds: int('sustained-seconds', values['sustained-seconds'], 0),
    sustainedConnections: int('sustained-connections', values['sustained-connections'], 1),
    sustainedEngines: engineList('sustained-engines', values['sustained-engines']),
    multiProcess: values['multi-process'] === 'on',
    warmup: int('warmup', values.warmup, 0),
    engines,
    logLevel: values['log-level'],
    pgFsync: values['pg-fsync'] === 'on',
    deliveryTimeoutS: int('delivery-timeout', values['delivery-timeout'], 1),
    cpuProf: values['cpu-prof'],
    record: !values['dry-run'],
    note: values.note,
    bulkCount: int('bulk-count', values['bulk-count'], 1),
    liveRate: int('live-rate', values['live-rate'], 1),
    baselineSeconds: int('baseline-seconds', values['baseline-seconds'], 1),
  };
}

// --- accept mode -------------------------------------------------------------------------------------

/** Unique bodies for a saturation run: by count, or enough for the duration at a bare route's pace. */
function saturationPool(o: Options): number {
  return o.seconds ? Math.max(o.count, o.seconds * 6000) : o.count;
}

function bareSpec(o: Options): BareSpec {
  return { count: o.count, connections: o.concurrency, rate: o.rate, rateSeconds: o.rateSeconds, rateConnections: o.rateConnections, warmup: o.warmup, durationS: o.seconds || undefined };
}

export interface BenchResult extends RunRecord {
  mode: 'accept';
  parameters: Record<string, unknown>;
  saturation: PhaseResult;
  fixedRate: PhaseResult;
  bare: BareFigures;
  /** The sustained-rate phase, when run on this engine. */
  sustained?: PhaseResult | undefined;
  /** The naive durable service on the same PostgreSQL (postgres engine only), at saturation. */
  naive?: LoadFigures | undefined;
  /** 2 API + 2 worker processes at saturation (postgres engine only, unless --multi-process off). */
  multiProcess?: MultiProcessResult | undefined;
  /** Gateway ÷ bare route (parse only), from the same run; ÷ the naive durable service when measured. */
  ratio: { throughput: number; throughputToValidated: number; p50AtRate: number; p99AtRate: number; throughputToNaive?: number };
}


async function benchEngine(engine: Engine, o: Options, machine: Machine, commit: string, bare: BareFigures): Promise<BenchResult> {
  const { measured, record } = await withEngine(engine, o, machine, commit, async (stack, watch) => {
    const saturation = await offerAndFollow(stack, watch, {
      name: 'saturation',
      prefix: 'S',
      count: saturationPool(o),
      connections: o.concurrency,
      durationS: o.seconds || undefined,
      deliveryTimeoutS: o.deliveryTimeoutS,
    });
    stack.log(`saturation: ${saturation.load.perSecond} accepted/s, ${saturation.delivery.perSecond} delivered/s`);
    await new Promise((r) => setTimeout(r, 2_000));
    const fixedRate = await offerAndFollow(stack, watch, {
      name: 'fixed-rate',
      prefix: 'F',
      count: o.rate * o.rateSeconds,
      connections: o.rateConnections,
      rate: o.rate,
      deliveryTimeoutS: o.deliveryTimeoutS,
    });
    stack.log(`fixed rate ${o.rate}/s: p50 ${fixedRate.load.latencyMs.p50} ms, p99 ${fixedRate.load.latencyMs.p99} ms; backlog max ${fixedRate.backlog.max}`);
    let sustained: PhaseResult | undefined;
    if (o.sustainedSeconds > 0 && o.sustainedEngines.includes(engine)) {
      await new Promise((r) => setTimeout(r, 2_000));
      sustained = await offerAndFollow(stack, watch, {
        name: 'sustained',
        prefix: 'U',
        // One more second of bodies: autocannon's ticks may fit one more second's quota in the duration.
        count: o.sustainedRate * (o.sustainedSeconds + 1),
        connections: o.sustainedConnections,
        rate: o.sustainedRate,
        durationS: o.sustainedSeconds,
        deliveryTimeoutS: o.deliveryTimeoutS,
      });
      stack.log(`sustained ${o.sustainedRate}/s: ${sustained.load.perSecond} accepted/s, ${sustained.backlog.deliveredPerSecondSecondHalf} delivered/s over the second half, p99 ${sustained.load.latencyMs.p99} ms`);
    }
    // The yardstick with a database: same PostgreSQL, same bodies, connections and duration.
    const naive = stack.databaseUrl ? await measureNaive(stack.databaseUrl, { ...bareSpec(o), count: saturationPool(o) }) : undefined;
    if (naive) stack.log(`naive durable service: ${naive.perSecond} accepted/s, p50 ${naive.latencyMs.p50} ms, p99 ${naive.latencyMs.p99} ms`);
    return { saturation, fixedRate, sustained, naive, multiProcess: undefined as MultiProcessResult | undefined, deliveryEnv: stack.deliveryEnv };
  }, async (stack, watch, m) => {
    // After the single gateway stopped: the same PostgreSQL and Redis, split into API and worker processes.
    if (!o.multiProcess || !stack.databaseUrl) return m;
    await new Promise((r) => setTimeout(r, 2_000));
    const multiProcess = await measureMultiProcess(stack, watch, { ...o, count: saturationPool(o) });
    return { ...m, multiProcess };
  });
  const { saturation, fixedRate, sustained, naive, multiProcess } = measured;
  const result: BenchResult = {
    ...record,
    mode: 'accept',
    parameters: {
      count: o.count,
      seconds: o.seconds,
      concurrency: o.concurrency,
      rate: o.rate,
      rateSeconds: o.rateSeconds,
      rateConnections: o.rateConnections,
      ...(sustained ? { sustainedRate: o.sustainedRate, sustainedSeconds: o.sustainedSeconds, sustainedConnections: o.sustainedConnections } : {}),
      warmup: o.warmup,
      logLevel: o.logLevel,
      ...(engine === 'postgres' ? { pgFsync: o.pgFsync } : {}),
      bodyBytesMean: Math.round(makeBodies('X', 100).bodies.reduce((n, b) => n + Buffer.byteLength(b), 0) / 100),
      lane: 'live',
      deliveryEnv: measured.deliveryEnv,
    },
    saturation,
    fixedRate,
    sustained,
    bare,
    naive,
    multiProcess,
    ratio: {
      ...(naive ? { throughputToNaive: round(saturation.load.perSecond / naive.perSecond, 3) } : {}),
      throughput: round(saturation.load.perSecond / bare.parse.perSecond, 3),
      throughputToValidated: round(saturation.load.perSecond / bare.validate.perSecond, 3),
      p50AtRate: round(fixedRate.load.latencyMs.p50 / Math.max(0.01, bare.parseAtRate.latencyMs.p50), 1),
      p99AtRate: round(fixedRate.load.latencyMs.p99 / Math.max(0.01, bare.parseAtRate.latencyMs.p99), 1),
    },
    note: '',
  };
  result.note = o.note ?? deriveNote(result);
  return result;
}

/** A first reading of the figures against the aims; --note replaces it. */
function deriveNote(r: BenchResult): string {
  const parts: string[] = [];
  const s = r.saturation;
  const f = r.fixedRate;
  const g = s.gatewayProcesses.gateway!.offering;
  const cores = (g.cpuUserMs + g.cpuSystemMs) / Math.max(1, g.wallMs);
  parts.push(
    `saturation ${s.load.perSecond}/s (aim 1,000/s: ${s.load.perSecond >= 1000 ? 'met' : 'NOT met'}), the gateway's event loop busy ${Math.round(g.eventLoopUtilization * 100)}% on ${round(cores, 2)} cores of CPU, machine ${Math.round(s.machineCpuBusy.offering * 100)}% busy`,
  );
  const reached = f.load.answeredPerSecond >= 0.95 * (f.load.rate ?? 0);
  parts.push(
    `at ${f.load.rate}/s offered (${f.load.answeredPerSecond}/s answered${reached ? '' : ': the gateway could not take the rate, so the latency is that of a saturated server'}) p99 ${f.load.latencyMs.p99} ms (aim < 50 ms: ${reached && f.load.latencyMs.p99 < 50 ? 'met' : 'NOT met'})`,
  );
  const keepsUp = f.backlog.growthPerSecondSecondHalf < 0.05 * (f.load.rate ?? 0);
  parts.push(
    `delivery ${keepsUp ? 'kept up' : 'did NOT keep up'} with the ${f.load.perSecond}/s accepted (${f.delivery.perSecondWhileOffering} delivered/s while offering; backlog ${f.backlog.atEnd} at the end, growing ${f.backlog.growthPerSecondSecondHalf}/s over the second half)`,
  );
  const refusals = { ...s.load.refusals, ...f.load.refusals, ...r.sustained?.load.refusals, ...r.multiProcess?.saturation.load.refusals };
  if (Object.keys(refusals).length > 0) parts.push(`refusals: ${JSON.stringify(refusals)}`);
  const u = r.sustained;
  if (u) {
    const v = judgeSustained(u, s.load.perSecond);
    parts.push(
      `sustained ${v.rate}/s for ${u.load.wallS} s: ${u.load.perSecond}/s accepted, ${u.backlog.deliveredPerSecondSecondHalf} delivered/s against ${u.backlog.acceptedPerSecondSecondHalf} accepted/s over the second half (delivery ${v.keepsUp ? 'kept up' : 'did NOT keep up'}), p99 ${u.load.latencyMs.p99} ms; aims ≥ 1,000/s sustained: ${v.firstStep}${v.why.firstStep ? ` (${v.why.firstStep})` : ''}, ≥ 2,500/s: ${v.goal}${v.why.goal ? ` (${v.why.goal})` : ''}`,
    );
  }
  const mp = r.multiProcess;
  if (mp) parts.push(`${mp.layout.api} API + ${mp.layout.worker} worker processes: ${mp.saturation.load.perSecond} accepted/s (${round(mp.saturation.load.perSecond / Math.max(1, s.load.perSecond), 2)}× one process), ${mp.saturation.delivery.perSecond} delivered/s`);
  const gatewayCpu = s.cpu.untilDelivered.processes;
  parts.push(
    `CPU per dossier at saturation: gateway ${gatewayCpu.gateway?.msPerAccepted} ms${s.cpu.databaseInGateway ? ' (PGlite included)' : `, PostgreSQL ${gatewayCpu.postgres?.msPerAccepted} ms`}, Redis ${gatewayCpu.redis?.msPerAccepted} ms`,
  );
  if (!s.delivery.complete || !f.delivery.complete || (u && !u.delivery.complete) || (mp && !mp.saturation.delivery.complete)) parts.push('DELIVERY DID NOT COMPLETE within the timeout');
  return parts.join('; ') + '.';
}

// --- main --------------------------------------------------------------------------------------------

async function record(result: { date: string; engine: Engine }, suffix: string, markdown: (jsonFile: string) => string): Promise<void> {
  const resultsDir = path.join(BENCH_DIR, 'results');
  await mkdir(resultsDir, { recursive: true });
  const day = result.date.slice(0, 10);
  let file = path.join(resultsDir, `${day}-${suffix}.json`);
  for (let n = 2; await stat(file).then(() => true, () => false); n++) file = path.join(resultsDir, `${day}-${suffix}-${n}.json`);
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
  const resultsMd = path.join(BENCH_DIR, 'RESULTS.md');
  if (!(await stat(resultsMd).then(() => true, () => false))) await writeFile(resultsMd, RESULTS_HEADER);
  await appendFile(resultsMd, markdown(path.relative(BENCH_DIR, file)));
  process.stderr.write(`[bench ${result.engine}] recorded ${path.relative(REPO, file)} and bench/RESULTS.md\n`);
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const machine = await describeMachine();
  const commit = describeCommit();
  if (o.mode === 'resync') {
    for (const engine of o.engines) {
      const result: ResyncResult = await runResync(engine, o, machine, commit);
      process.stdout.write(`${JSON.stringify({ engine, bulk: result.bulk, live: result.live, extrapolation: result.extrapolation, note: result.note }, null, 2)}\n`);
      if (o.record) await record(result, `resync-${engine}`, (file) => renderSection(result, file));
      else process.stdout.write(`${renderSection(result, 'dry-run')}\n`);
    }
    return;
  }
  const bare = await measureBare({ ...bareSpec(o), count: saturationPool(o) });
  for (const engine of o.engines) {
    const result = await benchEngine(engine, o, machine, commit, bare);
    const { saturation: s, fixedRate: f } = result;
    process.stdout.write(
      `${JSON.stringify({ engine, saturation: { load: s.load, delivery: s.delivery }, fixedRate: { load: f.load, delivery: f.delivery, backlog: f.backlog }, bare, ratio: result.ratio, memoryMiB: result.memoryMiB, note: result.note }, null, 2)}\n`,
    );
    if (o.record) await record(result, engine, (file) => renderSection(result, file));
    else process.stdout.write(`${renderSection(result, 'dry-run')}\n`);
  }
  if (o.cpuProf) process.stderr.write(`[bench] CPU profiles of the gateway in ${PROFILE_DIR}/ (open in Chrome DevTools)\n`);
}

main().catch((error: Error) => {
  process.stderr.write(`bench failed: ${error.stack ?? error.message}\n`);
  process.exitCode = 1;
});
