// One measured phase against the gateway: offer unique dossiers (as fast as answers come, or at a
// fixed rate), follow them until the simulator holds every accepted one, and sum up what happened:
// the answers, the delivery, the backlog second by second, the gateway processes' event loops, and
// the CPU of every process involved (gateway, PostgreSQL, Redis, load generator) per accepted dossier.
import { performance } from 'node:perf_hooks';
import { benchDossier } from './dossiers.js';
import type { DeliveryWatch } from './delivery-watch.js';
import type { ForkedProcess } from './forked.js';
import { runLoadSpread, type LoadResult } from './load.js';
import { busyShare, cpuTimes } from './machine.js';
import { cpuBetween, markCpu, type CpuRoot, type CpuWindow } from './process-cpu.js';
import type { PhaseFigures } from './protocol.js';
import type { Stack } from './stack.js';
import { mib, percentiles, round, roundAll, type Percentiles } from './stats.js';

/** What any load run answered, gateway or bare route. */
export interface LoadFigures {
  /** Overall rate aimed at, or null for as fast as answers come. */
  rate: number | null;
  connections: number;
  offered: number;
  accepted: number;
  refusals: Record<string, number>;
  wallS: number;
  /** 202s a second over the run. */
  perSecond: number;
  answeredPerSecond: number;
  latencyMs: Percentiles;
}

export interface PhaseResult {
  load: LoadFigures;
  delivery: {
    complete: boolean;
    delivered: number;
    /** Of those, dossiers without a 202: in flight when a run by duration stopped, stored all the same. */
    deliveredUnanswered: number;
    /** From the first 202 to the last delivery. */
    windowS: number;
    perSecond: number;
    deliveredWhileOffering: number;
    /** Dossiers delivered a second while the load was offered. */
    perSecondWhileOffering: number;
    drainAfterLastAcceptS: number;
    endToEndLatencyMs: Percentiles;
    portalCalls: number;
    itemsPerCall: { mean: number; max: number };
    portalRefusals: Record<string, number>;
    logins: number;
  };
  /**
   * Accepted but not yet at the portal, sampled every second while offering; and the accepted and
   * delivered rates over the second half of the offering (least-squares slopes of the counts).
   */
  backlog: { max: number; atEnd: number; growthPerSecondSecondHalf: number; acceptedPerSecondSecondHalf: number; deliveredPerSecondSecondHalf: number };
  /** Per gateway process (`gateway`, or `api 1`, `worker 1`... in the multi-process phase): CPU and event loop. */
  gatewayProcesses: Record<string, { offering: PhaseFigures; untilDelivered: PhaseFigures }>;
  machineCpuBusy: { offering: number; untilDelivered: number };
  loadGeneratorCpuMs: number;
  /**
   * CPU by process from /proc: while offering (first request to last answer), and over the whole
   * phase until every accepted dossier was at the portal (accepting and delivering them).
   * `databaseInGateway`: PGlite runs inside the gateway process, so its CPU is in the gateway's.
   */
  cpu: { offering: CpuWindow; untilDelivered: CpuWindow; databaseInGateway: boolean };
  timeline: { s: number; accepted: number; delivered: number; backlog: number; rssMiB: number; heapUsedMiB: number }[];
}

export interface PhaseSpec {
  name: string;
  /** Distinguishes this phase's dossier codes from every other phase's. */
  prefix: string;
  count: number;
  connections: number;
  rate?: number | undefined;
  /** Offer for this long (count is then the pool of bodies); undefined: until count are answered. */
  durationS?: number | undefined;
  lane?: 'live' | 'bulk';
  deliveryTimeoutS: number;
  /** The gateway processes (the load goes to those that serve the API); default the stack's one gateway. */
  gateways?: NamedProcess[] | undefined;
}

export interface NamedProcess {
  name: string;
  process: ForkedProcess;
}

const RUN_TAG = Math.random().toString(16).slice(2, 8).toUpperCase();

export function makeBodies(prefix: string, n: number): { codes: string[]; bodies: string[] } {
  const codes = Array.from({ length: n }, (_, i) => `000.00.20.H26-${prefix}${RUN_TAG}-${String(i + 1).padStart(6, '0')}`);
  return { codes, bodies: codes.map((c, i) => JSON.stringify(benchDossier(c, i))) };
}

