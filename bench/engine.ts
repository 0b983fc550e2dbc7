// What both modes do around their measurement, per engine: start the stack, offer and deliver the
// warm-up, measure, then take the common figures (memory, counts, storage, logs) and close up.
import os from 'node:os';
import path from 'node:path';
import { DeliveryWatch } from './delivery-watch.js';
import { runLoadSpread } from './load.js';
import type { Machine } from './machine.js';
import { dossierHeaders, makeBodies } from './phase.js';
import type { GatewayCounts } from './protocol.js';
import { startStack, summariseLog, type Engine, type Stack } from './stack.js';
import { mib } from './stats.js';

/** CPU profiles (--cpu-prof) outlive the stack's temp folder. */
export const PROFILE_DIR = path.join(os.tmpdir(), 'lgsp-bench-profiles');

export interface EngineOptions {
  warmup: number;
  concurrency: number;
  logLevel: string;
  pgFsync: boolean;
  deliveryTimeoutS: number;
  cpuProf: boolean;
}

export interface MemoryFigures {
  idle: { rss: number; heapUsed: number };
  before: { rss: number; heapUsed: number };
  peak: { rss: number; heapUsed: number; heapTotal: number; external: number };
  after: { rss: number; heapUsed: number };
  afterGc: { rss: number; heapUsed: number };
}

/** Common to every engine's record. */
export interface RunRecord {
  date: string;
  machine: Machine;
  commit: string;
  engine: Engine;
  design: string;
  memoryMiB: MemoryFigures;
  counts: GatewayCounts;
  logs: { lines: number; bytes: number; byLevel: Record<string, number>; firstWarnings: string[] };
  storage: { databaseBytes: number; redisUsedMemoryBytes: number };
  note: string;
}


/**
 * Warm-up: JIT, connection pools, prepared plans, the portal session. `o.warmup` dossiers offered to
 * the API at `urls` (spread over them) and delivered before anything is measured.
 */
export async function warmUp(stack: Stack, watch: DeliveryWatch, urls: string[], o: Pick<EngineOptions, 'warmup' | 'concurrency' | 'deliveryTimeoutS'>, prefix = 'W'): Promise<void> {
  if (o.warmup === 0) return;
  const { codes, bodies } = makeBodies(prefix, o.warmup);
  watch.await(codes);
  const warm = await runLoadSpread(urls, { path: '/v1/dossiers', headers: dossierHeaders(stack), bodies, connections: o.concurrency });
  // A cold gateway on a busy machine may shed a few (503): the warm-up only needs what it took delivered.
  if (warm.accepted === 0) throw new Error(`warm-up: none of ${o.warmup} accepted: ${JSON.stringify(warm.refusals)}`);
  if (!(await watch.all(warm.acceptedAt.keys(), o.deliveryTimeoutS * 1000))) throw new Error('warm-up dossiers were not all delivered');
  stack.log(`warm-up: ${warm.accepted} of ${o.warmup} dossiers accepted and delivered${warm.accepted < o.warmup ? ` (refusals ${JSON.stringify(warm.refusals)})` : ''}`);
  await new Promise((r) => setTimeout(r, 2_000));
}

/**
 * Starts the engine's stack, offers and delivers the warm-up, runs `measure`, takes the common
 * figures and stops the gateway; then runs `afterGateway` (phases with gateway processes of their
 * own, on the same Redis and database) and closes up.
 */
export async function withEngine<T>(
  engine: Engine,
  o: EngineOptions,
  machine: Machine,
  commit: string,
  measure: (stack: Stack, watch: DeliveryWatch) => Promise<T>,
  afterGateway?: (stack: Stack, watch: DeliveryWatch, measured: T) => Promise<T>,
): Promise<{ measured: T; record: Omit<RunRecord, 'note'> }> {
  const stack = await startStack({ engine, logLevel: o.logLevel, pgFsync: o.pgFsync, gatewayExecArgv: o.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [] });
  const gw = stack.gateway;
  try {
    const watch = new DeliveryWatch(stack.sim);
    await warmUp(stack, watch, [gw.ready.url], o);
    const before = gw.latest();
    const samplesFrom = gw.samples.length;
    const measured = await measure(stack, watch);
    const during = gw.samples.slice(samplesFrom);
    await new Promise((r) => setTimeout(r, 2_000));
    const after = gw.latest();
    const gc = await gw.ask({ type: 'gc' }, 'gc-done');
    const counts = (await gw.ask({ type: 'counts' }, 'counts')).counts;
    const storage = await stack.storage();
    await gw.stop();
    const peakOf = (key: 'rss' | 'heapUsed' | 'heapTotal' | 'external') => Math.max(...during.map((s) => s[key]), before[key]);
    const record = {
      date: new Date().toISOString(),
      machine,
      commit,
      engine,
      design:
        'gateway (roles api+worker, LGSP_MODE=production) in its own Node process; load generator (autocannon 8) and national portal simulator in the bench process; private redis-server (AOF on)' +
        (engine === 'postgres' ? `; private PostgreSQL (fsync ${o.pgFsync ? 'on' : 'off'})` : '; PGlite in a temp folder'),
      memoryMiB: {
        idle: { rss: mib(gw.ready.sample.rss), heapUsed: mib(gw.ready.sample.heapUsed) },
        before: { rss: mib(before.rss), heapUsed: mib(before.heapUsed) },
        peak: { rss: mib(peakOf('rss')), heapUsed: mib(peakOf('heapUsed')), heapTotal: mib(peakOf('heapTotal')), external: mib(peakOf('external')) },
        after: { rss: mib(after.rss), heapUsed: mib(after.heapUsed) },
        afterGc: { rss: mib(gc.sample.rss), heapUsed: mib(gc.sample.heapUsed) },
      },
      counts,
      logs: await summariseLog(stack.logFile),
      storage,
    };
    return { measured: afterGateway ? await afterGateway(stack, watch, measured) : measured, record };
  } finally {
    await stack.close();
  }
}


