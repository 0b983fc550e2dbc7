// Scale-out (issue 17): two API processes and two worker processes, each a Node process started as
// production starts it, against one PostgreSQL and one Redis. Clients offer unique dossiers to both
// APIs; mid-run one API and one worker are killed with SIGKILL and a replacement worker starts. Once
// delivery has drained, every 202 is counted against the stored dossiers, the message log and what
// the national portal simulator received: nothing answered 202 is lost, nothing is stored, logged or
// delivered twice. Requests the API kill cut off without an answer may or may not have committed:
// each is either wholly there (dossier, log record, delivered) or wholly absent.
//
// Toward the portal the promise is at-least-once with exactly-once effect (docs/delivery.md): a
// worker killed after the portal kept a call's items but before it recorded the outcome leaves the
// items leased; once the lease runs out another worker sends them again, the portal answers "already
// exists" and the gateway resends the item as an update. So the simulator may see a dossier twice
// (one `create:`, then `update:`), but it keeps one item per dossier code, and the gateway records
// one delivery per message.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNationalPortalSimulator, type PortalSimulator } from '../../adapters/national-portal/index.js';
import { KEYS, eventually, gatewayEnvironment } from '../support/gateway.js';
import { GatewayProcesses, type GatewayProcess } from '../support/gateway-processes.js';
import { sampleDossier } from '../support/dossiers.js';
import { freshDatabaseUrl, freshRedisPrefix, testRedisUrl } from '../support/services.js';

const CLIENTS = 8;
/** Load runs at least this long, and at least LOAD_AFTER_KILL_MS past the kills. */
const LOAD_MS = 15_000;
const LOAD_AFTER_KILL_MS = 5_000;
/** A bound on what the drain must deliver, whatever the machine's speed. */
const MAX_OFFERED = 4_000;

type Outcome = { code: string; api: string } & ({ kind: 'accepted' } | { kind: 'refused'; status: number } | { kind: 'no-answer'; error: string });

