// Delivery you can trust: the portal failing for a while, a poison item in a batch, a dead letter
// replayed, and what the one-stop system's webhook is told. Real Redis, real PostgreSQL, real simulator.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KEYS, eventually, startTestGateway, type TestGateway } from '../support/gateway.js';
import { sampleDossier, sampleEvent } from '../support/dossiers.js';

interface Notification {
  type: string;
  dossierCode: string;
  messageId: string;
  kind: string;
}

describe('delivery under faults (postgres)', () => {
  let gw: TestGateway;
  let webhook: Server;
  const notifications: Notification[] = [];

  beforeAll(async () => {
    webhook = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        notifications.push(JSON.parse(body) as Notification);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
    gw = await startTestGateway({ engine: 'postgres', webhookUrl: `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/hook` });
  });
  afterEach(() => gw.sim.faults.clear());
  afterAll(async () => {
    await gw?.close();
    await new Promise((resolve) => webhook.close(resolve));
  });

  const post = (code: string, overrides = {}) => gw.call('POST', '/v1/dossiers', { key: KEYS.oneStop, body: sampleDossier(code, overrides) });
  const view = async (code: string) => (await gw.call('GET', `/v1/dossiers/${code}`, { key: KEYS.oneStop })).body;

  it('delays delivery while the portal answers 500 and drops connections, and loses nothing', async () => {
    gw.sim.faults.set({ failNextCalls: 3, dropNextConnections: 2 });
    const codes = Array.from({ length: 10 }, (_, i) => `FAULT-${i}`);
    for (const code of codes) expect((await post(code)).status).toBe(202);
    await eventually(() => codes.every((c) => gw.sim.dossiers.has(c)), 'all ten dossiers reach the portal');
    const answers = gw.sim.calls.map((c) => c.answer);
    expect(answers).toContain('http-500');
    expect(answers).toContain('dropped');
    const states = await Promise.all(codes.map(async (c) => (await view(c)).deliveries[0]));
    expect(states.every((d) => d.state === 'delivered')).toBe(true);
    expect(states.some((d) => d.attempts > 1)).toBe(true);
  });

  it('delivers the other 49 when one item of a batch of 50 is poison, and dead-letters only that one', async () => {
    gw.sim.faults.set({ poisonCodes: ['BATCH-17'] });
    const codes = Array.from({ length: 50 }, (_, i) => `BATCH-${i}`);
    // Accept all 50 before the portal can take any, so they travel as one batch.
    await Promise.all(codes.map((code) => post(code)));
    await eventually(async () => (await view('BATCH-17')).deliveries[0].state === 'dead', 'the poison item is dead-lettered');
    await eventually(() => codes.filter((c) => c !== 'BATCH-17').every((c) => gw.sim.dossiers.has(c)), 'the 49 others delivered');
    expect(gw.sim.dossiers.has('BATCH-17')).toBe(false);
    expect(gw.sim.calls.some((c) => c.codes.length > 10)).toBe(true);
    const dead = (await view('BATCH-17')).deliveries[0];
    expect(dead.lastError).toMatch(/BATCH-17|refused|error_code/i);
  });

  it('holds a dead dossier’s later events, then delivers all of them in order when the dead letter is replayed', async () => {
    gw.sim.faults.set({ poisonCodes: ['REPLAY-1'] });
    expect((await post('REPLAY-1')).status).toBe(202);
    await eventually(async () => (await view('REPLAY-1')).deliveries[0].state === 'dead', 'create dead-lettered');
    for (const [i, status] of (['PROCESSING', 'COMPLETED'] as const).entries()) {
      expect((await gw.call('POST', '/v1/dossiers/REPLAY-1/events', { key: KEYS.oneStop, body: sampleEvent(i + 1, status) })).status).toBe(202);
    }
    await eventually(async () => (await view('REPLAY-1')).events.every((e: { delivery: { state: string } }) => e.delivery.state === 'held'), 'events held');
    expect(gw.sim.progress.get('REPLAY-1')).toBeUndefined();

    const dead = await gw.call('GET', '/v1/admin/messages?state=dead', { key: KEYS.admin });
    const message = dead.body.messages.find((m: { dossierCode: string }) => m.dossierCode === 'REPLAY-1');
    expect(message).toBeDefined();
    // The partner cannot replay; the operator can, once the cause is gone.
    expect((await gw.call('POST', `/v1/admin/messages/${message.messageId}/replay`, { key: KEYS.oneStop })).status).toBe(403);
    gw.sim.faults.clear();
    const replay = await gw.call('POST', `/v1/admin/messages/${message.messageId}/replay`, { key: KEYS.admin });
    expect(replay.status).toBe(202);
    await eventually(() => gw.sim.progress.get('REPLAY-1')?.length === 2, 'held events delivered after the replay');
    expect(gw.sim.receivedOrder.filter((e) => e.includes(':REPLAY-1'))).toEqual(['create:REPLAY-1', 'progress:REPLAY-1:4', 'progress:REPLAY-1:9']);
    expect((await gw.call('POST', `/v1/admin/messages/${message.messageId}/replay`, { key: KEYS.admin })).body.code).toBe('message-not-dead');
  });

  it('keeps personal data and the session out of the error stored with a dead letter, even when the portal quotes the request back', async () => {
    gw.sim.faults.set({ poisonCodes: ['LEAK-1'], echoRequestInErrors: true });
    expect((await post('LEAK-1')).status).toBe(202);
    await eventually(async () => (await view('LEAK-1')).deliveries[0].state === 'dead', 'dead-lettered');
    const rows = await gw.gateway.db.query<{ last_error: string }>(`SELECT last_error FROM messages WHERE dossier_code = 'LEAK-1' AND destination = 'national-portal'`);
    const logged = await gw.gateway.db.query<{ error_code: string }>(`SELECT error_code FROM message_log WHERE dossier_code = 'LEAK-1' AND direction = 'out' AND outcome <> 'delivered' AND endpoint LIKE 'national-portal:%'`);
    for (const stored of [rows[0]!.last_error, ...logged.map((r) => r.error_code)]) {
      expect(stored.length).toBeGreaterThan(0);
      for (const personal of ['Phạm Văn Bình', '001090009999', '0987654321', 'binh.pham@example.vn', 'lgsp-dev']) expect(stored).not.toContain(personal);
      expect(stored).not.toMatch(/"session":"(?!\[redacted\])/);
    }
  });

  it('tells the one-stop webhook of each outcome, in order per dossier', async () => {
    const code = 'HOOK-1';
    expect((await post(code)).status).toBe(202);
    expect((await gw.call('POST', `/v1/dossiers/${code}/events`, { key: KEYS.oneStop, body: sampleEvent(1, 'PROCESSING') })).status).toBe(202);
    await eventually(() => notifications.filter((n) => n.dossierCode === code).length === 2, 'two notifications');
    const mine = notifications.filter((n) => n.dossierCode === code);
    expect(mine.map((n) => [n.type, n.kind])).toEqual([
      ['delivery.succeeded', 'dossier-create'],
      ['delivery.succeeded', 'dossier-event'],
    ]);
    // Notifications carry no personal data.
    expect(JSON.stringify(mine)).not.toMatch(/Phạm Văn Bình|001090009999|0987654321/);
  });

  it('re-queues every open message after Redis forgets its queues', async () => {
    gw.sim.faults.set({ delayMs: 300 });
    const codes = Array.from({ length: 5 }, (_, i) => `FLUSH-${i}`);
    for (const code of codes) expect((await post(code)).status).toBe(202);
    const { Redis } = await import('ioredis');
    const redis = new Redis(gw.redisUrl);
    const keys = await redis.keys(`${gw.redisPrefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
    gw.sim.faults.clear();
    await eventually(() => codes.every((c) => gw.sim.dossiers.has(c)), 'the sweeper re-queued and delivered every dossier');
  });
});
