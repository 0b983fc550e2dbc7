// The human-readable record: RESULTS.md's header (how to run, what each figure means) and one
// section per engine of each run, appended by bench/run.ts.
import { judgeSustained, SUSTAINED_AIMS } from './aims.js';
import type { PhaseResult } from './phase.js';
import type { ResyncResult } from './resync.js';
import type { BenchResult } from './run.js';
import type { RunRecord } from './engine.js';
import type { Percentiles } from './stats.js';

export const RESULTS_HEADER = `# Benchmark results

Recorded by \`bench/run.ts\` (and the audit-log and signature benchmarks); newest at the bottom. Each
section is one engine of one run; the full figures (refusal kinds, queue and database counts, a
per-second timeline) are in the JSON file it names. How to run and what the figures mean:
[README.md](README.md).
`;

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const pct = (p: Percentiles, digits = 1) => `p50 ${fmt(p.p50, digits)} · p90 ${fmt(p.p90, digits)} · p99 ${fmt(p.p99, digits)} · max ${fmt(p.max, digits)}`;
const counted = (o: Record<string, number>) => (Object.keys(o).length ? Object.entries(o).map(([k, v]) => `${k} ×${v}`).join(', ') : 'none');

function head(r: RunRecord, title: string, parameters: string): string[] {
  return [
    '',
    `## ${r.date.slice(0, 16).replace('T', ' ')} UTC · ${r.engine === 'pglite' ? 'PGlite' : 'PostgreSQL'} · ${title}`,
    '',
    `- **Machine**: ${r.machine.cpuModel}, ${r.machine.cores} cores, ${fmt(r.machine.ramGiB)} GiB RAM; Node ${r.machine.node}; ${r.machine.os} (${r.machine.kernel})`,
    `- **Commit**: ${r.commit}`,
    `- **Set-up**: ${r.design}`,
    `- **Parameters**: ${parameters}`,
    '',
  ];
}

function tail(r: RunRecord, jsonFile: string): string[] {
  const m = r.memoryMiB;
  const states = Object.entries(r.counts.messagesByState).map(([k, v]) => `${k} ${v}`).join(', ');
  return [
    `| Gateway RSS (MiB) | idle ${fmt(m.idle.rss)} · before ${fmt(m.before.rss)} · peak **${fmt(m.peak.rss)}** · after ${fmt(m.after.rss)} · after GC ${fmt(m.afterGc.rss)} |`,
    `| Gateway heap used (MiB) | idle ${fmt(m.idle.heapUsed)} · before ${fmt(m.before.heapUsed)} · peak **${fmt(m.peak.heapUsed)}** · after ${fmt(m.after.heapUsed)} · after GC ${fmt(m.afterGc.heapUsed)} |`,
    `| Afterwards | messages: ${states}; ${fmt(r.counts.deliveryAttempts)} delivery attempts; database ${fmt(r.storage.databaseBytes / 1024 / 1024, 1)} MiB; Redis ${fmt(r.storage.redisUsedMemoryBytes / 1024 / 1024, 1)} MiB; ${fmt(r.logs.lines)} log lines (${fmt(r.logs.bytes / 1024 / 1024, 1)} MiB) |`,
    '',
    `**Note**: ${r.note}`,
    '',
    `Full figures: [${jsonFile}](${jsonFile})`,
    '',
  ];
}

function processRow(label: string, p: PhaseResult): string {
  const loops = Object.entries(p.gatewayProcesses).map(([name, { offering: g }]) => {
    const cores = (g.cpuUserMs + g.cpuSystemMs) / Math.max(1, g.wallMs);
    return `${name === 'gateway' ? '' : `${name}: `}${fmt(cores, 2)} cores of CPU, event loop busy ${fmt(g.eventLoopUtilization * 100)}%, loop delay p99 ${fmt(g.eventLoopDelayMs.p99, 1)} ms`;
  });
  const wallMs = p.cpu.offering.wallMs;
  return `| Gateway process${loops.length > 1 ? 'es' : ''}, ${label} | ${loops.join(' · ')}; machine ${fmt(p.machineCpuBusy.offering * 100)}% busy; load generator ${fmt(p.loadGeneratorCpuMs / Math.max(1, wallMs), 2)} cores |`;
}

const PROCESS_LABELS: Record<string, string> = { postgres: 'PostgreSQL', redis: 'Redis', total: '**all**' };

/**
 * CPU per accepted dossier by process over the whole phase (offered → every accepted dossier at the
 * portal: the cost of accepting and delivering it), and the cores each used while the load was offered.
 */
