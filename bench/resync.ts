// `npm run bench -- --mode resync`: a go-live re-sync. The one-stop system pushes a year of dossiers
// on the bulk lane (`x-sync-lane: bulk`) as fast as the gateway takes them, while live dossiers keep
// coming at a steady rate. The national portal will only take so many calls a second, so the bulk
// lane is held to BULK_CALLS_PER_SECOND calls of up to DELIVERY_BATCH_SIZE dossiers: that rate, not
// the gateway, is what bounds the drain. The run measures
//   - that the bulk lane holds its rate (calls a second seen by the simulator, mean and worst second),
//   - the drain time of the bulk dossiers, and what it gives for 450,000 at the rate held (an
//     extrapolation, labelled as one: the drain is rate-bound, so time = count ÷ rate),
//   - live traffic before the re-sync (baseline), while the bulk is offered, and while it drains:
//     request latency and accept→portal latency.
import { performance } from 'node:perf_hooks';
import type { Machine } from './machine.js';
import { DeliveryWatch, stampCalls, type StampedCall } from './delivery-watch.js';
import { runLoad } from './load.js';
import { dossierHeaders, loadFigures, makeBodies, type LoadFigures } from './phase.js';
import { withEngine, type RunRecord } from './engine.js';
import type { Options } from './run.js';
import type { Engine, Stack } from './stack.js';
import { mib, percentiles, round, roundAll, type Percentiles } from './stats.js';

/** A large province's year (Ninh Bình, 447,000 dossiers in 2021). */
export const GO_LIVE_DOSSIERS = 450_000;
const CHUNK_SECONDS = 5;

interface LiveFigures {
  chunks: number;
  offered: number;
  accepted: number;
  answeredPerSecond: number;
  latencyMs: Percentiles;
  endToEndLatencyMs: Percentiles;
}

export interface ResyncResult extends RunRecord {
  mode: 'resync';
  parameters: Record<string, unknown>;
  bulk: {
    accept: LoadFigures;
    delivered: number;
    complete: boolean;
    /** From the first bulk 202 to the last bulk dossier at the portal. */
    drainS: number;
    /** Bulk dossiers a second from the first bulk delivery to the last. */
    deliveredPerSecond: number;
    calls: number;
    itemsPerCall: number;
    /** As the simulator saw them: arrival jitter can put three calls paced 500 ms apart in one second, so the 10 s figure is the check. */
    callsPerSecond: { configured: number; mean: number; maxInAnySlidingSecond: number; maxOverAnyTenSeconds: number };
    portalRefusals: Record<string, number>;
  };
  live: { baseline: LiveFigures; whileBulkOffered: LiveFigures; whileBulkDrains: LiveFigures };
  extrapolation: { dossiers: number; acceptHours: number; drainHours: number; basis: string };
  timeline: { s: number; liveAccepted: number; bulkAccepted: number; bulkDelivered: number; rssMiB: number }[];
}

interface Chunk {
  startedAt: number;
  latencyMs: Float64Array;
  e2e: number[];
  offered: number;
  accepted: number;
  wallS: number;
}

/** Live dossiers at `rate`/s in chunks of CHUNK_SECONDS until `until()` says stop; each chunk's answers and deliveries. */
async function liveTraffic(stack: Stack, watch: DeliveryWatch, prefix: string, rate: number, timeoutMs: number, until: () => boolean, onAccepted: (n: number) => void): Promise<Chunk[]> {
  const chunks: Chunk[] = [];
  const pending: Promise<void>[] = [];
  for (let i = 0; !until(); i++) {
    const { codes, bodies } = makeBodies(`${prefix}${i}`, rate * CHUNK_SECONDS);
    watch.await(codes);
    const startedAt = performance.now();
    const run = await runLoad({ url: stack.gateway.ready.url, path: '/v1/dossiers', headers: dossierHeaders(stack), bodies, connections: Math.min(8, rate), rate });
    onAccepted(run.accepted);
    const chunk: Chunk = { startedAt, latencyMs: run.latencyMs, e2e: [], offered: bodies.length, accepted: run.accepted, wallS: run.wallS };
    chunks.push(chunk);
    pending.push(
      watch.all(run.acceptedAt.keys(), timeoutMs).then(() => {
        for (const [code, at] of run.acceptedAt) {
          const seen = watch.seenAt.get(code);
          if (seen !== undefined) chunk.e2e.push(seen - at);
        }
      }),
    );
  }
  await Promise.all(pending);
  return chunks;
}

