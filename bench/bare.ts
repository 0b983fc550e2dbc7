// The yardstick run: the same bodies, connections and rates as the gateway gets, offered to a bare
// Fastify route in a process of its own (bench/bare-process.ts). Run once per benchmark run, before
// the engines, on the same machine in the same minutes, so the gateway's figures become ratios.
import { open, rm, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { forkChild } from './forked.js';
import { runLoad } from './load.js';
import { loadFigures, makeBodies, type LoadFigures } from './phase.js';
import { BARE_PATHS } from './protocol.js';
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
}

export async function measureBare(spec: BareSpec): Promise<BareFigures> {
  const log = (message: string) => process.stderr.write(`[bench bare] ${message}\n`);
  const work = await mkdtemp(path.join(os.tmpdir(), 'lgsp-bench-bare-'));
  const logHandle = await open(path.join(work, 'bare.log'), 'w');
  const child = forkChild(path.join(BENCH_DIR, 'bare-process.ts'), { cwd: REPO, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', NODE_ENV: 'production' }, logFd: logHandle.fd });
  try {
    child.ready = await child.waitFor('ready', 60_000);
    const url = child.ready.url;
    const offer = async (route: string, prefix: string, count: number, connections: number, rate?: number) => {
      const { bodies } = makeBodies(prefix, count);
      const run = await runLoad({ url, path: route, headers: {}, bodies, connections, rate });
      return loadFigures(run, rate, connections, count);
    };
    if (spec.warmup > 0) {
      await offer(BARE_PATHS.parse, 'BW', spec.warmup, spec.connections);
      await offer(BARE_PATHS.validate, 'BV', spec.warmup, spec.connections);
    }
    const from = child.samples.length;
    const parse = await offer(BARE_PATHS.parse, 'BP', spec.count, spec.connections);
    log(`parse only: ${parse.perSecond}/s, p99 ${parse.latencyMs.p99} ms`);
    const validate = await offer(BARE_PATHS.validate, 'BS', spec.count, spec.connections);
    log(`parse and validate: ${validate.perSecond}/s, p99 ${validate.latencyMs.p99} ms`);
    const parseAtRate = await offer(BARE_PATHS.parse, 'BR', spec.rate * spec.rateSeconds, spec.rateConnections, spec.rate);
    log(`parse only at ${spec.rate}/s: p50 ${parseAtRate.latencyMs.p50} ms, p99 ${parseAtRate.latencyMs.p99} ms`);
    const peak = Math.max(...child.samples.slice(from).map((s) => s.rss));
    return { parse, validate, parseAtRate, rssMiB: { idle: mib(child.ready.sample.rss), peak: mib(peak) } };
  } finally {
    await child.stop().catch(() => {});
    await logHandle.close();
    await rm(work, { recursive: true, force: true });
  }
}