function cpuRow(label: string, p: PhaseResult): string {
  const whole = p.cpu.untilDelivered.processes;
  const offering = p.cpu.offering.processes;
  const names = Object.keys(whole);
  const perDossier = names.map((n) => `${PROCESS_LABELS[n] ?? n} ${fmt(whole[n]!.msPerAccepted, 3)}`).join(' · ');
  const cores = names.map((n) => `${PROCESS_LABELS[n] ?? n} ${fmt(offering[n]!.cores, 2)}`).join(' · ');
  const pglite = p.cpu.databaseInGateway ? ' PGlite runs inside the gateway process: the database\'s CPU is in the gateway\'s.' : '';
  return `| CPU, ${label} | ms per accepted dossier, offered → all at the portal: ${perDossier}. Cores while offering: ${cores}.${pglite} |`;
}

/** Dossiers at the portal whose 202 never came back: in flight when a run by duration stopped. */
const unanswered = (p: PhaseResult) => (p.delivery.deliveredUnanswered ? ` (${fmt(p.delivery.deliveredUnanswered)} of them in flight, unanswered, when the load stopped)` : '');

function sustainedRows(r: BenchResult): string[] {
  const u = r.sustained;
  if (!u) return [];
  const v = judgeSustained(u, r.saturation.load.perSecond);
  const b = u.backlog;
  const verdict = (name: string, value: string, why: string) => `${name}: **${value}**${why ? ` (${why})` : ''}`;
  return [
    `| Sustained ${fmt(v.rate)}/s for ${String(r.parameters.sustainedSeconds)} s (${u.load.connections} connections) | **${fmt(u.load.perSecond, 1)} accepted/s** (${fmt(u.load.accepted)} of ${fmt(u.load.offered)} answered; refusals ${counted(u.load.refusals)}); request ${pct(u.load.latencyMs)} ms |`,
    `| Delivery at the sustained rate | ${fmt(u.delivery.delivered)}${u.delivery.complete ? '' : ' (INCOMPLETE: timed out)'} delivered${unanswered(u)}; **${fmt(b.deliveredPerSecondSecondHalf, 1)} delivered/s against ${fmt(b.acceptedPerSecondSecondHalf, 1)} accepted/s over the second half**; ${fmt(u.delivery.perSecondWhileOffering, 1)} delivered/s over the whole offering; backlog max ${fmt(b.max)}, ${fmt(b.atEnd)} at the last 202, growing ${fmt(b.growthPerSecondSecondHalf, 1)}/s over the second half; drain ${fmt(u.delivery.drainAfterLastAcceptS, 2)} s; accept→portal ${pct(u.delivery.endToEndLatencyMs, 0)} ms |`,
    processRow(`at ${fmt(v.rate)}/s sustained`, u),
    cpuRow(`at ${fmt(v.rate)}/s sustained`, u),
    `| Aims, sustained | ${verdict(`≥ ${fmt(SUSTAINED_AIMS.firstStep)}/s sustained with delivery keeping up (first step)`, v.firstStep, v.why.firstStep)} · ${verdict(`≥ ${fmt(SUSTAINED_AIMS.goal)}/s (goal)`, v.goal, v.why.goal)} · ${verdict(`p99 < ${SUSTAINED_AIMS.p99Ms} ms at ${fmt(SUSTAINED_AIMS.p99AtRate)}/s offered`, v.p99, v.why.p99)}. Held: accepted/s ≥ 98% of the rate (autocannon's one-second ticks); keeping up: all delivered, and delivered/s ≥ 95% of accepted/s over the second half |`,
  ];
}

function multiProcessRows(r: BenchResult): string[] {
  const mp = r.multiProcess;
  if (!mp) return [];
  const m = mp.saturation;
  const states = Object.entries(mp.counts.messagesByState).map(([k, v]) => `${k} ${v}`).join(', ');
  return [
    `| ${mp.layout.api} API + ${mp.layout.worker} worker processes (same PostgreSQL and Redis), saturation ${String(r.parameters.seconds) === '0' ? 'by count' : `${String(r.parameters.seconds)} s`} spread over the API processes | **${fmt(m.load.perSecond, 1)} accepted/s** (${fmt(m.load.perSecond / Math.max(1, r.saturation.load.perSecond), 2)}× the single process; refusals ${counted(m.load.refusals)}); request ${pct(m.load.latencyMs)} ms; **${fmt(m.delivery.perSecond, 1)} delivered/s** (${fmt(m.delivery.delivered)} delivered${m.delivery.complete ? '' : ', INCOMPLETE: timed out'})${unanswered(m)}, drain ${fmt(m.delivery.drainAfterLastAcceptS, 2)} s after the last 202; peak RSS ${mp.processes.map((p) => `${p.name} ${fmt(p.peakRssMiB)}`).join(' · ')} MiB; afterwards messages: ${states} |`,
    processRow('multi-process', m),
    cpuRow('multi-process', m),
  ];
}

