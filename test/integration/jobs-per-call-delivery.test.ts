// With one queue job per call (src/delivery/jobs-per-call.ts), a job whose own message already went
// out in another job's call, or waits behind its line, claims what else of its batch is ready. Tried
// here: 60 messages of one batch with jobs for the 1st and the 51st, run in the unlucky order (the
// 51st first, whose call takes the oldest 50, the 1st among them), and a line whose second message is
// the job's own. Every message must reach the portal exactly once, with no job of its own.
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { DeliveryProcessor } from '../../src/delivery/processor.js';
import type { Destination, ItemOutcome } from '../../src/delivery/destination.js';
import type { Enqueuer } from '../../src/delivery/enqueuer.js';
import { jobsPerCall } from '../../src/delivery/jobs-per-call.js';
import { PartnerRegistry, hashApiKey } from '../../src/partners/registry.js';
import { openPglite, type Db } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrations.js';
import { insertMessages, type Lane, type NewMessage, type OutboundMessage } from '../../src/store/messages.js';

/** Accepts every item and remembers each call's dossier codes. */
class RecordingPortal implements Destination {
  readonly maxBatch = 500;
  readonly calls: string[][] = [];
  endpoint(): string {
    return 'national-portal:DongBoHoSoMC';
  }
  async deliver(messages: OutboundMessage[]): Promise<Map<string, ItemOutcome>> {
    this.calls.push(messages.map((m) => m.dossierCode!));
    return new Map(messages.map((m) => [m.id, { result: 'delivered', sentBody: Buffer.from(m.dossierCode!) } as ItemOutcome]));
  }
}

describe('one job per call: a job claims the ready rest of its batch', () => {
  let db: Db | undefined;
  afterEach(async () => db?.close());

  async function setUp() {
    db = await openPglite();
    await migrate(db);
    const registry = PartnerRegistry.fromDocument(
      { partners: [{ id: 'one-stop', name: 'One stop', roles: ['one-stop'], apiKeys: [{ id: 'k', sha256: hashApiKey('k') }], agencies: [{ code: 'A1' }] }] },
      { defaults: { agencyCode: 'madonvi', username: 'u', password: 'p' }, allowAnyAgency: false },
    );
    const portal = new RecordingPortal();
    const queued: { id: string; lane: Lane; delayMs?: number }[] = [];
    const queue: Enqueuer = { enqueue: async (id, lane, delayMs) => void queued.push({ id, lane, delayMs }), enqueueMany: async (ms) => void queued.push(...ms) };
    const config = loadConfig({ LGSP_MODE: 'development', DELIVERY_BATCH_SIZE: '50' });
    const processor = new DeliveryProcessor({ db, destinations: new Map([['national-portal', portal]]), registry, delivery: config.delivery, queue, logger: pino({ level: 'silent' }) });
    const message = (code: string, kind = 'dossier-create', batchKey = 'DongBoHoSoMC|False|acct'): NewMessage => ({
      id: randomUUID(),
      destination: 'national-portal',
      kind,
      partnerId: 'one-stop',
      dossierCode: code,
      agencyCode: 'A1',
      orderKey: code,
      lane: 'live',
      batchKey,
      payload: { code },
    });
    return { db, portal, queued, processor, message };
  }

  async function delivered(db: Db): Promise<{ code: string; kind: string; state: string; attempts: number }[]> {
    return db.query(`SELECT dossier_code AS code, kind, state, attempts FROM messages WHERE destination = 'national-portal' ORDER BY created_at`);
  }

  it('delivers all 60 with the two jobs run in the unlucky order', async () => {
    const { db, portal, processor, message } = await setUp();
    const committed = Array.from({ length: 60 }, (_, i) => message(`D-${String(i).padStart(2, '0')}`));
    for (const m of committed) await insertMessages(db, [m]); // one by one: distinct creation times
    const jobs = jobsPerCall(committed.map((m) => ({ id: m.id, lane: m.lane, batch: m.batchKey })), 50);
    expect(jobs.map((j) => j.id)).toEqual([committed[0]!.id, committed[50]!.id]);
    await processor.process(jobs[1]!.id);
    expect(portal.calls[0]).toHaveLength(50);
    expect(portal.calls[0]).toContain('D-00');
    await processor.process(jobs[0]!.id);
    const rows = await delivered(db);
    expect(rows.filter((r) => r.state === 'delivered')).toHaveLength(60);
    expect(rows.every((r) => r.attempts === 1)).toBe(true);
    expect(portal.calls.flat().sort()).toEqual(committed.map((m) => m.dossierCode).sort());
  }, 120_000);

  it('claims the ready rest when its own message waits behind an earlier one of its line', async () => {
    const { db, portal, processor, queued, message } = await setUp();
    const first = message('L-1');
    await insertMessages(db, [first]);
    // The line's next message is the job's own; others of its batch were committed with it.
    const second = { ...message('L-1', 'dossier-update'), orderKey: 'L-1' };
    const others = [message('O-1'), message('O-2')];
    await insertMessages(db, [second, ...others]);
    const jobs = jobsPerCall([second, ...others].map((m) => ({ id: m.id, lane: m.lane, batch: m.batchKey })), 50);
    expect(jobs.map((j) => j.id)).toEqual([second.id]);
    await processor.process(second.id);
    expect(portal.calls.map((c) => [...c].sort())).toEqual([['L-1', 'O-1', 'O-2']]);
    // The first of the line went out; the second is queued behind it, and goes out when its job runs.
    expect(queued.map((q) => q.id)).toContain(second.id);
    await processor.process(second.id);
    expect(portal.calls.at(-1)).toEqual(['L-1']);
    expect((await delivered(db)).every((r) => r.state === 'delivered' && r.attempts === 1)).toBe(true);
  }, 120_000);
});