function liveFigures(chunks: Chunk[]): LiveFigures {
  const latencies = chunks.flatMap((c) => Array.from(c.latencyMs));
  const wall = chunks.reduce((n, c) => n + c.wallS, 0);
  return {
    chunks: chunks.length,
    offered: chunks.reduce((n, c) => n + c.offered, 0),
    accepted: chunks.reduce((n, c) => n + c.accepted, 0),
    answeredPerSecond: round(latencies.length / Math.max(0.001, wall), 1),
    latencyMs: roundAll(percentiles(latencies), 2),
    endToEndLatencyMs: roundAll(percentiles(chunks.flatMap((c) => c.e2e)), 1),
  };
}

/** The most calls in any window of `windowMs` (ms timestamps, sorted). */
function maxInWindow(times: number[], windowMs: number): number {
  let best = 0;
  for (let i = 0, j = 0; j < times.length; j++) {
    while (times[j]! - times[i]! >= windowMs) i++;
    best = Math.max(best, j - i + 1);
  }
  return best;
}

export async function runResync(engine: Engine, o: Options, machine: Machine, commit: string): Promise<ResyncResult> {
  const bulkCallsPerSecond = Number(process.env.BULK_CALLS_PER_SECOND ?? 2);
  const batchSize = Number(process.env.DELIVERY_BATCH_SIZE ?? 50);
  const timeoutMs = o.deliveryTimeoutS * 1000;
  const { measured, record } = await withEngine(engine, o, machine, commit, async (stack, watch) => {
    const stamped = stampCalls(stack.sim);
    const t0 = performance.now();
    let liveAccepted = 0;
    let bulkAccepted = 0;
    const { codes: bulkCodes, bodies: bulkBodies } = makeBodies('R', o.bulkCount);
    const bulkSet = new Set(bulkCodes);
    watch.await(bulkCodes);
    const bulkDelivered = () => bulkCodes.reduce((n, c) => n + (watch.seenAt.has(c) ? 1 : 0), 0);
    const timeline: ResyncResult['timeline'] = [];
    const ticker = setInterval(() => {
      timeline.push({ s: round((performance.now() - t0) / 1000, 0), liveAccepted, bulkAccepted, bulkDelivered: bulkDelivered(), rssMiB: mib(stack.gateway.latest().rss) });
      if (timeline.length % 10 === 0) stack.log(`resync t=${timeline.length}s live ${liveAccepted}, bulk accepted ${bulkAccepted}/${o.bulkCount}, bulk delivered ${bulkDelivered()}`);
    }, 1_000);
    try {
      // 1. Live traffic alone.
      const baselineEnd = performance.now() + o.baselineSeconds * 1000;
      const baseline = await liveTraffic(stack, watch, 'LB', o.liveRate, timeoutMs, () => performance.now() >= baselineEnd, (n) => (liveAccepted += n));
      stack.log(`baseline: ${baseline.length} chunks of live traffic at ${o.liveRate}/s`);

      // 2. The re-sync offered on the bulk lane while live traffic goes on, until the bulk is delivered.
      let bulkDone = false;
      const bulkStartedAt = performance.now();
      const live = liveTraffic(stack, watch, 'LD', o.liveRate, timeoutMs, () => bulkDone, (n) => (liveAccepted += n));
      const bulkRun = await runLoad(
        { url: stack.gateway.ready.url, path: '/v1/dossiers', headers: dossierHeaders(stack, 'bulk'), bodies: bulkBodies, connections: o.concurrency },
        (_answered, ok) => (bulkAccepted = ok),
      );
      const bulkOfferedAt = performance.now();
      stack.log(`bulk: ${bulkRun.accepted} of ${o.bulkCount} accepted in ${round(bulkRun.wallS, 1)} s; live traffic goes on until they are delivered`);
      const complete = await watch.all(bulkRun.acceptedAt.keys(), timeoutMs);
      bulkDone = true;
      const during = await live;
      return { baseline, during, bulkRun, bulkStartedAt, bulkOfferedAt, complete, stamped: [...stamped], bulkSet, bulkDelivered: bulkDelivered(), timeline, deliveryEnv: stack.deliveryEnv };
    } finally {
      clearInterval(ticker);
    }
  });

  const { bulkRun, bulkSet, stamped } = measured;
  const isBulk = (s: StampedCall) => s.call.service !== 'login' && s.call.codes.some((c) => bulkSet.has(c));
  const bulkCalls = stamped.filter(isBulk);
  const callTimes = bulkCalls.map((s) => s.at).sort((a, b) => a - b);
  const firstCall = callTimes[0] ?? 0;
  const lastCall = callTimes[callTimes.length - 1] ?? 0;
  const callWindowS = Math.max(0.001, (lastCall - firstCall) / 1000);
  const firstAccept = Math.min(...bulkRun.acceptedAt.values());
  // The first call's dossiers arrive at the window's start: the rate is what came after it.
  const deliveredPerSecond = (measured.bulkDelivered - (bulkCalls[0]?.call.codes.length ?? 0)) / callWindowS;
  const portalRefusals: Record<string, number> = {};
  for (const s of bulkCalls) if (s.call.answer !== '0') portalRefusals[s.call.answer] = (portalRefusals[s.call.answer] ?? 0) + 1;
  const offeredChunks = measured.during.filter((c) => c.startedAt < measured.bulkOfferedAt);
  const drainChunks = measured.during.filter((c) => c.startedAt >= measured.bulkOfferedAt);
  const acceptPerSecond = bulkRun.accepted / bulkRun.wallS;

  const result: ResyncResult = {
    ...record,
    mode: 'resync',
    parameters: {
      bulkCount: o.bulkCount,
      bulkConnections: o.concurrency,
      liveRate: o.liveRate,
      liveChunkSeconds: CHUNK_SECONDS,
      baselineSeconds: o.baselineSeconds,
      bulkCallsPerSecond,
      batchSize,
      warmup: o.warmup,
      logLevel: o.logLevel,
      ...(engine === 'postgres' ? { pgFsync: o.pgFsync } : {}),
      deliveryEnv: measured.deliveryEnv,
    },
    bulk: {
      accept: loadFigures(bulkRun, undefined, o.concurrency, o.bulkCount),
      delivered: measured.bulkDelivered,
      complete: measured.complete,
      drainS: round((lastCall - firstAccept) / 1000, 1),
      deliveredPerSecond: round(deliveredPerSecond, 1),
      calls: bulkCalls.length,
      itemsPerCall: round(bulkCalls.reduce((n, s) => n + s.call.codes.length, 0) / Math.max(1, bulkCalls.length), 1),
      callsPerSecond: { configured: bulkCallsPerSecond, mean: round((bulkCalls.length - 1) / callWindowS, 2), maxInAnySlidingSecond: maxInWindow(callTimes, 1000),
        // A drain shorter than 10 s has no 10 s window: its mean is the figure.
        maxOverAnyTenSeconds: callWindowS >= 10 ? maxInWindow(callTimes, 10_000) / 10 : round((bulkCalls.length - 1) / callWindowS, 2),
      },
      portalRefusals,
    },
    live: { baseline: liveFigures(measured.baseline), whileBulkOffered: liveFigures(offeredChunks), whileBulkDrains: liveFigures(drainChunks) },
    extrapolation: {
      dossiers: GO_LIVE_DOSSIERS,
      acceptHours: round(GO_LIVE_DOSSIERS / acceptPerSecond / 3600, 2),
      drainHours: round(GO_LIVE_DOSSIERS / Math.min(deliveredPerSecond, acceptPerSecond) / 3600, 2),
      basis: `extrapolated, not measured: ${GO_LIVE_DOSSIERS.toLocaleString('en-US')} ÷ the slower of the bulk rate held here (${round(deliveredPerSecond, 1)} delivered/s) and the bulk acceptance (${round(acceptPerSecond, 1)} accepted/s); the drain is bound by BULK_CALLS_PER_SECOND × DELIVERY_BATCH_SIZE, so it is linear in the count as long as the rate holds`,
    },
    timeline: measured.timeline,
    note: '',
  };
  result.note = o.note ?? resyncNote(result);
  return result;
}

