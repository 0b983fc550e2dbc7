// The human-readable record: RESULTS.md's header (how to run, what each figure means) and one
// section per run, appended by bench/run.ts.
import type { BenchResult } from './run.js';

export const RESULTS_HEADER = `# Benchmark results

Recorded by \`bench/run.ts\`; newest at the bottom. Each section is one engine of one run; the full
figures (refusal kinds, queue and database counts, a per-second timeline) are in the JSON file it names.

## How to run

\`\`\`
npm run bench -- --count 5000 --concurrency 32        # both engines, about 2 minutes
npm run bench -- --engines postgres --count 20000     # one engine, more dossiers
npm run bench -- --help                               # every option
\`\`\`

It needs \`redis-server\` on the PATH and, for the PostgreSQL run, the Debian \`postgresql\` package
(server binaries under /usr/lib/postgresql/<v>/bin). It starts everything it uses privately (Redis,
PostgreSQL, the national portal simulator, the gateway) in a temp folder and removes it afterwards.
Delivery settings pass through from the environment (e.g. \`DELIVERY_BATCH_SIZE=100 npm run bench\`);
otherwise the gateway runs on its production defaults.

## What the figures mean

- **Set-up.** The gateway runs with roles \`api,worker\` and \`LGSP_MODE=production\` in a Node process
  of its own. The bench process is the load generator (undici \`Pool\`, one connection per concurrent
  sender) and also hosts the national portal simulator, so neither takes the gateway's event loop.
  Redis runs with AOF on (\`appendfsync everysec\`); PostgreSQL with fsync on unless the section says
  otherwise. A warm-up (default 200 dossiers, delivered) comes first and is not counted.
- **Accepted/s**: dossiers answered \`202\` ÷ time from the first request sent to the last answer
  received. Each body is ~2 KB: a unique dossier with three papers (allow-listed links) and two fees.
- **Request latency**: per \`POST /v1/dossiers\`, from sending to the whole answer read, at the given
  concurrency; exact percentiles over every request (nearest rank), not a histogram's estimate.
- **Delivered/s**: dossiers the simulator stored ÷ time from the first \`202\` to the moment the simulator
  held the last of them. *Drain* is how long delivery went on after the last \`202\`.
- **Accept→portal latency**: per dossier, from its \`202\` reaching the client to the simulator storing it
  (same clock: both happen in the bench process).
- **Memory** of the gateway process (\`process.memoryUsage()\` every 100 ms): *idle* just after start,
  *before* after the warm-up, *peak* during the run, *after* 2 s after the last delivery, *after GC*
  following a forced full collection (what is really retained).
- **Gateway CPU / event loop**: CPU time the gateway process used ÷ wall time (1.0 = one core), the share
  of time its event loop was busy (ELU), and event-loop delay p99, while offering.
- **Machine CPU busy**: all cores together, from /proc/stat, while offering: the gateway shares the
  machine with the database, Redis, the simulator and the load generator.
`;

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

