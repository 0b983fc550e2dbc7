// The fault scenarios, at any volume: the CI tests (test/e2e/faults/) run them small and bench/faults.ts
// large. Each starts a stack (fault-harness.ts), offers traffic, strikes once a third of it is accepted,
// lets the traffic finish, waits until the portal holds every accepted message, and returns the counts
// and the facts its test asserts (what the partner was answered during the fault, how the gateway stopped).
import { Redis } from 'ioredis';
import { allDelivered, countAtPortal, sleep, startFaultStack, Traffic, type FaultCounts, type FaultStack, type FaultStackOptions, type GatewayProcess } from './fault-harness.js';

export interface ScenarioSize {
  /** Dossiers offered; each is followed by one event, so twice as many messages. */
  dossiers: number;
  concurrency: number;
  /** How long to wait for the portal to hold everything after the traffic ends (default 120 s). */
  deliveryTimeoutMs?: number;
  /** PostgreSQL to make the database in; omitted, each scenario starts its own cluster. */
  postgresAdminUrl?: string | undefined;
  /** Gateway settings that win over the scenario's own (the benchmark passes DELIVERY_* through). */
  env?: Record<string, string>;
  log?: (line: string) => void;
}

export interface ScenarioResult {
  scenario: string;
  /** Every accepted message reached the portal within the timeout. */
  complete: boolean;
  counts: FaultCounts;
  /** Outbound messages in the database at the end, by state. */
  messagesByState: Record<string, number>;
  facts: Record<string, unknown>;
  seconds: number;
}

interface Run {
  stack: FaultStack;
  traffic: Traffic;
  gateway: GatewayProcess;
  /** The moment to strike: a third of the messages accepted. */
  strike(): Promise<void>;
}

/** Portal answers take this long, so deliveries are in flight and a backlog builds when the fault strikes. */
const PORTAL_DELAY_MS = 50;
/** Small batches and two workers: many portal calls, and a backlog while the partner keeps sending. */
const DELIVERY_ENV = { DELIVERY_BATCH_SIZE: '5', DELIVERY_CONCURRENCY: '2' };

async function runScenario(
  scenario: string,
  size: ScenarioSize,
  stackOptions: FaultStackOptions,
  fault: (run: Run) => Promise<Record<string, unknown>>,
): Promise<ScenarioResult> {
  const started = Date.now();
  const log = (line: string) => size.log?.(`[${scenario}] ${line}`);
  const stack = await startFaultStack({
    postgresAdminUrl: size.postgresAdminUrl,
    ...stackOptions,
    env: { ...DELIVERY_ENV, ...stackOptions.env, ...size.env },
    log,
  });
  try {
    stack.sim.faults.set({ delayMs: PORTAL_DELAY_MS });
    const gateway = await stack.startGateway();
    const traffic = new Traffic({ url: stack.url, dossiers: size.dossiers, concurrency: size.concurrency, prefix: scenario.toUpperCase() });
    const run: Run = { stack, traffic, gateway, strike: () => traffic.acceptedAtLeast(Math.ceil((size.dossiers * 2) / 3)) };
    const facts = await fault(run);
    log('fault over; waiting for the traffic to finish');
    await traffic.done;
    log(`${traffic.accepted.size} messages accepted; waiting for delivery`);
    const complete = await allDelivered(stack.sim, traffic, size.deliveryTimeoutMs ?? 120_000);
    // The portal answers before the gateway records the outcome: let the last records land.
    const settleBy = Date.now() + 30_000;
    while (complete && (await openMessages(stack)) > 0 && Date.now() < settleBy) await sleep(100);
    const counts = countAtPortal(stack.sim, traffic);
    const states = await stack.query<{ state: string; n: number }>('SELECT state, count(*)::int AS n FROM messages GROUP BY state ORDER BY state');
    const stopped = await run.gateway.signal('SIGTERM');
    if (!complete || stopped.code !== 0) facts.gatewayOutput = await stack.gatewayOutput();
    log(`done: ${JSON.stringify(counts)}`);
    return { scenario, complete, counts, messagesByState: Object.fromEntries(states.map((r) => [r.state, r.n])), facts, seconds: (Date.now() - started) / 1000 };
  } finally {
    await stack.dispose();
  }
}

/** Open outbound messages (not yet delivered) right now: what a restart must not forget. */
async function openMessages(stack: FaultStack): Promise<number> {
  const [row] = await stack.query<{ n: number }>(`SELECT count(*)::int AS n FROM messages WHERE state IN ('pending', 'failed')`);
  return row?.n ?? 0;
}