function resyncNote(r: ResyncResult): string {
  const b = r.bulk;
  const held = b.callsPerSecond.maxOverAnyTenSeconds <= b.callsPerSecond.configured * 1.05;
  const used = Math.round((b.callsPerSecond.mean / b.callsPerSecond.configured) * 100);
  const { baseline, whileBulkDrains, whileBulkOffered } = r.live;
  return [
    `the bulk lane ${held ? 'stayed within' : 'EXCEEDED'} its rate and used ${used}% of it: ${b.callsPerSecond.mean} calls/s on average for ${b.callsPerSecond.configured} configured (at most ${b.callsPerSecond.maxOverAnyTenSeconds}/s over any 10 s)`,
    `${b.delivered} bulk dossiers drained in ${b.drainS} s (${b.deliveredPerSecond}/s)${b.complete ? '' : ' — INCOMPLETE'}`,
    `live p99 ${baseline.latencyMs.p99} ms alone, ${whileBulkOffered.latencyMs.p99} ms while the bulk was offered, ${whileBulkDrains.latencyMs.p99} ms while it drained; live accept→portal p99 ${baseline.endToEndLatencyMs.p99} / ${whileBulkOffered.endToEndLatencyMs.p99} / ${whileBulkDrains.endToEndLatencyMs.p99} ms`,
    `${r.extrapolation.dossiers.toLocaleString('en-US')} dossiers would drain in about ${r.extrapolation.drainHours} h (extrapolated)`,
  ].join('; ') + '.';
}
