// `npm run bench:faults -- --dossiers 2000`: the fault scenarios of test/e2e/faults/ at a larger volume.
//
// Each scenario (test/support/fault-scenarios.ts) starts its own redis-server, PostgreSQL cluster,
// national portal simulator and gateway process (src/server.ts, roles api+worker, production mode),
// offers N dossiers each followed by one event, strikes once a third of the messages are accepted
// (Redis restarted with and without AOF, PostgreSQL restarted, the portal down past every retry, the
// gateway stopped with SIGTERM and replaced), and counts at the portal: accepted, delivered,
// duplicates, lost. It records bench/results/<date>-faults.json and a section of bench/RESULTS.md.
import { execFileSync } from 'node:child_process';
import { appendFile, mkdir, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { disposeTestPki } from '../test/support/pki.js';
import { gracefulStop, partnerOutage, postgresRestart, redisRestart, type ScenarioResult, type ScenarioSize } from '../test/support/fault-scenarios.js';
import { describeMachine, type Machine } from './machine.js';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.dirname(BENCH_DIR);

const SCENARIOS = {
  'redis-restart-aof': (size: ScenarioSize) => redisRestart(size, true),
  'redis-restart-no-aof': (size: ScenarioSize) => redisRestart(size, false),
  'postgres-restart': (size: ScenarioSize) => postgresRestart(size),
  'partner-outage': (size: ScenarioSize, o: Options) => partnerOutage(size, o.outageMs),
  'graceful-stop': (size: ScenarioSize) => gracefulStop(size),
} as const;
type ScenarioName = keyof typeof SCENARIOS;

interface Options {
  dossiers: number;
  concurrency: number;
  scenarios: ScenarioName[];
  outageMs: number;
  deliveryTimeoutS: number;
  record: boolean;
  note: string | undefined;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      dossiers: { type: 'string', default: '2000' },
      concurrency: { type: 'string', default: '16' },
      scenarios: { type: 'string', default: Object.keys(SCENARIOS).join(',') },
      'outage-ms': { type: 'string', default: '20000' },
      'delivery-timeout': { type: 'string', default: '600' },
      'dry-run': { type: 'boolean', default: false },
      note: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      [
        'npm run bench:faults -- [options]',
        '  --dossiers N          dossiers offered per scenario, each followed by one event (default 2000)',
        '  --concurrency C       concurrent senders (default 16)',
        `  --scenarios LIST      any of ${Object.keys(SCENARIOS).join(',')} (default all)`,
        '  --outage-ms MS        how long the portal is down in partner-outage (default 20000)',
        '  --delivery-timeout S  give up waiting for delivery after S seconds (default 600)',
        '  --note TEXT           the one-line note for RESULTS.md',
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
  const scenarios = values.scenarios.split(',').map((s) => s.trim()) as ScenarioName[];
  for (const s of scenarios) if (!(s in SCENARIOS)) throw new Error(`unknown scenario "${s}"; known: ${Object.keys(SCENARIOS).join(', ')}`);
  return {
    dossiers: int('dossiers', values.dossiers, 3),
    concurrency: int('concurrency', values.concurrency, 1),
    scenarios,
    outageMs: int('outage-ms', values['outage-ms'], 100),
    deliveryTimeoutS: int('delivery-timeout', values['delivery-timeout'], 1),
    record: !values['dry-run'],
    note: values.note,
  };
}

interface FaultsBenchResult {
  date: string;
  commit: string;
  machine: Machine;
  loadAverageAtStart: number[];
  parameters: Record<string, unknown>;
  results: ScenarioResult[];
  note: string;
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const machine = await describeMachine();
  const date = new Date().toISOString();
  const loadAverageAtStart = os.loadavg().map((n) => Math.round(n * 100) / 100);
  const passThrough = Object.fromEntries(
    Object.entries(process.env).filter(([k, v]) => v !== undefined && /^(DELIVERY_|BULK_CALLS|SWEEP_|NATIONAL_PORTAL_TIMEOUT)/.test(k)),
  ) as Record<string, string>;
  const size: ScenarioSize = {
    dossiers: o.dossiers,
    concurrency: o.concurrency,
    deliveryTimeoutMs: o.deliveryTimeoutS * 1000,
    env: { ...passThrough, LOG_LEVEL: 'warn' },
    log: (line) => process.stderr.write(`[faults] ${line}\n`),
  };
  const results: ScenarioResult[] = [];
  try {
    for (const name of o.scenarios) {
      process.stderr.write(`[faults] ${name}: ${o.dossiers} dossiers and as many events from ${o.concurrency} senders\n`);
      results.push(await SCENARIOS[name](size, o));
    }
  } finally {
    disposeTestPki();
  }

  const failed = results.filter((r) => !r.complete || r.counts.lost > 0 || r.counts.duplicates > 0);
  const result: FaultsBenchResult = {
    date,
    commit: gitCommit(),
    machine,
    loadAverageAtStart,
    parameters: { dossiers: o.dossiers, concurrency: o.concurrency, outageMs: o.outageMs, deliveryTimeoutS: o.deliveryTimeoutS, deliveryEnv: passThrough },
    results,
    note: o.note ?? (failed.length ? `FAILED: ${failed.map((r) => r.scenario).join(', ')}` : 'every accepted message delivered exactly once in effect in every scenario'),
  };
  process.stdout.write(`${JSON.stringify(results.map((r) => ({ scenario: r.scenario, complete: r.complete, ...r.counts, seconds: r.seconds })), null, 2)}\n`);
  if (!o.record) {
    process.stdout.write(renderSection(result, undefined));
  } else {
    const resultsDir = path.join(BENCH_DIR, 'results');
    await mkdir(resultsDir, { recursive: true });
    const day = date.slice(0, 10);
    let file = path.join(resultsDir, `${day}-faults.json`);
    for (let n = 2; await exists(file); n++) file = path.join(resultsDir, `${day}-faults-${n}.json`);
    await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
    await appendFile(path.join(BENCH_DIR, 'RESULTS.md'), renderSection(result, path.relative(BENCH_DIR, file)));
    process.stderr.write(`[faults] recorded ${path.relative(REPO, file)} and bench/RESULTS.md\n`);
  }
  if (failed.length) process.exitCode = 1;
}

function renderSection(r: FaultsBenchResult, jsonFile: string | undefined): string {
  const m = r.machine;
  const p = r.parameters;
  const answers = (a: Record<string, number>) =>
    Object.entries(a)
      .sort(([x], [y]) => x.localeCompare(y))
      .map(([k, n]) => `${k}: ${n}`)
      .join(', ');
  const overrides = answers(p.deliveryEnv as Record<string, number>);
  const facts = (f: Record<string, unknown>) =>
    Object.entries(f)
      .filter(([k]) => k !== 'gatewayOutput')
      .map(([k, v]) => `${k} ${v !== null && typeof v === 'object' ? answers(v as Record<string, number>) : String(v)}`)
      .join('; ');
  return [
    '',
    `## ${r.date.slice(0, 16).replace('T', ' ')} UTC · Faults (${p.dossiers} dossiers + ${p.dossiers} events per scenario)`,
    '',
    `- **Machine**: ${m.cpuModel}, ${m.cores} cores, ${m.ramGiB} GiB RAM; Node ${m.node}; ${m.os}; load average ${r.loadAverageAtStart.join(' ')} at the start; commit ${r.commit}`,
    `- **Set-up**: per scenario a private redis-server (AOF on unless the scenario says no), PostgreSQL cluster (fsync off), portal simulator (answers after 50 ms) and gateway process (\`src/server.ts\`, roles api+worker, production mode, the test delivery settings: batches of 5, 2 workers, backoff 50–400 ms, 6 attempts, sweep every 300 ms${overrides ? `; overridden: ${overrides}` : ''}). ${p.concurrency} senders offer each dossier, then its event, and retry a 503 or a refused connection with the same body. The fault strikes once a third of the messages are accepted. Portal outage: ${p.outageMs} ms (half 503s, half connections refused). Run with \`npm run bench:faults -- --dossiers ${p.dossiers} --concurrency ${p.concurrency}\`.`,
    '- **How to read it**: *accepted* counts messages answered 202; *delivered* those whose effect the portal simulator holds; *duplicates* effects it recorded twice; *lost* accepted but never delivered; *resent* creates the portal already had, resent as identical updates (an at-least-once repeat it absorbs). *Answers* are what the senders got, retries included.',
    ...(jsonFile ? [`- **Full figures**: [${jsonFile}](${jsonFile})`] : []),
    `- **Note**: ${r.note}`,
    '',
    '| Scenario | accepted | delivered | duplicates | lost | resent | answers | facts | s |',
    '|---|---:|---:|---:|---:|---:|---|---|---:|',
    ...r.results.map(
      (s) =>
        `| ${s.scenario}${s.complete ? '' : ' (incomplete)'} | ${s.counts.accepted} | ${s.counts.delivered} | **${s.counts.duplicates}** | **${s.counts.lost}** | ${s.counts.resentAsUpdate} | ${answers(s.counts.answers)} | ${facts(s.facts)} | ${Math.round(s.seconds)} |`,
    ),
    '',
  ].join('\n');
}

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

main().catch((error: Error) => {
  process.stderr.write(`${error.stack ?? error.message}\n`);
  process.exit(1);
});