export function loadFigures(run: LoadResult, rate: number | undefined, connections: number, offered: number): LoadFigures {
  return {
    rate: rate ?? null,
    connections,
    offered,
    accepted: run.accepted,
    refusals: run.refusals,
    wallS: round(run.wallS, 3),
    perSecond: round(run.accepted / run.wallS, 1),
    answeredPerSecond: round(run.answeredPerSecond, 1),
    latencyMs: roundAll(percentiles(run.latencyMs), 2),
  };
}

export function dossierHeaders(stack: Stack, lane: 'live' | 'bulk' = 'live'): Record<string, string> {
  return { 'x-api-key': stack.apiKey, ...(lane === 'bulk' ? { 'x-sync-lane': 'bulk' } : {}) };
}

/** Least-squares slope of y over x; 0 with fewer than two points. */
function slope(points: { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((a, p) => a + p.x, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  const sxx = points.reduce((a, p) => a + (p.x - mx) ** 2, 0);
  return sxx === 0 ? 0 : points.reduce((a, p) => a + (p.x - mx) * (p.y - my), 0) / sxx;
}

/** The CPU roots of a phase: the gateway processes, the redis-server, the PostgreSQL cluster. */
function cpuRoots(stack: Stack, gateways: NamedProcess[]): CpuRoot[] {
  const { redis, postgres } = stack.servicePids;
  return [
    ...gateways.map((g) => ({ name: g.name, pid: g.process.ready.pid })),
    ...(postgres ? [{ name: 'postgres', pid: postgres }] : []),
    { name: 'redis', pid: redis },
  ];
}

/** Marks a phase's start in every gateway process. */
async function startPhase(gateways: NamedProcess[], name: string): Promise<void> {
  await Promise.all(gateways.map((g) => g.process.phase(name, 'start')));
}

/** Marks a phase's end in every gateway process: their figures by name. */
async function endPhase(gateways: NamedProcess[], name: string): Promise<Record<string, PhaseFigures>> {
  const figures = await Promise.all(gateways.map((g) => g.process.phase(name, 'end')));
  return Object.fromEntries(gateways.map((g, i) => [g.name, roundPhase(figures[i]!)]));
}

export async function offerAndFollow(stack: Stack, watch: DeliveryWatch, spec: PhaseSpec): Promise<PhaseResult> {
  const { sim } = stack;
  const gateways = spec.gateways ?? [{ name: 'gateway', process: stack.gateway }];
  const urls = gateways.map((g) => g.process.ready.url).filter((url) => url !== '');
  const roots = cpuRoots(stack, gateways);
  const { codes, bodies } = makeBodies(spec.prefix, spec.count);
  watch.await(codes);
  const delivered = () => codes.reduce((n, c) => n + (watch.seenAt.has(c) ? 1 : 0), 0);
  const callsBefore = sim.calls.length;
  const offering = `${spec.name}:offering`;
  const untilDelivered = `${spec.name}:untilDelivered`;
  await startPhase(gateways, offering);
  await startPhase(gateways, untilDelivered);
  const cpu0 = await cpuTimes();
  const ownCpu0 = process.cpuUsage();
  const mark0 = await markCpu(roots);
  let accepted = 0;
  const timeline: PhaseResult['timeline'] = [];
  const t0 = performance.now();
  const ticker = setInterval(() => {
    const latest = gateways.map((g) => g.process.latest());
    const rss = latest.reduce((a, m) => a + m.rss, 0);
    const d = delivered();
    timeline.push({ s: round((performance.now() - t0) / 1000, 0), accepted, delivered: d, backlog: accepted - d, rssMiB: mib(rss), heapUsedMiB: mib(latest.reduce((a, m) => a + m.heapUsed, 0)) });
    if (timeline.length % 5 === 0) stack.log(`${spec.name} t=${timeline.length}s accepted ${accepted}/${spec.count}, delivered ${d}, gateway RSS ${mib(rss)} MiB`);
  }, 1_000);

  const run = await runLoadSpread(
    urls,
    { path: '/v1/dossiers', headers: dossierHeaders(stack, spec.lane), bodies, connections: spec.connections, rate: spec.rate, durationS: spec.durationS },
    (_answered, ok) => (accepted = ok),
  );
  const mark1 = await markCpu(roots);
  const offeringFigures = await endPhase(gateways, offering);
  const cpu1 = await cpuTimes();
  const offeringTicks = timeline.length;
  const deliveredWhileOffering = delivered();
  stack.log(`${spec.name}: ${run.accepted} of ${spec.count} accepted in ${round(run.wallS, 2)} s; waiting for delivery`);

  const acceptedCodes = [...run.acceptedAt.keys()];
  const complete = await watch.all(acceptedCodes, spec.deliveryTimeoutS * 1000);
  const deliveredAtEnd = performance.now();
  const mark2 = await markCpu(roots);
  const untilDeliveredFigures = await endPhase(gateways, untilDelivered);
  const cpu2 = await cpuTimes();
  const ownCpu = process.cpuUsage(ownCpu0);
  clearInterval(ticker);
  if (!complete) stack.log(`${spec.name}: delivery timed out: ${delivered()} of ${run.accepted} delivered`);

  const acceptTimes = [...run.acceptedAt.values()];
  const firstAccept = Math.min(...acceptTimes);
  const lastAccept = Math.max(...acceptTimes);
  const e2e: number[] = [];
  let lastSeen = 0;
  for (const [code, at] of run.acceptedAt) {
    const seen = watch.seenAt.get(code);
    if (seen === undefined) continue;
    e2e.push(seen - at);
    lastSeen = Math.max(lastSeen, seen);
  }
  if (lastSeen === 0) lastSeen = deliveredAtEnd;
  const ownCodes = new Set(codes);
  const calls = sim.calls.slice(callsBefore).filter((c) => c.service === 'login' || c.codes.some((code) => ownCodes.has(code)));
  const syncCalls = calls.filter((c) => c.service === 'DongBoHoSoMC');
  const portalRefusals: Record<string, number> = {};
  for (const c of calls) if (c.answer !== '0' && c.service !== 'login') portalRefusals[c.answer] = (portalRefusals[c.answer] ?? 0) + 1;
  const windowMs = lastSeen - firstAccept;
  const offeringTimeline = timeline.slice(0, offeringTicks);
  const secondHalf = offeringTimeline.slice(Math.floor(offeringTimeline.length / 2));
  const secondHalfSlope = (y: (t: PhaseResult['timeline'][number]) => number) => round(slope(secondHalf.map((t) => ({ x: t.s, y: y(t) }))), 1);
  const endBacklog = run.accepted - deliveredWhileOffering;

  return {
    load: loadFigures(run, spec.rate, spec.connections, spec.durationS ? run.answered : spec.count),
    delivery: {
      complete,
      delivered: delivered(),
      deliveredUnanswered: codes.reduce((n, c) => n + (watch.seenAt.has(c) && !run.acceptedAt.has(c) ? 1 : 0), 0),
      windowS: round(windowMs / 1000, 3),
      perSecond: round((delivered() * 1000) / windowMs, 1),
      deliveredWhileOffering,
      perSecondWhileOffering: round(deliveredWhileOffering / run.wallS, 1),
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
    backlog: {
      max: Math.max(endBacklog, ...offeringTimeline.map((t) => t.backlog)),
      atEnd: endBacklog,
      growthPerSecondSecondHalf: secondHalfSlope((t) => t.backlog),
      acceptedPerSecondSecondHalf: secondHalfSlope((t) => t.accepted),
      deliveredPerSecondSecondHalf: secondHalfSlope((t) => t.delivered),
    },
    gatewayProcesses: Object.fromEntries(gateways.map((g) => [g.name, { offering: offeringFigures[g.name]!, untilDelivered: untilDeliveredFigures[g.name]! }])),
    machineCpuBusy: { offering: round(busyShare(cpu0, cpu1), 3), untilDelivered: round(busyShare(cpu0, cpu2), 3) },
    loadGeneratorCpuMs: Math.round((ownCpu.user + ownCpu.system) / 1000),
    cpu: { offering: cpuBetween(mark0, mark1, run.accepted), untilDelivered: cpuBetween(mark0, mark2, run.accepted), databaseInGateway: stack.engine === 'pglite' },
    timeline,
  };
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
