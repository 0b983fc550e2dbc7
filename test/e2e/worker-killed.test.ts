// The worker is a separate process, killed with SIGKILL at random points mid-delivery and started
// again. Every dossier must still reach the portal with the right final state, in order; a create
// repeated after a kill is answered "already exists" by the portal and counts as success.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYS, eventually, startTestGateway, type TestGateway } from '../support/gateway.js';
import { sampleDossier, sampleEvent } from '../support/dossiers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DOSSIERS = 30;
const STEPS = ['PROCESSING', 'COMPLETED', 'RETURNED'] as const;

function startWorker(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...env, PROCESS_ROLES: 'worker', LOG_LEVEL: 'error' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

describe('worker killed at random points (postgres, separate worker process)', () => {
  let gw: TestGateway;
  let worker: ChildProcess | undefined;

  beforeAll(async () => {
    gw = await startTestGateway({ engine: 'postgres', roles: 'api', env: { DELIVERY_BATCH_SIZE: '3', DELIVERY_CONCURRENCY: '2', DELIVERY_LEASE_MS: '1500' } });
  });
  afterAll(async () => {
    if (worker) await killed(worker);
    await gw?.close();
  });

  it('delivers every dossier and event exactly once in effect, in order, despite SIGKILLs', { timeout: 120_000 }, async () => {
    // A slow portal widens the window in which a kill lands between sending and recording.
    gw.sim.faults.set({ delayMs: 400 });
    const codes = Array.from({ length: DOSSIERS }, (_, i) => `KILL-${i}`);
    for (const code of codes) {
      expect((await gw.call('POST', '/v1/dossiers', { key: KEYS.oneStop, body: sampleDossier(code) })).status).toBe(202);
      for (const [i, status] of STEPS.entries()) {
        expect((await gw.call('POST', `/v1/dossiers/${code}/events`, { key: KEYS.oneStop, body: sampleEvent(i + 1, status) })).status).toBe(202);
      }
    }

    const allReturned = () => codes.every((c) => gw.sim.dossiers.has(c) && gw.sim.progress.get(c)?.at(-1)?.TrangThai === '10');
    const kills = 4;
    for (let round = 0; round < kills; round++) {
      worker = startWorker(gw.env);
      const progressBefore = gw.sim.calls.length;
      // Wait until this worker is actually delivering, then kill it at a random moment.
      await eventually(() => gw.sim.calls.length > progressBefore || allReturned(), `worker ${round} starts delivering`, 30_000);
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 700));
      await killed(worker);
    }
    // The kills interrupted real work: much was still undelivered when the last worker started.
    expect(allReturned()).toBe(false);
    worker = startWorker(gw.env);

    await eventually(
      allReturned,
      'every dossier returned (TrangThai 10) at the portal',
      90_000,
      200,
    );
    for (const code of codes) {
      const seen = gw.sim.receivedOrder.filter((e) => e.split(':')[1] === code);
      // Repeats are allowed (at-least-once); going backwards is not.
      const distinct = seen.filter((e, i) => e !== seen[i - 1]).filter((e) => !e.startsWith('update:'));
      expect(distinct).toEqual([`create:${code}`, `progress:${code}:4`, `progress:${code}:9`, `progress:${code}:10`]);
    }
    const open = await gw.gateway.db.query<{ n: string }>(`SELECT count(*)::text AS n FROM messages WHERE state <> 'delivered'`);
    expect(open[0]!.n).toBe('0');
  });
});