function renderAccept(r: BenchResult, jsonFile: string): string {
  const { saturation: s, fixedRate: f, bare, ratio } = r;
  const p = r.parameters;
  const rate = f.load.rate ?? 0;
  const reached = f.load.answeredPerSecond >= 0.95 * rate;
  const keepsUp = f.backlog.growthPerSecondSecondHalf < 0.05 * rate;
  const lines = [
    ...head(
      r,
      'acceptance',
      `saturation ${p.seconds ? `${String(p.seconds)} s (${fmt(s.load.offered)} answered)` : `${fmt(s.load.offered)} dossiers`} (~${fmt(Number(p.bodyBytesMean))} B each) from ${s.load.connections} connections; fixed rate ${fmt(rate)}/s for ${String(p.rateSeconds)} s from ${f.load.connections} connections; ${r.sustained ? `sustained ${fmt(r.sustained.load.rate ?? 0)}/s for ${String(p.sustainedSeconds)} s from ${r.sustained.load.connections} connections; ` : ''}${r.multiProcess ? `${r.multiProcess.layout.api} API + ${r.multiProcess.layout.worker} worker processes at saturation; ` : ''}warm-up ${String(p.warmup)}; LOG_LEVEL ${String(p.logLevel)}; live lane; delivery settings ${Object.keys(p.deliveryEnv as object).length ? JSON.stringify(p.deliveryEnv) : 'at their defaults'}`,
    ),
    '| Figure | Gateway `POST /v1/dossiers` | Bare Fastify route (parse only) | Gateway ÷ bare |',
    '|---|---|---|---|',
    `| Saturation | **${fmt(s.load.perSecond, 1)} accepted/s** (${fmt(s.load.accepted)} of ${fmt(s.load.offered)}; refusals ${counted(s.load.refusals)}) | ${fmt(bare.parse.perSecond, 1)}/s (${fmt(bare.validate.perSecond, 1)}/s with the Dossier schema) | **${fmt(ratio.throughput * 100, 1)}%** (${fmt(ratio.throughputToValidated * 100, 1)}% of parse + schema) |`,
    `| Latency at saturation (ms) | ${pct(s.load.latencyMs)} | ${pct(bare.parse.latencyMs)} | |`,
    ...(r.naive
      ? [
          `| Naive durable service (schema + one INSERT per request, autocommit, pool 10, same PostgreSQL) | gateway ${fmt(s.load.perSecond, 1)} accepted/s | ${fmt(r.naive.perSecond, 1)}/s; p50/p99 ${fmt(r.naive.latencyMs.p50, 1)} / ${fmt(r.naive.latencyMs.p99, 1)} ms | **${fmt((ratio.throughputToNaive ?? 0) * 100, 1)}%** of the naive service |`,
        ]
      : []),
    `| At ${fmt(rate)}/s offered | ${fmt(f.load.answeredPerSecond, 1)} answered/s; refusals ${counted(f.load.refusals)} | ${fmt(bare.parseAtRate.answeredPerSecond, 1)} answered/s | |`,
    `| Latency at ${fmt(rate)}/s (ms) | **${pct(f.load.latencyMs)}** | ${pct(bare.parseAtRate.latencyMs)} | p50 ×${fmt(ratio.p50AtRate, 1)} · p99 ×${fmt(ratio.p99AtRate, 1)} |`,
    `| RSS (MiB) | peak ${fmt(r.memoryMiB.peak.rss)} | peak ${fmt(bare.rssMiB.peak)} | |`,
    '',
    '| Figure | Value |',
    '|---|---|',
    `| Delivered, saturation phase | ${fmt(s.delivery.delivered)}${s.delivery.complete ? '' : ' (INCOMPLETE: timed out)'}${unanswered(s)} in ${fmt(s.delivery.windowS, 2)} s from the first 202: **${fmt(s.delivery.perSecond, 1)} delivered/s**; ${fmt(s.delivery.deliveredWhileOffering)} by the last 202, drain ${fmt(s.delivery.drainAfterLastAcceptS, 2)} s after it |`,
    `| Delivered, fixed-rate phase | ${fmt(f.delivery.delivered)}${f.delivery.complete ? '' : ' (INCOMPLETE: timed out)'}: **${fmt(f.delivery.perSecondWhileOffering, 1)} delivered/s while ${fmt(rate)}/s were offered**; backlog max ${fmt(f.backlog.max)}, ${fmt(f.backlog.atEnd)} at the last 202, growing ${fmt(f.backlog.growthPerSecondSecondHalf, 1)}/s over the second half; drain ${fmt(f.delivery.drainAfterLastAcceptS, 2)} s after the last 202 |`,
    `| Accept→portal latency (ms) | saturation ${pct(s.delivery.endToEndLatencyMs, 0)}; at ${fmt(rate)}/s ${pct(f.delivery.endToEndLatencyMs, 0)} |`,
    `| Portal calls | ${fmt(s.delivery.portalCalls + f.delivery.portalCalls)} DongBoHoSoMC calls, ${fmt(s.delivery.itemsPerCall.mean, 1)} / ${fmt(f.delivery.itemsPerCall.mean, 1)} dossiers per call on average; refusals ${counted({ ...s.delivery.portalRefusals, ...f.delivery.portalRefusals })} |`,
    processRow('saturation', s),
    processRow(`at ${fmt(rate)}/s`, f),
    cpuRow('saturation', s),
    cpuRow(`at ${fmt(rate)}/s`, f),
    ...sustainedRows(r),
    ...multiProcessRows(r),
    ...tail(r, jsonFile).slice(0, 3),
    `| Aims | ≥ 1,000 accepted/s: **${s.load.perSecond >= 1000 ? 'met' : 'not met'}** · p99 < 50 ms at ${fmt(rate)}/s: **${reached && f.load.latencyMs.p99 < 50 ? 'met' : 'not met'}**${reached ? '' : ' (the rate was not reached)'} · delivery keeps up with the ${fmt(f.load.perSecond, 1)}/s accepted: **${keepsUp ? 'yes' : 'no'}** |`,
    ...tail(r, jsonFile).slice(3),
  ];
  return lines.join('\n');
}

