// Reconciliation across midnight, Vietnam time: a payment at 23:59 that the provider books the next
// day is matched (T+1), not reported; what is really missing or different is.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PaymentProvider, StatementLine } from '../../src/payments/provider.js';
import { reconcile, reconciliationCsv, shiftDay } from '../../src/payments/reconciliation.js';
import { openDatabase, type Db } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrations.js';

const ids = { lateNight: '11111111-1111-4111-8111-111111111111', missing: '22222222-2222-4222-8222-222222222222', changed: '33333333-3333-4333-8333-333333333333', prevEvening: '44444444-4444-4444-8444-444444444444', ok: '55555555-5555-4555-8555-555555555555' };

function fakeProvider(statements: Record<string, StatementLine[]>): PaymentProvider {
  return {
    id: 'fake',
    statement: async (day: string) => ({ kind: 'ok', transactions: statements[day] ?? [] }),
  } as unknown as PaymentProvider;
}

describe('reconciliation of a day cut at midnight Vietnam time', () => {
  let dir: string;
  let db: Db;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'lgsp-recon-'));
    db = await openDatabase({ databaseUrl: undefined, dataDir: dir });
    await migrate(db);
    const paid = async (id: string, amount: number, at: string) =>
      db.query(
        `INSERT INTO payments (id, partner_id, dossier_code, provider, amount, lines, payer, return_url, state, provider_txn_id, paid_at, expires_at)
         VALUES ($1, 'p', 'D', 'fake', $2, '[]', '{}', 'https://x', 'paid', $3, $4, $4)`,
        [id, amount, `T-${id.slice(0, 4)}`, at],
      );
    await paid(ids.ok, 10_000, '2026-11-20T10:00:00+07:00');
    await paid(ids.lateNight, 20_000, '2026-11-20T23:59:30+07:00');
    await paid(ids.missing, 30_000, '2026-11-20T12:00:00+07:00');
    await paid(ids.changed, 40_000, '2026-11-20T13:00:00+07:00');
    await paid(ids.prevEvening, 50_000, '2026-11-19T23:58:00+07:00');
  });
  afterAll(async () => {
    await db?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('counts days in Vietnam time', () => {
    expect(shiftDay('2026-11-20', 1)).toBe('2026-11-21');
    expect(shiftDay('2026-12-31', 1)).toBe('2027-01-01');
    expect(shiftDay('2026-03-01', -1)).toBe('2026-02-28');
  });

  it('matches T+1 both ways and reports the planted missing transaction and amount mismatch', async () => {
    const line = (id: string, amount: number, at: string): StatementLine => ({ paymentId: id, providerTxnId: `T-${id.slice(0, 4)}`, amount, paidAt: new Date(at) });
    const provider = fakeProvider({
      '2026-11-20': [line(ids.ok, 10_000, '2026-11-20T10:00:01+07:00'), line(ids.changed, 41_000, '2026-11-20T13:00:01+07:00'), line(ids.prevEvening, 50_000, '2026-11-20T00:00:05+07:00')],
      '2026-11-21': [line(ids.lateNight, 20_000, '2026-11-21T00:00:10+07:00')],
    });
    const report = await reconcile(db, provider, '2026-11-20');
    expect(report.matched.map((l) => l.paymentId).sort()).toEqual([ids.lateNight, ids.ok].sort());
    expect(report.missingAtProvider.map((l) => l.paymentId)).toEqual([ids.missing]);
    expect(report.amountMismatches).toEqual([expect.objectContaining({ paymentId: ids.changed, gatewayAmount: 40_000, providerAmount: 41_000 })]);
    expect(report.missingAtGateway).toEqual([]);
    expect(report.summary).toEqual({ matched: 2, missingAtProvider: 1, missingAtGateway: 0, amountMismatches: 1, mismatches: 2 });
    const csv = reconciliationCsv(report);
    expect(csv.startsWith('\uFEFFKết quả / Result,')).toBe(true);
    expect(csv).toContain(`Lệch số tiền / Amount mismatch,${ids.changed}`);
  });

  it('reports a transaction the provider has and the gateway never recorded', async () => {
    const stranger = '66666666-6666-4666-8666-666666666666';
    const report = await reconcile(db, fakeProvider({ '2026-11-22': [{ paymentId: stranger, providerTxnId: 'X', amount: 1_000, paidAt: new Date('2026-11-22T09:00:00+07:00') }] }), '2026-11-22');
    expect(report.missingAtGateway.map((l) => l.paymentId)).toEqual([stranger]);
  });
});
