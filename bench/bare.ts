// The yardstick run: the same bodies, connections and rates as the gateway gets, offered to a bare
// Fastify route in a process of its own (bench/bare-process.ts). Run once per benchmark run, before
// the engines, on the same machine in the same minutes, so the gateway's figures become ratios.
import { open, rm, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { forkChild } from './forked.js';
import { runLoad } from './load.js';
import { loadFigures, makeBodies, type LoadFigures } from './phase.js';
import { BARE_PATHS, NAIVE_PATH } from './protocol.js';
import { BENCH_DIR, REPO } from './stack.js';
import { mib } from './stats.js';

export interface BareFigures {
  /** Parse only, as fast as answers come. */
  parse: LoadFigures;
  /** Parse and validate against the Dossier schema, as fast as answers come. */
  validate: LoadFigures;
  /** Parse only, at the fixed rate. */
  parseAtRate: LoadFigures;
  rssMiB: { idle: number; peak: number };
}

export interface BareSpec {
  count: number;
  connections: number;
  rate: number;
  rateSeconds: number;
  rateConnections: number;
  warmup: number;
  /** Saturation runs last this long (the bodies are a pool of `count`); undefined: by count. */
  durationS?: number | undefined;
}

export async function measureBare(spec: BareSpec): Promise<BareFigures> {
  return withYardstick('bare', 'bare-process.ts', {}, async (offer, peakSince) => {
    if (spec.warmup > 0) {
      await offer(BARE_PATHS.parse, 'BW', spec.warmup, spec.connections);
      await offer(BARE_PATHS.validate, 'BV', spec.warmup, spec.connections);
    }
    const peak = peakSince();
    const parse = await offer(BARE_PATHS.parse, 'BP', spec.count, spec.connections, undefined, spec.durationS);
    const validate = await offer(BARE_PATHS.validate, 'BS', spec.count, spec.connections, undefined, spec.durationS);
    const parseAtRate = await offer(BARE_PATHS.parse, 'BR', spec.rate * spec.rateSeconds, spec.rateConnections, spec.rate);
    return { parse, validate, parseAtRate, rssMiB: peak() };
  });
}

/**
 * The naive durable service (bench/naive-process.ts) on the gateway's PostgreSQL, at saturation: the
 * same bodies, connections and duration as the gateway's saturation phase.
 */
export async function measureNaive(databaseUrl: string, spec: BareSpec): Promise<LoadFigures> {
  return withYardstick('naive', 'naive-process.ts', { DATABASE_URL: databaseUrl }, async (offer) => {
    if (spec.warmup > 0) await offer(NAIVE_PATH, 'NW', spec.warmup, spec.connections);
    return offer(NAIVE_PATH, 'NS', spec.count, spec.connections, undefined, spec.durationS);
  });
}

type Offer = (route: string, prefix: string, count: number, connections: number, rate?: number, durationS?: number) => Promise<LoadFigures>;

async function withYardstick<T>(
  name: string,
  script: string,
  env: Record<string, string>,
  measure: (offer: Offer, peakSince: () => () => { idle: number; peak: number }) => Promise<T>,
): Promise<T> {
  const log = (message: string) => process.stderr.write(`[bench ${name}] ${message}\n`);
  const work = await mkdtemp(path.join(os.tmpdir(), `lgsp-bench-${name}-`));
  const logHandle = await open(path.join(work, `${name}.log`), 'w');
  const child = forkChild(path.join(BENCH_DIR, script), { cwd: REPO, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', NODE_ENV: 'production', ...env }, logFd: logHandle.fd });
  try {
    child.ready = await child.waitFor('ready', 60_000);
    const url = child.ready.url;
    const offer: Offer = async (route, prefix, count, connections, rate, durationS) => {
      const { bodies } = makeBodies(prefix, count);
      const run = await runLoad({ url, path: route, headers: {}, bodies, connections, rate, durationS });
      const figures = loadFigures(run, rate, connections, durationS ? run.answered : count);
      log(`${route}${rate ? ` at ${rate}/s` : ''}: ${figures.perSecond}/s, p50 ${figures.latencyMs.p50} ms, p99 ${figures.latencyMs.p99} ms`);
      return figures;
    };
    const peakSince = () => {
      const from = child.samples.length;
      return () => ({ idle: mib(child.ready!.sample.rss), peak: mib(Math.max(...child.samples.slice(from).map((s) => s.rss))) });
    };
    return await measure(offer, peakSince);
  } finally {
    await child.stop().catch(() => {});
    await logHandle.close();
    await rm(work, { recursive: true, force: true });
  }
}