function renderResync(r: ResyncResult, jsonFile: string): string {
  const b = r.bulk;
  const p = r.parameters;
  const live = r.live;
  const liveRow = (label: string, l: ResyncResult['live']['baseline']) =>
    `| Live, ${label} | ${fmt(l.accepted)} of ${fmt(l.offered)} accepted (${fmt(l.answeredPerSecond, 1)}/s); request ${pct(l.latencyMs)} ms; accept→portal ${pct(l.endToEndLatencyMs, 0)} ms |`;
  const lines = [
    ...head(
      r,
      'go-live re-sync',
      `${fmt(b.accept.offered)} dossiers on the bulk lane from ${b.accept.connections} connections, as fast as accepted; live traffic ${String(p.liveRate)}/s throughout (${String(p.baselineSeconds)} s alone first); bulk lane held to ${String(p.bulkCallsPerSecond)} calls/s of up to ${String(p.batchSize)} dossiers; LOG_LEVEL ${String(p.logLevel)}`,
    ),
    '| Figure | Value |',
    '|---|---|',
    `| Bulk accepted | ${fmt(b.accept.accepted)} of ${fmt(b.accept.offered)} in ${fmt(b.accept.wallS, 1)} s: ${fmt(b.accept.perSecond, 1)} accepted/s; request ${pct(b.accept.latencyMs)} ms; refusals ${counted(b.accept.refusals)} |`,
    `| Bulk drained | ${fmt(b.delivered)}${b.complete ? '' : ' (INCOMPLETE: timed out)'} in **${fmt(b.drainS, 1)} s** from the first bulk 202: **${fmt(b.deliveredPerSecond, 1)} dossiers/s** |`,
    `| Bulk lane's rate | ${fmt(b.calls)} calls, ${fmt(b.itemsPerCall, 1)} dossiers each; **${fmt(b.callsPerSecond.mean, 2)} calls/s** on average for ${b.callsPerSecond.configured} configured; at most ${fmt(b.callsPerSecond.maxOverAnyTenSeconds, 1)}/s over any 10 s (worst single second ${b.callsPerSecond.maxInAnySlidingSecond}, arrival jitter included); portal refusals ${counted(b.portalRefusals)} |`,
    liveRow('alone (baseline)', live.baseline),
    liveRow('while the bulk was offered', live.whileBulkOffered),
    liveRow('while the bulk drained', live.whileBulkDrains),
    `| ${fmt(r.extrapolation.dossiers)} dossiers | **about ${fmt(r.extrapolation.drainHours, 2)} h to drain** (accepting them: ${fmt(r.extrapolation.acceptHours, 2)} h); ${r.extrapolation.basis} |`,
    ...tail(r, jsonFile),
  ];
  return lines.join('\n');
}

export function renderSection(r: BenchResult | ResyncResult, jsonFile: string): string {
  return r.mode === 'resync' ? renderResync(r, jsonFile) : renderAccept(r, jsonFile);
}
