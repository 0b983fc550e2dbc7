// The bulk lane's BULK_CALLS_PER_SECOND is a budget of calls toward the portal. Most bulk jobs find
// their message already sent as another job's batch sibling; when those were paced too, a re-sync
// crawled at one dossier per paced job (a year of dossiers would have taken days, bench/RESULTS.md).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYS, eventually, startTestGateway, type TestGateway } from '../support/gateway.js';
import { sampleDossier } from '../support/dossiers.js';

describe('bulk lane pace (postgres, the worker starts once the re-sync is queued)', () => {
  let api: TestGateway;
  let worker: TestGateway | undefined;
  beforeAll(async () => {
    api = await startTestGateway({ engine: 'postgres', roles: 'api', env: { BULK_CALLS_PER_SECOND: '1', DELIVERY_BATCH_SIZE: '10' } });
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
  });

  it('spends its budget on calls only: thirty queued dossiers leave in three calls of ten, not thirty paced jobs', async () => {
    const codes = Array.from({ length: 30 }, (_, i) => `RESYNC-${i}`);
    for (const code of codes) {
      const r = await api.call('POST', '/v1/dossiers', { key: KEYS.oneStop, body: sampleDossier(code), headers: { 'x-sync-lane': 'bulk' } });
      expect(r.status).toBe(202);
    }
    expect(api.sim.dossiers.size).toBe(0);
    worker = await startTestGateway({ engine: 'postgres', roles: 'worker', env: api.env, sim: api.sim });
    // Three calls at one a second take about two seconds; thirty jobs at one a second took thirty.
    await eventually(() => codes.every((c) => api.sim.dossiers.has(c)), 'the re-sync is delivered', 10_000);
    const calls = api.sim.calls.filter((c) => c.service === 'DongBoHoSoMC');
    expect(calls.map((c) => c.codes.length)).toEqual([10, 10, 10]);
  });
});
