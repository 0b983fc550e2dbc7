// Bad input is refused, never half-stored: each case says what was tried, checks the problem code,
// and checks that no dossier row, no outbound message and no portal call came of it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYS, OTHER_AGENCY, eventually, startTestGateway, type TestGateway } from '../support/gateway.js';
import { sampleDossier, sampleEvent } from '../support/dossiers.js';

describe('refusals on the dossier API (pglite)', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ engine: 'pglite' });
  });
  afterAll(async () => gw?.close());

  const count = async (sql: string, params: unknown[] = []) => (await gw.gateway.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`, params))[0]!.n;
  const messagesOf = (code: string) => count('messages WHERE dossier_code = $1', [code]);
  const delivered = async (code: string) => {
    await eventually(async () => (await gw.call('GET', `/v1/dossiers/${code}`, { key: KEYS.oneStop })).body.deliveries?.every((d: { state: string }) => d.state === 'delivered'), `${code} delivered`);
  };

  async function expectProblem(response: { status: number; headers: Record<string, unknown>; body: any }, status: number, code: string) {
    expect(response.status, JSON.stringify(response.body)).toBe(status);
    expect(String(response.headers['content-type'])).toMatch(/^application\/problem\+json/);
    expect(response.body.code).toBe(code);
    expect(response.body.type).toBe(`https://lgsp.gateway/problems/${code}`);
  }

  describe('an illegal status transition', () => {
    it('is refused with 409 and never sent: RETURNED straight after RECEIVED', async () => {
      await gw.call('POST', '/v1/dossiers', { key: KEYS.oneStop, body: sampleDossier('ILLEGAL-1') });
      await delivered('ILLEGAL-1');
      const callsBefore = gw.sim.calls.length;
      const refused = await gw.call('POST', '/v1/dossiers/ILLEGAL-1/events', { key: KEYS.oneStop, body: sampleEvent(1, 'RETURNED') });
      await expectProblem(refused, 409, 'illegal-transition');
      expect(refused.body.allowed).not.toContain('RETURNED');
      expect(await messagesOf('ILLEGAL-1')).toBe(1);
      expect(await count('dossier_events WHERE dossier_code = $1', ['ILLEGAL-1'])).toBe(0);
      await new Promise((r) => setTimeout(r, 300));
      expect(gw.sim.calls.length).toBe(callsBefore);
      expect(gw.sim.progress.get('ILLEGAL-1')).toBeUndefined();
    });

    it('refuses anything after RETURNED, REJECTED or WITHDRAWN', async () => {
      for (const [code, terminal] of [['TERM-R', 'REJECTED'], ['TERM-W', 'WITHDRAWN']] as const) {
        expect((await gw.call('POST', '/v1/dossiers', { key: KEYS.oneStop, body: sampleDossier(code, { status: 'NEW' }) })).status).toBe(202);
        expect((await gw.call('POST', `/v1/dossiers/${code}/events`, { key: KEYS.oneStop, body: sampleEvent(1, terminal) })).status).toBe(202);
        await expectProblem(await gw.call('POST', `/v1/dossiers/${code}/events`, { key: KEYS.oneStop, body: sampleEvent(2, 'PROCESSING') }), 409, 'illegal-transition');
      }
      expect((await gw.call('POST', '/v1/dossiers', { key: KEYS.oneStop, body: sampleDossier('TERM-D', { status: 'COMPLETED' }) })).status).toBe(202);
      expect((await gw.call('POST', '/v1/dossiers/TERM-D/events', { key: KEYS.oneStop, body: sampleEvent(1, 'RETURNED') })).status).toBe(202);
      await expectProblem(await gw.call('POST', '/v1/dossiers/TERM-D/events', { key: KEYS.oneStop, body: sampleEvent(2, 'PROCESSING') }), 409, 'illegal-transition');
    });

    it('refuses a status change smuggled in through a dossier update, pointing to the events route', async () => {
      await gw.call('POST', '/v1/dossiers', { key: KEYS.oneStop, body: sampleDossier('SMUGGLE-1') });
      const refused = await gw.call('POST', '/v1/dossiers', { key: KEYS.oneStop, body: sampleDossier('SMUGGLE-1', { status: 'RETURNED' }) });
      await expectProblem(refused, 409, 'status-change-requires-event');
      expect(refused.body.events).toBe('/v1/dossiers/SMUGGLE-1/events');
      expect(await messagesOf('SMUGGLE-1')).toBe(1);
    });
  });

  describe('event sequences', () => {
    it('refuses a gap, accepts a repeat of the same event once, and refuses the same number with other content', async () => {
      await gw.call('POST', '/v1/dossiers', { key: KEYS.oneStop, body: sampleDossier('SEQ-1') });
      await expectProblem(await gw.call('POST', '/v1/dossiers/SEQ-1/events', { key: KEYS.oneStop, body: sampleEvent(2, 'PROCESSING') }), 409, 'sequence-gap');
      const first = await gw.call('POST', '/v1/dossiers/SEQ-1/events', { key: KEYS.oneStop, body: sampleEvent(1, 'PROCESSING') });
      const again = await gw.call('POST', '/v1/dossiers/SEQ-1/events', { key: KEYS.oneStop, body: sampleEvent(1, 'PROCESSING') });
      expect(again.status).toBe(202);
      expect(again.body.messageId).toBe(first.body.messageId);
      await expectProblem(await gw.call('POST', '/v1/dossiers/SEQ-1/events', { key: KEYS.oneStop, body: sampleEvent(1, 'SUSPENDED') }), 409, 'sequence-conflict');
      expect(await messagesOf('SEQ-1')).toBe(2);
    });

    it('refuses an event for a dossier that was never created', async () => {
      await expectProblem(await gw.call('POST', '/v1/dossiers/NEVER-1/events', { key: KEYS.oneStop, body: sampleEvent(1, 'PROCESSING') }), 404, 'dossier-not-found');
    });
  });

  describe('partners and agencies', () => {
    it('does not let a partner read or change another partner’s dossier', async () => {
      const theirs = sampleDossier('THEIRS-1', { agency: { code: OTHER_AGENCY, name: 'Another commune' } });
      expect((await gw.call('POST', '/v1/dossiers', { key: KEYS.otherOneStop, body: theirs })).status).toBe(202);
      // Reading: indistinguishable from a dossier that does not exist.
      await expectProblem(await gw.call('GET', '/v1/dossiers/THEIRS-1', { key: KEYS.oneStop }), 404, 'dossier-not-found');
      // Changing it by claiming its agency, or by moving it to one of mine.
      await expectProblem(await gw.call('POST', '/v1/dossiers', { key: KEYS.oneStop, body: { ...theirs, summary: 'hijacked' } }), 403, 'forbidden-agency');
      await expectProblem(await gw.call('POST', '/v1/dossiers', { key: KEYS.oneStop, body: sampleDossier('THEIRS-1', { summary: 'hijacked' }) }), 403, 'forbidden-agency');
      await expectProblem(await gw.call('POST', '/v1/dossiers/THEIRS-1/events', { key: KEYS.oneStop, body: sampleEvent(1, 'PROCESSING') }), 404, 'dossier-not-found');
      expect(await messagesOf('THEIRS-1')).toBe(1);
      const [row] = await gw.gateway.db.query<{ body: { summary: string } }>(`SELECT body FROM dossiers WHERE code = 'THEIRS-1'`);
      expect(row!.body.summary).toBe(theirs.summary);
      // Its owner still reads it; the operator sees every dossier.
      expect((await gw.call('GET', '/v1/dossiers/THEIRS-1', { key: KEYS.otherOneStop })).status).toBe(200);
      expect((await gw.call('GET', '/v1/dossiers/THEIRS-1', { key: KEYS.admin })).status).toBe(200);
    });

    it('refuses a missing or unknown API key with 401, and a role that may not write with 403', async () => {
      const body = sampleDossier('AUTH-1');
      await expectProblem(await gw.call('POST', '/v1/dossiers', { body }), 401, 'unauthenticated');
      await expectProblem(await gw.call('POST', '/v1/dossiers', { key: 'not-a-key', body }), 401, 'unauthenticated');
      await expectProblem(await gw.call('POST', '/v1/dossiers', { key: KEYS.auditor, body }), 403, 'forbidden-role');
      expect(await count(`dossiers WHERE code = 'AUTH-1'`)).toBe(0);
    });
  });

  describe('malformed bodies', () => {
    const cases: [string, { raw?: string; body?: unknown; headers?: Record<string, string> }, number, string][] = [
      ['broken JSON', { raw: '{"code": "BAD-1",', headers: { 'content-type': 'application/json' } }, 400, 'malformed-json'],
      ['a __proto__ key (prototype pollution)', { raw: '{"code":"BAD-2","__proto__":{"admin":true}}', headers: { 'content-type': 'application/json' } }, 400, 'malformed-json'],
      ['JSON nested 100 deep', { raw: `${'['.repeat(100)}${']'.repeat(100)}`, headers: { 'content-type': 'application/json' } }, 400, 'json-too-deep'],
      ['a field the model does not have', { body: { ...sampleDossier('BAD-3'), secretField: 1 } }, 400, 'invalid-request'],
      ['a status that does not exist', { body: sampleDossier('BAD-4', { status: 'DONE' as never }) }, 400, 'invalid-request'],
      ['a time without an offset', { body: sampleDossier('BAD-5', { receivedAt: '2025-09-01T08:30:00' }) }, 400, 'invalid-request'],
      ['a dossier code with path traversal', { body: sampleDossier('../../etc/passwd') }, 400, 'invalid-request'],
      ['an amount given as a string', { body: sampleDossier('BAD-6', { fees: [{ code: 'LP', name: 'Lệ phí', amount: '5000' as never }] }) }, 400, 'invalid-request'],
      ['XML instead of JSON', { raw: '<dossier/>', headers: { 'content-type': 'application/xml' } }, 415, 'unsupported-media-type'],
      ['a body over 1 MiB', { body: sampleDossier('BAD-7', { summary: 'x'.repeat(1_100_000) }) }, 413, 'payload-too-large'],
      ['an attachment on a host not on the allow-list', { body: sampleDossier('BAD-8', { documents: [{ id: 'd1', name: 'Tờ khai', url: 'http://169.254.169.254/latest/meta-data' }] }) }, 400, 'attachment-not-allowed'],
      ['a file id that was never uploaded', { body: sampleDossier('BAD-9', { documents: [{ id: 'd1', name: 'Tờ khai', fileId: '00000000-0000-4000-8000-000000000000' }] }) }, 400, 'unknown-file'],
    ];
    it.each(cases)('refuses %s', async (_what, request, status, code) => {
      const before = await count('messages');
      await expectProblem(await gw.call('POST', '/v1/dossiers', { key: KEYS.oneStop, ...request }), status, code);
      expect(await count('messages')).toBe(before);
      expect(await count(`dossiers WHERE code LIKE 'BAD-%'`)).toBe(0);
    });

    it('records refusals in the message log as metadata only', async () => {
      const rows = await gw.gateway.db.query<{ outcome: string; error_code: string; body_sha256: string | null }>(
        `SELECT outcome, error_code, body_sha256 FROM message_log WHERE outcome = 'refused'`,
      );
      expect(rows.length).toBeGreaterThan(5);
      expect(rows.every((r) => r.body_sha256 === null)).toBe(true);
      expect(new Set(rows.map((r) => r.error_code))).toContain('illegal-transition');
    });
  });

  describe('retries', () => {
    it('answers a retried create with the same Idempotency-Key once, and refuses the key with another body', async () => {
      const headers = { 'idempotency-key': 'retry-abc-1' };
      const first = await gw.call('POST', '/v1/dossiers', { key: KEYS.oneStop, body: sampleDossier('IDEM-1'), headers });
      const second = await gw.call('POST', '/v1/dossiers', { key: KEYS.oneStop, body: sampleDossier('IDEM-1'), headers });
      expect(second.status).toBe(202);
      expect(second.body).toEqual(first.body);
      expect(await messagesOf('IDEM-1')).toBe(1);
      await expectProblem(await gw.call('POST', '/v1/dossiers', { key: KEYS.oneStop, body: sampleDossier('IDEM-2'), headers }), 409, 'idempotency-key-reused');
      expect(await count(`dossiers WHERE code = 'IDEM-2'`)).toBe(0);
    });

    it('does not send an unchanged dossier twice, even without a key', async () => {
      const first = await gw.call('POST', '/v1/dossiers', { key: KEYS.oneStop, body: sampleDossier('SAME-1') });
      const again = await gw.call('POST', '/v1/dossiers', { key: KEYS.oneStop, body: sampleDossier('SAME-1') });
      expect(again.body.change).toBe('unchanged');
      expect(again.body.messageId).toBe(first.body.messageId);
      const changed = await gw.call('POST', '/v1/dossiers', { key: KEYS.oneStop, body: sampleDossier('SAME-1', { summary: 'Đã sửa trích yếu' }) });
      expect(changed.body.change).toBe('update');
      await eventually(() => gw.sim.dossiers.get('SAME-1')?.TrichYeuHoSo === 'Đã sửa trích yếu', 'the update reaches the portal');
    });
  });
});
