// After an outage, the operator replays the dead letters a filter matches (destination, time of death,
// error), having first looked at them with a dry run that changes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYS, eventually, startTestGateway, type TestGateway } from '../support/gateway.js';
import { sampleDossier } from '../support/dossiers.js';

describe('bulk replay of dead letters (pglite)', () => {
  let gw: TestGateway;
  const codes = ['BULK-DEAD-1', 'BULK-DEAD-2', 'BULK-DEAD-3'];
  let started: string;

  beforeAll(async () => {
    gw = await startTestGateway({ engine: 'pglite' });
    started = new Date(Date.now() - 1000).toISOString();
    gw.sim.faults.set({ poisonCodes: codes });
    for (const code of codes) expect((await gw.call('POST', '/v1/dossiers', { key: KEYS.oneStop, body: sampleDossier(code) })).status).toBe(202);
    await eventually(async () => (await gw.gateway.db.query("SELECT id FROM messages WHERE state = 'dead'")).length === codes.length, 'three dead letters');
    gw.sim.faults.clear();
  }, 60_000);
  afterAll(async () => gw?.close());

  const replay = (body: object, key = KEYS.admin) => gw.call('POST', '/v1/admin/messages/replay', { key, body });

  it('lists what a filter matches in a dry run, and changes nothing', async () => {
    const dry = await replay({ destination: 'national-portal', errorPrefix: 'portal refused', deadFrom: started, dryRun: true });
    expect(dry.status).toBe(200);
    expect(dry.body.dryRun).toBe(true);
    expect(dry.body.count).toBe(3);
    expect(dry.body.messages.map((m: { dossierCode: string }) => m.dossierCode)).toEqual(codes);
    expect(dry.body.messages[0]).toEqual(expect.objectContaining({ destination: 'national-portal', lane: 'live', lastError: expect.stringMatching(/^portal refused/) }));
    expect((await replay({ destination: 'webhook', dryRun: true })).body.count).toBe(0);
    expect((await replay({ errorPrefix: 'portal unavailable', dryRun: true })).body.count).toBe(0);
    expect((await replay({ deadTo: started, dryRun: true })).body.count).toBe(0);
    expect((await gw.gateway.db.query("SELECT id FROM messages WHERE state = 'dead'")).length).toBe(3);
  });

  it('replays the matches, which are then delivered', async () => {
    const done = await replay({ destination: 'national-portal', errorPrefix: 'portal refused', limit: 2 });
    expect(done.status).toBe(202);
    expect(done.body.count).toBe(2);
    const rest = await replay({ destination: 'national-portal' });
    expect(rest.body.count).toBe(1);
    await eventually(() => codes.every((c) => gw.sim.dossiers.has(c)), 'all three delivered after the replay');
    expect((await replay({ dryRun: true })).body.count).toBe(0);
  });

  it('is for the admin role, and refuses an unknown filter', async () => {
    expect((await replay({ dryRun: true }, KEYS.oneStop)).status).toBe(403);
    const refused = await replay({ destnation: 'national-portal' });
    expect(refused.status).toBe(400);
    expect(refused.body.code).toBe('invalid-request');
  });
});
