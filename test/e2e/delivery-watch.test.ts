// Delivery the operator can watch: one JSON log line per outcome (ids, attempt, outcome, next attempt,
// error; never the citizen), and the portal's Retry-After honoured up to the backoff's ceiling.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNationalPortalSimulator, type PortalSimulator } from '../../adapters/national-portal/index.js';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/logging/logger.js';
import { serving, startGateway, type ServingGateway } from '../../src/compose/gateway.js';
import { sampleDossier } from '../support/dossiers.js';
import { KEYS, eventually, gatewayEnvironment } from '../support/gateway.js';
import { freshRedisPrefix, testRedisUrl } from '../support/services.js';

describe('delivery outcomes in the log (pglite)', () => {
  let sim: PortalSimulator;
  let gateway: ServingGateway;
  let dataDir: string;
  const lines: string[] = [];
  const deliveryLines = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.event === 'delivery');

  beforeAll(async () => {
    sim = await startNationalPortalSimulator();
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'lgsp-watch-'));
    const { env } = await gatewayEnvironment({ dataDir, portalUrl: sim.url, redisUrl: testRedisUrl(), redisPrefix: freshRedisPrefix(), databaseUrl: undefined });
    // A ceiling far above the portal's Retry-After: 60, so that the wait asked for is the one seen.
    const config = loadConfig({ ...env, LOG_LEVEL: 'info', DELIVERY_BACKOFF_BASE_MS: '50', DELIVERY_BACKOFF_MAX_MS: '120000' });
    const destination = new Writable({ write: (chunk, _e, cb) => (lines.push(...String(chunk).split('\n').filter(Boolean)), cb()) });
    gateway = serving(await startGateway(config, createLogger({ level: 'info', destination: destination as never })));
  }, 60_000);
  afterAll(async () => {
    await gateway?.close();
    await sim?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const post = (code: string) =>
    request(`${gateway.url}/v1/dossiers`, { method: 'POST', headers: { 'x-api-key': KEYS.oneStop, 'content-type': 'application/json' }, body: JSON.stringify(sampleDossier(code)) }).then((r) => r.body.json());

  it('logs a delivered message as one line with its id, destination and attempt', async () => {
    const accepted = (await post('WATCH-OK')) as { messageId: string };
    const line = await eventually(() => deliveryLines().find((l) => l.messageId === accepted.messageId), 'the delivery line');
    expect(line).toEqual(expect.objectContaining({ level: 'info', event: 'delivery', destination: 'national-portal', lane: 'live', attempt: 1, outcome: 'delivered', msg: 'delivery delivered' }));
    expect(line).not.toHaveProperty('errorCode');
  });

  it("waits as long as the portal's Retry-After asks, and says so in the log", async () => {
    sim.faults.set({ unavailable: true });
    try {
      const accepted = (await post('WATCH-503')) as { messageId: string };
      const line = await eventually(() => deliveryLines().find((l) => l.messageId === accepted.messageId), 'the failed line');
      expect(line).toEqual(
        expect.objectContaining({ level: 'warn', destination: 'national-portal', attempt: 1, outcome: 'failed', errorCode: 'portal unavailable: HTTP 503', partnerRetryAfterMs: 60_000, msg: 'delivery failed' }),
      );
      const [row] = await gateway.db.query<{ wait: number }>('SELECT extract(epoch FROM next_attempt_at - updated_at)::float8 AS wait FROM messages WHERE id = $1', [accepted.messageId]);
      // The backoff alone would wait 25 to 50 ms before a second attempt.
      expect(row!.wait).toBeGreaterThanOrEqual(59);
      expect(Date.parse(String(line.nextAttemptAt)) - Date.now()).toBeGreaterThan(30_000);
    } finally {
      sim.faults.clear();
    }
  });

  it('logs a dead letter at error level with its error, and no personal data anywhere', async () => {
    sim.faults.set({ poisonCodes: ['WATCH-DEAD'] });
    const accepted = (await post('WATCH-DEAD')) as { messageId: string };
    const line = await eventually(() => deliveryLines().find((l) => l.messageId === accepted.messageId && l.outcome === 'dead'), 'the dead-letter line');
    expect(line).toEqual(expect.objectContaining({ level: 'error', attempt: 1, msg: 'delivery dead', errorCode: expect.any(String) }));
    const all = lines.join('\n');
    for (const secret of ['Phạm Văn Bình', '001090009999', '0987654321', 'binh.pham@example.vn']) expect(all).not.toContain(secret);
  });
});