export function renderSection(r: BenchResult, jsonFile: string): string {
  const a = r.accept;
  const d = r.delivery;
  const m = r.memoryMiB;
  const g = r.gatewayProcess.offering;
  const cores = (g.cpuUserMs + g.cpuSystemMs) / Math.max(1, g.wallMs);
  const refusals = Object.keys(a.refusals).length ? Object.entries(a.refusals).map(([k, v]) => `${k} ×${v}`).join(', ') : 'none';
  const portalRefusals = Object.keys(d.portalRefusals).length ? Object.entries(d.portalRefusals).map(([k, v]) => `${k} ×${v}`).join(', ') : 'none';
  const states = Object.entries(r.counts.messagesByState).map(([k, v]) => `${k} ${v}`).join(', ');
  const params = r.parameters;
  const lines = [
    '',
    `## ${r.date.slice(0, 16).replace('T', ' ')} UTC · ${r.engine === 'pglite' ? 'PGlite' : 'PostgreSQL'}`,
    '',
    `- **Machine**: ${r.machine.cpuModel}, ${r.machine.cores} cores, ${fmt(r.machine.ramGiB)} GiB RAM; Node ${r.machine.node}; ${r.machine.os} (${r.machine.kernel})`,
    `- **Set-up**: ${r.design}`,
    `- **Parameters**: ${fmt(a.offered)} dossiers (~${fmt(Number(params.bodyBytesMean))} B each), concurrency ${String(params.concurrency)}, warm-up ${String(params.warmup)}, LOG_LEVEL ${String(params.logLevel)}, live lane, delivery settings ${Object.keys(params.deliveryEnv as object).length ? JSON.stringify(params.deliveryEnv) : 'at their defaults'}`,
    '',
    '| Figure | Value |',
    '|---|---|',
    `| Accepted | ${fmt(a.accepted)} of ${fmt(a.offered)} in ${fmt(a.wallS, 2)} s: **${fmt(a.perSecond, 1)} accepted/s** (refusals: ${refusals}) |`,
    `| Request latency (ms) | p50 ${fmt(a.latencyMs.p50, 1)} · p90 ${fmt(a.latencyMs.p90, 1)} · p99 ${fmt(a.latencyMs.p99, 1)} · max ${fmt(a.latencyMs.max, 1)} |`,
    `| Delivered | ${fmt(d.delivered)}${d.complete ? '' : ' (INCOMPLETE: timed out)'} in ${fmt(d.windowS, 2)} s from the first 202: **${fmt(d.perSecond, 1)} delivered/s**; ${fmt(d.deliveredWhileOffering)} by the last 202, drain ${fmt(d.drainAfterLastAcceptS, 2)} s after it |`,
    `| Accept→portal latency (ms) | p50 ${fmt(d.endToEndLatencyMs.p50)} · p90 ${fmt(d.endToEndLatencyMs.p90)} · p99 ${fmt(d.endToEndLatencyMs.p99)} · max ${fmt(d.endToEndLatencyMs.max)} |`,
    `| Portal calls | ${fmt(d.portalCalls)} DongBoHoSoMC calls, ${fmt(d.itemsPerCall.mean, 1)} dossiers per call on average (max ${d.itemsPerCall.max}); refusals ${portalRefusals}; logins ${d.logins} |`,
    `| Gateway RSS (MiB) | idle ${fmt(m.idle.rss)} · before ${fmt(m.before.rss)} · peak **${fmt(m.peak.rss)}** · after ${fmt(m.after.rss)} · after GC ${fmt(m.afterGc.rss)} |`,
    `| Gateway heap used (MiB) | idle ${fmt(m.idle.heapUsed)} · before ${fmt(m.before.heapUsed)} · peak **${fmt(m.peak.heapUsed)}** · after ${fmt(m.after.heapUsed)} · after GC ${fmt(m.afterGc.heapUsed)} |`,
    `| Gateway process while offering | ${fmt(cores, 2)} cores of CPU, event loop busy ${fmt(g.eventLoopUtilization * 100)}%, loop delay p99 ${fmt(g.eventLoopDelayMs.p99, 1)} ms (max ${fmt(g.eventLoopDelayMs.max, 1)}) |`,
    `| Machine CPU busy | ${fmt(r.machineCpuBusy.offering * 100)}% while offering, ${fmt(r.machineCpuBusy.untilDelivered * 100)}% until delivered |`,
    `| Afterwards | messages: ${states}; ${fmt(r.counts.deliveryAttempts)} delivery attempts; database ${fmt(r.storage.databaseBytes / 1024 / 1024, 1)} MiB; Redis ${fmt(r.storage.redisUsedMemoryBytes / 1024 / 1024, 1)} MiB; ${fmt(r.logs.lines)} log lines (${fmt(r.logs.bytes / 1024 / 1024, 1)} MiB) |`,
    '',
    `**Note**: ${r.note}`,
    '',
    `Full figures: [${jsonFile}](${jsonFile})`,
    '',
  ];
  return lines.join('\n');
}