/** Redis restarted under traffic: with its append-only file it keeps the queues; without it, the sweeper refills them from the database. */
export function redisRestart(size: ScenarioSize, appendOnly: boolean): Promise<ScenarioResult> {
  return runScenario(appendOnly ? 'redis-restart-aof' : 'redis-restart-no-aof', size, { redisAppendOnly: appendOnly }, async ({ stack, strike }) => {
    await strike();
    const openAtRestart = await openMessages(stack);
    await stack.redis.restart();
    const probe = new Redis(stack.redis.url);
    const keysAfterRestart = await probe.dbsize();
    await probe.quit();
    return { openAtRestart, keysAfterRestart };
  });
}

/** PostgreSQL stopped under traffic and started again: the API answers 503 meanwhile (never a 202 it could not keep), and delivery resumes. */
export function postgresRestart(size: ScenarioSize): Promise<ScenarioResult> {
  // A lease long enough to outlast the outage: a delivery made just before it is recorded after it, not made twice.
  return runScenario('postgres-restart', { ...size, postgresAdminUrl: undefined }, { env: { DELIVERY_LEASE_MS: '30000' } }, async ({ stack, traffic, strike }) => {
    await strike();
    const before = { ...traffic.answers };
    await stack.stopPostgres();
    // Down until the partner has been refused a few times (or 5 s, if the traffic is over).
    const deadline = Date.now() + 5_000;
    while ((traffic.answers['503'] ?? 0) - (before['503'] ?? 0) < 5 && Date.now() < deadline) await sleep(50);
    const whileDown = Object.fromEntries(Object.entries(traffic.answers).map(([k, n]) => [k, n - (before[k] ?? 0)]).filter(([, n]) => (n as number) > 0));
    await stack.startPostgres();
    return { answersWhileDown: whileDown };
  });
}

/**
 * The national portal down for longer than every retry a message gets (scaled down from an hour:
 * first answering 503, then refusing connections), then back on the same address.
 */
export function partnerOutage(size: ScenarioSize, outageMs: number): Promise<ScenarioResult> {
  return runScenario('partner-outage', size, {}, async ({ stack, strike }) => {
    await strike();
    const callsBefore = stack.sim.calls.length;
    stack.sim.faults.set({ unavailable: true });
    await sleep(outageMs / 2);
    await stack.sim.close();
    await sleep(outageMs / 2);
    // The outage must outlast the retry budget: on a loaded machine the attempts come slower than the
    // clock, so the portal stays away until an open message has had every attempt (at most a minute more).
    const maxAttempts = Number(stack.env.DELIVERY_MAX_ATTEMPTS);
    const mostAttempts = async () => (await stack.query<{ max: number }>(`SELECT coalesce(max(attempts), 0)::int AS max FROM messages WHERE state IN ('pending', 'failed')`))[0]?.max ?? 0;
    const giveUpAt = Date.now() + 60_000;
    while ((await mostAttempts()) < maxAttempts && Date.now() < giveUpAt) await sleep(100);
    const answered503 = stack.sim.calls.slice(callsBefore).filter((c) => c.answer === 'http-503').length;
    const mostAttemptsOfAnOpenMessage = await mostAttempts();
    await stack.sim.reopen();
    stack.sim.faults.clear();
    stack.sim.faults.set({ delayMs: PORTAL_DELAY_MS });
    return { outageMs, answered503, mostAttemptsOfAnOpenMessage, maxAttempts };
  });
}

/** The gateway stopped with SIGTERM under load; a new process takes over on the same port. */
export function gracefulStop(size: ScenarioSize): Promise<ScenarioResult> {
  // Slower portal answers: deliveries are in flight when the signal comes.
  return runScenario('graceful-stop', size, {}, async (run) => {
    const { stack, strike } = run;
    stack.sim.faults.set({ delayMs: 300 });
    await strike();
    const signalledAt = Date.now();
    const exit = await run.gateway.signal('SIGTERM');
    const stopMs = Date.now() - signalledAt;
    const [leases] = await stack.query<{ n: number }>(`SELECT count(*)::int AS n FROM messages WHERE lease_until > now()`);
    const openAtExit = await openMessages(stack);
    stack.sim.faults.set({ delayMs: PORTAL_DELAY_MS });
    run.gateway = await stack.startGateway();
    return { exitCode: exit.code, exitSignal: exit.signal, stopMs, leasedAtExit: leases?.n ?? 0, openAtExit };
  });
}
