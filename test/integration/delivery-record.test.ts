// Recording a portal call's outcome is set-based (issue 17): marking the messages, their message-log
// records, the next in each line and the partners' webhook notifications take the same number of
// statements for a batch of 3 as for a batch of 30, and every item still gets what it got one by one.
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { DeliveryProcessor } from '../../src/delivery/processor.js';
import type { Enqueuer } from '../../src/delivery/enqueuer.js';
import type { Destination, ItemOutcome } from '../../src/delivery/destination.js';
import { PartnerRegistry, hashApiKey } from '../../src/partners/registry.js';
import { openPglite, type Db, type Queryable } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrations.js';
import { insertMessages, type Lane, type NewMessage, type OutboundMessage } from '../../src/store/messages.js';
import { loadConfig } from '../../src/config/config.js';

/** Counts the statements of each transaction, to see what recording one call costs. */
function counting(db: Db): { db: Db; perTransaction: number[] } {
  const perTransaction: number[] = [];
  return {
    perTransaction,
    db: {
      ...db,
      engine: db.engine,
      query: (sql, params) => db.query(sql, params),
      transaction: (fn) =>
        db.transaction((tx) => {
          const i = perTransaction.push(0) - 1;
          const counted: Queryable = { query: (sql, params) => (perTransaction[i]!++, tx.query(sql, params)) };
          return fn(counted);
        }),
      close: () => db.close(),
    },
  };
}

/** The portal's answer per dossier code: refused for R-*, retry for T-*, delivered otherwise. */
class ScriptedPortal implements Destination {
  readonly maxBatch = 500;
  endpoint(): string {
    return 'national-portal:DongBoHoSoMC';
  }
  async deliver(messages: OutboundMessage[]): Promise<Map<string, ItemOutcome>> {
    return new Map(
      messages.map((m) => {
        const sentBody = Buffer.from(`item ${m.dossierCode}`);
        const outcome: ItemOutcome = m.dossierCode!.startsWith('R-')
          ? { result: 'refused', error: 'portal refused (error_code 2): bad item', sentBody }
          : m.dossierCode!.startsWith('T-')
            ? { result: 'retry', error: 'portal unavailable: HTTP 503', sentBody }
            : { result: 'delivered', sentBody };
        return [m.id, outcome];
      }),
    );
  }
}

describe('recording a portal call (set-based)', () => {
  let db: Db | undefined;
  afterEach(async () => db?.close());

  async function callWith(size: number) {
    db = await openPglite();
    await migrate(db);
    const registry = PartnerRegistry.fromDocument(
      {
        partners: [
          { id: 'one-stop', name: 'One stop', roles: ['one-stop'], apiKeys: [{ id: 'k', sha256: hashApiKey('k') }], webhookUrl: 'http://127.0.0.1:1/hook', agencies: [{ code: 'A1' }] },
        ],
      },
      { defaults: { agencyCode: 'madonvi', username: 'u', password: 'p' }, allowAnyAgency: false },
    );
    const message = (code: string): NewMessage => ({
      id: randomUUID(),
      destination: 'national-portal',
      kind: 'dossier-create',
      partnerId: 'one-stop',
      dossierCode: code,
      agencyCode: 'A1',
      orderKey: code,
      lane: 'live',
      batchKey: 'DongBoHoSoMC|False|acct',
      payload: { code },
    });
    // One refused, one to retry, the rest delivered; the first dossier has an event waiting behind it.
    const heads = [message('D-0'), message('R-1'), message('T-2'), ...Array.from({ length: size - 3 }, (_, i) => message(`D-${i + 3}`))];
    const waiting = { ...message('D-0'), kind: 'dossier-event', batchKey: 'CapNhatTienDoHoSoMC||acct' };
    await insertMessages(db, [...heads, waiting]);
    const queued: { id: string; lane: Lane; delayMs?: number }[] = [];
    const queue: Enqueuer = {
      enqueue: async (id, lane, delayMs) => void queued.push({ id, lane, ...(delayMs ? { delayMs } : {}) }),
      enqueueMany: async (ms) => void queued.push(...ms),
    };
    const counted = counting(db);
    const config = loadConfig({ LGSP_MODE: 'development', DELIVERY_BATCH_SIZE: String(size) });
    const processor = new DeliveryProcessor({
      db: counted.db,
      destinations: new Map([['national-portal', new ScriptedPortal()]]),
      registry,
      delivery: config.delivery,
      queue,
      logger: pino({ level: 'silent' }),
    });
    await processor.process(heads[0]!.id);
    return { db, heads, waiting, queued, statements: counted.perTransaction.at(-1)! };
  }

  it('takes as many statements for 30 items as for 3, and records each item as before', async () => {
    const small = await callWith(3);
    await small.db.close();
    db = undefined;
    const large = await callWith(30);
    expect(large.statements).toBe(small.statements);

    const states = await large.db.query<{ dossier_code: string; state: string; attempts: number }>(
      `SELECT dossier_code, state, attempts FROM messages WHERE destination = 'national-portal' AND kind = 'dossier-create' ORDER BY order_key`,
    );
    expect(states).toHaveLength(30);
    for (const s of states) {
      expect([s.dossier_code, s.state, s.attempts]).toEqual([s.dossier_code, s.dossier_code.startsWith('R-') ? 'dead' : s.dossier_code.startsWith('T-') ? 'failed' : 'delivered', 1]);
    }
    // One outbound record per item, with its body, in the batch's order.
    const log = await large.db.query<{ message_id: string; outcome: string; kept: boolean }>(
      `SELECT l.message_id, l.outcome, b.body IS NOT NULL AS kept FROM message_log l LEFT JOIN audit_bodies b ON b.log_seq = l.seq WHERE l.direction = 'out' ORDER BY l.seq`,
    );
    expect(log.map((r) => r.message_id)).toEqual(large.heads.map((h) => h.id));
    expect(log.map((r) => r.outcome)).toEqual(large.heads.map((h) => (h.dossierCode!.startsWith('R-') ? 'dead' : h.dossierCode!.startsWith('T-') ? 'failed' : 'delivered')));
    expect(log.every((r) => r.kept)).toBe(true);
    // A webhook notification for each delivered or dead item; the retried one waits for its backoff.
    const notes = await large.db.query<{ dossier_code: string; type: string }>(
      `SELECT dossier_code, payload->>'type' AS type FROM messages WHERE destination = 'webhook' ORDER BY dossier_code`,
    );
    expect(notes).toHaveLength(29);
    expect(notes.find((n) => n.dossier_code === 'R-1')?.type).toBe('delivery.failed');
    const queuedIds = large.queued.map((q) => q.id);
    expect(queuedIds).toContain(large.waiting.id);
    expect(large.queued.find((q) => q.id === large.heads[2]!.id)?.delayMs).toBeGreaterThan(0);
    const noteIds = (await large.db.query<{ id: string }>(`SELECT id FROM messages WHERE destination = 'webhook'`)).map((r) => r.id);
    expect(noteIds.every((id) => queuedIds.includes(id))).toBe(true);
  }, 180_000);
});
