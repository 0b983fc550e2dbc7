// Group commit of acceptances (issue 17): many requests decided and written in one transaction, each
// with its own answer. A refusal concerns its request alone; requests for one dossier apply in arrival
// order; idempotency keys answer again within a group and across groups; every accepted request has
// its row, its outbound message, its one message-log record and its queued job, and a refused one none.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dossier } from '../../schemas/dossier.js';
import { acceptGroup, type AcceptContext, type AcceptItem, type AcceptOutcome, type AcceptRequest } from '../../src/dossiers/accept.js';
import { KEYS, OTHER_AGENCY, startTestGateway, type Engine, type TestGateway } from '../support/gateway.js';
import { sampleDossier, sampleEvent } from '../support/dossiers.js';

function codeOf(outcome: AcceptOutcome): string {
  return 'accepted' in outcome ? 'accepted' : (outcome.refused as { code: string }).code;
}

describe.each<Engine>(['pglite', 'postgres'])('group commit of acceptances (%s)', (engine) => {
  let gw: TestGateway;
  let ctx: AcceptContext;
  beforeAll(async () => {
    // API only: the queued jobs stay in Redis to be counted. A wide window makes big groups likely;
    // nothing below depends on how the requests were grouped.
    gw = await startTestGateway({ engine, roles: 'api', env: { ACCEPT_GROUP_WINDOW_MS: '20', ACCEPT_GROUP_MAX: '16' } });
    ctx = { db: gw.gateway.db, registry: gw.gateway.registry, attachmentUrlAllowlist: [] };
  });
  afterAll(async () => gw?.close());

  const request = (body: unknown, idempotencyKey?: string): AcceptRequest => {
    const raw = Buffer.from(JSON.stringify(body));
    return {
      partner: gw.gateway.registry.authenticate(KEYS.oneStop)!,
      endpoint: 'POST /v1/dossiers',
      rawBodySha256: createHash('sha256').update(raw).digest('hex'),
      rawBody: raw,
      idempotencyKey,
      lane: 'live',
    };
  };
  const dossierItem = (dossier: Dossier, key?: string): AcceptItem => ({ kind: 'dossier', req: request(dossier, key), dossier });
  const eventItem = (code: string, sequence: number, status: Parameters<typeof sampleEvent>[1], note?: string): AcceptItem => {
    const event = sampleEvent(sequence, status, note ? { note } : {});
    return { kind: 'event', req: request(event), code, event };
  };

  it('decides each request of one group on its own, in arrival order, and writes only the accepted ones', async () => {
    const d1 = sampleDossier('G-ONE-1');
    const d3 = sampleDossier('G-ONE-3');
    const outcomes = await acceptGroup(ctx, [
      dossierItem(d1),
      dossierItem(sampleDossier('G-ONE-2', { agency: { code: OTHER_AGENCY, name: 'Elsewhere' } })),
      eventItem('G-ONE-1', 1, 'PROCESSING'),
      eventItem('G-ONE-1', 3, 'COMPLETED'),
      eventItem('G-ONE-1', 2, 'COMPLETED'),
      dossierItem(d3, 'key-one'),
      dossierItem(d3, 'key-one'),
      dossierItem({ ...d3, summary: 'another body' }, 'key-one'),
      dossierItem(d1),
      eventItem('G-ONE-4', 1, 'PROCESSING'),
    ]);
    expect(outcomes.map(codeOf)).toEqual([
      'accepted',
      'forbidden-agency',
      'accepted',
      'sequence-gap',
      'accepted',
      'accepted',
      'accepted',
      'idempotency-key-reused',
      // d1 as first sent is RECEIVED; the events of this very group moved it to COMPLETED.
      'status-change-requires-event',
      'dossier-not-found',
    ]);
    const body = (i: number) => ('accepted' in outcomes[i]! ? outcomes[i].accepted.body : {}) as { messageId: string; change: string };
    expect([body(0).change, body(2).change, body(4).change, body(5).change]).toEqual(['create', 'event', 'event', 'create']);
    // The replay within the group answers the first answer, and queues nothing again.
    expect(body(6)).toEqual(body(5));
    expect('accepted' in outcomes[6]! && outcomes[6].accepted.enqueue).toEqual([]);

    const [row] = await ctx.db.query<{ status: string; last_event_sequence: number }>(`SELECT status, last_event_sequence FROM dossiers WHERE code = 'G-ONE-1'`);
    expect(row).toEqual({ status: 'COMPLETED', last_event_sequence: 2 });
    expect(await ctx.db.query(`SELECT code FROM dossiers WHERE code IN ('G-ONE-2', 'G-ONE-4')`)).toEqual([]);
    const messages = await ctx.db.query<{ id: string; kind: string; order_seq: number }>(
      `SELECT id, kind, order_seq FROM messages WHERE order_key = 'G-ONE-1' ORDER BY order_seq`,
    );
    expect(messages.map((m) => [m.kind, m.order_seq])).toEqual([['dossier-create', 1], ['dossier-event', 2], ['dossier-event', 3]]);
    expect(messages.map((m) => m.id)).toEqual([body(0).messageId, body(2).messageId, body(4).messageId]);
    const events = await ctx.db.query<{ sequence: number; message_id: string }>(`SELECT sequence, message_id FROM dossier_events WHERE dossier_code = 'G-ONE-1' ORDER BY sequence`);
    expect(events).toEqual([{ sequence: 1, message_id: body(2).messageId }, { sequence: 2, message_id: body(4).messageId }]);
    // One message-log record per accepted change, with its body kept, in arrival order.
    const log = await ctx.db.query<{ message_id: string; kept: boolean }>(
      `SELECT l.message_id, b.body IS NOT NULL AS kept FROM message_log l LEFT JOIN audit_bodies b ON b.log_seq = l.seq
        WHERE l.dossier_code LIKE 'G-ONE-%' ORDER BY l.seq`,
    );
    expect(log).toEqual([0, 2, 4, 5].map((i) => ({ message_id: body(i).messageId, kept: true })));

    // Across groups: the key answers again, and the events already taken are recognised.
    const again = await acceptGroup(ctx, [
      dossierItem(d3, 'key-one'),
      eventItem('G-ONE-1', 2, 'COMPLETED'),
      eventItem('G-ONE-1', 2, 'COMPLETED', 'other content'),
      eventItem('G-ONE-1', 3, 'RETURNED'),
    ]);
    expect(again.map(codeOf)).toEqual(['accepted', 'accepted', 'sequence-conflict', 'accepted']);
    expect('accepted' in again[0]! && again[0].accepted.body).toEqual(body(5));
    expect('accepted' in again[1]! && again[1].accepted.body).toMatchObject({ change: 'unchanged', messageId: body(4).messageId });
  });

  it('answers many simultaneous requests each with its own outcome, and stores, logs and queues exactly the accepted ones', async () => {
    const post = (body: unknown, key?: string) => gw.call('POST', '/v1/dossiers', { key: KEYS.oneStop, body, headers: key ? { 'idempotency-key': key } : {} });
    const fresh = Array.from({ length: 24 }, (_, i) => sampleDossier(`G-MANY-${i}`));
    const forbidden = Array.from({ length: 6 }, (_, i) => sampleDossier(`G-NOPE-${i}`, { agency: { code: OTHER_AGENCY, name: 'Elsewhere' } }));
    const same = sampleDossier('G-SAME');
    const keyed = sampleDossier('G-KEYED');
    const [freshAnswers, forbiddenAnswers, sameAnswers, keyedAnswers] = await Promise.all([
      Promise.all(fresh.map((d) => post(d))),
      Promise.all(forbidden.map((d) => post(d))),
      Promise.all(Array.from({ length: 6 }, () => post(same))),
      Promise.all(Array.from({ length: 8 }, (_, i) => post(i % 4 === 3 ? { ...keyed, summary: 'another body' } : keyed, 'many-key'))),
    ]);
    expect(freshAnswers.map((a) => [a.status, a.body.change])).toEqual(fresh.map(() => [202, 'create']));
    expect(forbiddenAnswers.map((a) => [a.status, a.body.code])).toEqual(forbidden.map(() => [403, 'forbidden-agency']));
    // One dossier sent six times at once: one create, then five unchanged, all naming the create.
    expect(sameAnswers.every((a) => a.status === 202)).toBe(true);
    expect(sameAnswers.filter((a) => a.body.change === 'create')).toHaveLength(1);
    expect(new Set(sameAnswers.map((a) => a.body.messageId)).size).toBe(1);
    // One key, two bodies, at once: whichever came first is the answer for its body; the other body is refused.
    const keyedAccepted = keyedAnswers.filter((a) => a.status === 202);
    expect(new Set(keyedAccepted.map((a) => a.body.messageId)).size).toBe(1);
    expect(keyedAnswers.filter((a) => a.status !== 202).every((a) => a.status === 409 && a.body.code === 'idempotency-key-reused')).toBe(true);
    expect([2, 6]).toContain(keyedAccepted.length);

    const accepted = [...freshAnswers, sameAnswers.find((a) => a.body.change === 'create')!, keyedAccepted[0]!].map((a) => a.body.messageId as string).sort();
    const codes = ['G-MANY-%', 'G-NOPE-%', 'G-SAME', 'G-KEYED'];
    const like = `(${codes.map((_, i) => `dossier_code LIKE $${i + 1}`).join(' OR ')})`;
    const messages = await ctx.db.query<{ id: string }>(`SELECT id FROM messages WHERE ${like} ORDER BY id`, codes);
    expect(messages.map((m) => m.id)).toEqual(accepted);
    const log = await ctx.db.query<{ message_id: string }>(`SELECT message_id FROM message_log WHERE ${like} AND direction = 'in' ORDER BY message_id`, codes);
    expect(log.map((r) => r.message_id)).toEqual(accepted);
    expect(await ctx.db.query(`SELECT code FROM dossiers WHERE code LIKE 'G-NOPE-%'`)).toEqual([]);
    // One queue job per call (src/delivery/jobs-per-call.ts): every accepted message shares its batch
    // with a queued one, and each batch has a job for every DELIVERY_BATCH_SIZE of its messages.
    const jobs = await gw.gateway.queues.queues.live.getJobs(['waiting', 'delayed', 'prioritized']);
    const queued = new Set(jobs.map((j) => j.data.messageId));
    const batches = await ctx.db.query<{ id: string; batch_key: string }>(`SELECT id, batch_key FROM messages WHERE id = ANY($1::uuid[])`, [accepted]);
    const perBatch = new Map<string, { messages: number; jobs: number }>();
    for (const m of batches) {
      const b = perBatch.get(m.batch_key) ?? { messages: 0, jobs: 0 };
      perBatch.set(m.batch_key, { messages: b.messages + 1, jobs: b.jobs + (queued.has(m.id) ? 1 : 0) });
    }
    for (const [batch, b] of perBatch) expect({ batch, enough: b.jobs >= Math.ceil(b.messages / gw.gateway.config.delivery.batchSize) }).toEqual({ batch, enough: true });
  });
});