describe('scale-out: 2 API + 2 worker processes, one of each killed under load (postgres)', () => {
  let work: string;
  let sim: PortalSimulator;
  let processes: GatewayProcesses | undefined;
  let pool: pg.Pool;
  let env: Record<string, string>;
  const api: GatewayProcess[] = [];
  const workers: GatewayProcess[] = [];

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'lgsp-scale-out-'));
    sim = await startNationalPortalSimulator();
    const databaseUrl = await freshDatabaseUrl();
    pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
    ({ env } = await gatewayEnvironment({
      dataDir: work,
      portalUrl: sim.url,
      redisUrl: testRedisUrl(),
      redisPrefix: freshRedisPrefix(),
      databaseUrl,
      env: {
        LOG_LEVEL: 'warn',
        // One partner at full speed: the test is about losing nothing, not about the rate limit.
        RATE_LIMIT_PARTNER_PER_MINUTE: '100000000',
        DELIVERY_CONCURRENCY: '4',
        DELIVERY_BATCH_SIZE: '25',
        // A killed worker's leases run out soon, and the sweeper looks often.
        DELIVERY_LEASE_MS: '5000',
        SWEEP_INTERVAL_MS: '500',
      },
    }));
    processes = new GatewayProcesses(env, work);
    // Four processes migrating one fresh database at once: the advisory lock lets one do it.
    const started = await Promise.all([processes.start('api-a', 'api'), processes.start('api-b', 'api'), processes.start('worker-a', 'worker'), processes.start('worker-b', 'worker')]);
    api.push(...started.slice(0, 2));
    workers.push(...started.slice(2));
  }, 150_000);

  afterAll(async () => {
    await processes?.stopAll();
    await pool?.end();
    await sim?.close();
    if (work) await rm(work, { recursive: true, force: true });
  }, 60_000);

  it('loses nothing answered 202 and stores, logs and delivers each dossier once', { timeout: 240_000 }, async () => {
    // A slow portal call widens the window in which the worker kill lands between the portal keeping
    // a call's items and the worker recording the outcome.
    sim.faults.set({ delayMs: 150 });
    const outcomes: Outcome[] = [];
    let live = [...api];
    let stopping = false;
    let offered = 0;

    const client = async (c: number) => {
      for (let n = 0; !stopping && offered < MAX_OFFERED; n++) {
        offered += 1;
        const target = live[(c + n) % live.length]!;
        const code = `SO-${c}-${n}`;
        try {
          const response = await request(`${target.url}/v1/dossiers`, {
            method: 'POST',
            headers: { 'x-api-key': KEYS.oneStop, 'content-type': 'application/json' },
            body: JSON.stringify(sampleDossier(code)),
            headersTimeout: 60_000,
            bodyTimeout: 60_000,
          });
          await response.body.dump();
          outcomes.push(response.statusCode === 202 ? { code, api: target.name, kind: 'accepted' } : { code, api: target.name, kind: 'refused', status: response.statusCode });
        } catch (error) {
          outcomes.push({ code, api: target.name, kind: 'no-answer', error: (error as Error).message });
        }
      }
    };
    const started = Date.now();
    const load = Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));

    // Kill once both roles are busy: dossiers accepted and the portal receiving.
    await eventually(() => outcomes.filter((o) => o.kind === 'accepted').length >= 300 && sim.receivedOrder.length >= 100, 'load accepted and delivering', 90_000, 50);
    const [killedApi, survivingApi] = [api[0]!, api[1]!];
    // The portal holds every call for a while before it keeps the items, so the worker is most likely
    // killed with calls in flight (nothing below depends on it).
    sim.faults.set({ delayMs: 1500 });
    await new Promise((r) => setTimeout(r, 1000));
    await Promise.all([killedApi.kill(), workers[0]!.kill()]);
    sim.faults.set({ delayMs: 150 });
    live = [survivingApi]; // the load balancer takes the dead instance out
    const killedAt = Date.now();
    const replacement = await processes!.start('worker-c', 'worker');
    workers.push(replacement);
    const stopAt = Math.max(started + LOAD_MS, killedAt + LOAD_AFTER_KILL_MS);
    await Promise.race([load, new Promise((r) => setTimeout(r, Math.max(0, stopAt - Date.now())))]);
    stopping = true;
    await load;

    const accepted = new Set(outcomes.filter((o) => o.kind === 'accepted').map((o) => o.code));
    const refused = outcomes.filter((o) => o.kind === 'refused');
    const unanswered = outcomes.filter((o) => o.kind === 'no-answer');
    expect(accepted.size).toBeGreaterThan(300);
    // Nothing but the kill may leave a request unanswered, and only requests to the killed API.
    expect(unanswered.filter((o) => o.api !== killedApi.name)).toEqual([]);
    // A refusal may only be the honest "not now" (503), and must leave nothing behind (checked below).
    expect(refused.map((o) => o.status).filter((status) => status !== 503)).toEqual([]);

    // Drain: every message of the dossiers that exist is delivered, and the portal has each one.
    await eventually(
      async () => {
        const { rows } = await pool.query<{ open: number; total: number }>(`SELECT count(*) FILTER (WHERE state <> 'delivered')::int AS open, count(*)::int AS total FROM messages`);
        return rows[0]!.total >= accepted.size && rows[0]!.open === 0;
      },
      'every stored message delivered',
      120_000,
      500,
    );

    const count = async (sql: string) => new Map((await pool.query<{ key: string; n: number }>(sql)).rows.map((r) => [r.key, r.n]));
    const stored = await count(`SELECT code AS key, 1 AS n FROM dossiers`);
    const acceptedRecords = await count(`SELECT dossier_code AS key, count(*)::int AS n FROM message_log WHERE direction = 'in' AND outcome = 'accepted' GROUP BY dossier_code`);
    const messages = await count(`SELECT dossier_code AS key, count(*)::int AS n FROM messages WHERE destination = 'national-portal' GROUP BY dossier_code`);
    const deliveries = await count(
      `SELECT m.dossier_code AS key, count(*)::int AS n FROM message_log l JOIN messages m ON m.id = l.message_id
       WHERE l.direction = 'out' AND l.outcome = 'delivered' AND l.endpoint LIKE 'national-portal:%' GROUP BY m.dossier_code`,
    );
    const atPortal = (code: string) => sim.dossiers.has(code);
    const creates = new Map<string, number>();
    const updates = new Map<string, number>();
    for (const entry of sim.receivedOrder) {
      const [kind, code] = entry.split(':') as [string, string];
      const seen = kind === 'create' ? creates : kind === 'update' ? updates : undefined;
      seen?.set(code, (seen.get(code) ?? 0) + 1);
    }
    const whole = (code: string) => stored.has(code) && acceptedRecords.get(code) === 1 && messages.get(code) === 1 && deliveries.get(code) === 1 && atPortal(code);
    const absent = (code: string) => !stored.has(code) && !acceptedRecords.has(code) && !messages.has(code) && !deliveries.has(code) && !atPortal(code);

    // Every 202: stored once, one 'in' record, one message, delivered once in the log, at the portal.
    expect([...accepted].filter((code) => !whole(code))).toEqual([]);
    // A request cut off by the kill is either wholly there or wholly absent.
    const cutCommitted = unanswered.filter((o) => whole(o.code)).length;
    expect(unanswered.filter((o) => !whole(o.code) && !absent(o.code)).map((o) => o.code)).toEqual([]);
    expect(refused.filter((o) => !absent(o.code)).map((o) => o.code)).toEqual([]);
    // Nothing that was never offered, or answered otherwise, exists anywhere.
    const offeredCodes = new Set(outcomes.map((o) => o.code));
    expect([...stored.keys(), ...acceptedRecords.keys(), ...sim.dossiers.keys()].filter((code) => !offeredCodes.has(code))).toEqual([]);
    expect(stored.size).toBe(accepted.size + cutCommitted);
    expect(sim.dossiers.size).toBe(stored.size);
    // No message delivered twice in the log; the portal kept one create per dossier (an "already
    // exists" refusal keeps a second create out), and any repeat arrived as an update.
    expect([...deliveries.values()].filter((n) => n !== 1)).toEqual([]);
    expect([...creates.entries()].filter(([, n]) => n !== 1)).toEqual([]);
    expect(creates.size).toBe(stored.size);

    // Only what the killed worker had in flight went out twice (live workers renew their leases), and
    // each repeat is the "already exists" resend the gateway recorded.
    const existed = (await pool.query<{ code: string }>(`SELECT dossier_code AS code FROM messages WHERE outcome_note = 'already-existed'`)).rows.map((r) => r.code);
    expect([...updates.keys()].sort()).toEqual(existed.sort());
    expect(updates.size).toBeLessThanOrEqual(Number(env.DELIVERY_CONCURRENCY) * Number(env.DELIVERY_BATCH_SIZE));

    // What the run looked like (the figures vary with the machine; none is asserted).
    process.stderr.write(
      `[scale-out] ${outcomes.length} offered in ${Math.round((Date.now() - started) / 1000)} s: ${accepted.size} accepted, ${refused.length} refused (503), ` +
        `${unanswered.length} cut by the API kill (${cutCommitted} had committed); the portal saw ${updates.size} dossiers again as an update\n`,
    );
  });
});
