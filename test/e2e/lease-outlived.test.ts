// A portal call slower than the delivery lease (a slow portal, or a batch split into many calls):
// the worker making it is alive, so its messages must stay leased to it. Otherwise another job (of
// this worker or another one) claims them once the lease runs out and sends them again while the
// first call is still out, and a late resend of a dossier can reach the portal after its own
// progress events, taking the portal's copy of the dossier back to an older state.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYS, eventually, startTestGateway, type TestGateway } from '../support/gateway.js';
import { GatewayProcesses } from '../support/gateway-processes.js';
import { sampleDossier, sampleEvent } from '../support/dossiers.js';

describe('a delivery slower than its lease (postgres)', () => {
  let gw: TestGateway;
  let work: string;
  let worker: GatewayProcesses | undefined;
  beforeAll(async () => {
    // The API here; the worker, started once everything is accepted, in a process of its own, so its
    // first call carries every dossier as one batch.
    gw = await startTestGateway({ engine: 'postgres', roles: 'api', env: { DELIVERY_LEASE_MS: '1500', SWEEP_INTERVAL_MS: '200', DELIVERY_CONCURRENCY: '4', DELIVERY_BATCH_SIZE: '10' } });
    work = await mkdtemp(path.join(os.tmpdir(), 'lgsp-lease-'));
    worker = new GatewayProcesses(gw.env, work);
  });
  afterAll(async () => {
    await worker?.stopAll();
    await gw?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('keeps its messages leased while the call is out: each dossier is sent once, and its event after it', { timeout: 60_000 }, async () => {
    // Every call takes over 2.5 lease lengths.
    gw.sim.faults.set({ delayMs: 4000 });
    const codes = ['SLOW-1', 'SLOW-2', 'SLOW-3'];
    for (const code of codes) {
      expect((await gw.call('POST', '/v1/dossiers', { key: KEYS.oneStop, body: sampleDossier(code) })).status).toBe(202);
      expect((await gw.call('POST', `/v1/dossiers/${code}/events`, { key: KEYS.oneStop, body: sampleEvent(1, 'PROCESSING') })).status).toBe(202);
    }
    await worker!.start('worker', 'worker');
    await eventually(async () => {
      const [row] = await gw.gateway.db.query<{ open: number }>(`SELECT count(*)::int AS open FROM messages WHERE state <> 'delivered'`);
      return row!.open === 0;
    }, 'every message delivered', 50_000, 200);
    // The portal saw each dossier in one call: nobody sent it again while the first call was out
    // (a second sender would have been answered "already exists" and resent it as an update, possibly
    // after its progress event).
    for (const code of codes) {
      expect(gw.sim.calls.filter((c) => c.service === 'DongBoHoSoMC' && c.codes.includes(code)).map((c) => c.answer), code).toEqual(['0']);
      expect(gw.sim.receivedOrder.filter((e) => e.split(':')[1] === code)).toEqual([`create:${code}`, `progress:${code}:4`]);
    }
  });
});
