// A reconciliation as a job in the database: it runs to done with the report the synchronous call
// made, shows its progress while it runs, is asked for once per provider and day, and a worker that
// stops mid-job leaves it to be run again from the start, or failed as interrupted, never "running".
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PaymentProvider, StatementLine } from '../../src/payments/provider.js';
import { findReconciliation, MAX_RUNS, requestReconciliation } from '../../src/payments/reconciliation-jobs.js';
import { ReconciliationRunner } from '../../src/payments/reconciliation-runner.js';
import { compareDay, type ReconciliationReport } from '../../src/payments/reconciliation.js';
import { openDatabase, type Db } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrations.js';
import { eventually } from '../support/gateway.js';

const PAID = '11111111-1111-4111-8111-111111111111';
const CHANGED = '33333333-3333-4333-8333-333333333333';
const line = (paymentId: string, amount: number, at: string): StatementLine => ({ paymentId, providerTxnId: `T-${paymentId.slice(0, 4)}`, amount, paidAt: new Date(at) });
const STATEMENTS: Record<string, StatementLine[]> = {
  '2026-11-20': [line(PAID, 10_000, '2026-11-20T10:00:01+07:00'), line(CHANGED, 41_000, '2026-11-20T13:00:01+07:00')],
};

/** A provider whose statements answer at once, or, for the days in `held`, once the test lets them. */
function fakeProvider(held: Set<string> = new Set()) {
  const waiting = new Map<string, () => void>();
  const provider = {
    id: 'fake',
    statement: async (day: string) => {
      if (held.has(day)) await new Promise<void>((resolve) => waiting.set(day, resolve));
      return { kind: 'ok', transactions: STATEMENTS[day] ?? [] };
    },
  } as unknown as PaymentProvider;
  return { provider, release: (day: string) => waiting.get(day)?.(), isWaiting: (day: string) => waiting.has(day) };
}

const LEASE = { pollMs: 60_000, leaseMs: 60_000 };
const logger = pino({ level: 'silent' });

describe('reconciliation jobs', () => {
  let dir: string;
  let db: Db;
  const reports: ReconciliationReport[] = [];
  const runner = (provider: PaymentProvider) => new ReconciliationRunner(db, new Map([['fake', provider]]), (r) => reports.push(r), logger, LEASE);

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'lgsp-recon-jobs-'));
    db = await openDatabase({ databaseUrl: undefined, dataDir: dir });
    await migrate(db);
    const paid = (id: string, amount: number, at: string) =>
      db.query(
        `INSERT INTO payments (id, partner_id, dossier_code, provider, amount, lines, payer, return_url, state, provider_txn_id, paid_at, expires_at)
         VALUES ($1, 'p', 'D', 'fake', $2, '[]', '{}', 'https://x', 'paid', $3, $4, $4)`,
        [id, amount, `T-${id.slice(0, 4)}`, at],
      );
    await paid(PAID, 10_000, '2026-11-20T10:00:00+07:00');
    await paid(CHANGED, 40_000, '2026-11-20T13:00:00+07:00');
  });
  afterAll(async () => {
    await db?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs a queued job to done, with the report the synchronous comparison makes', async () => {
    const { id, created } = await requestReconciliation(db, { provider: 'fake', day: '2026-11-20', requestedBy: 'ops' });
    expect(created).toBe(true);
    expect(await findReconciliation(db, id)).toMatchObject({ id, state: 'queued', progress: { stepsDone: 0, stepsTotal: 4 }, attempts: 0, startedAt: null });
    expect(await runner(fakeProvider().provider).runOnce()).toBe(true);

    const job = await findReconciliation(db, id);
    const expected = await compareDay(db, fakeProvider().provider, '2026-11-20', { id });
    const { createdAt: _a, ...result } = job!.result!;
    const { createdAt: _b, ...same } = expected;
    expect(job).toMatchObject({ state: 'done', attempts: 1, progress: { stepsDone: 4, stepsTotal: 4, gatewayPayments: 2, providerTransactions: 2 } });
    expect(result).toEqual(same);
    expect(result.summary).toEqual({ matched: 1, missingAtProvider: 0, missingAtGateway: 0, amountMismatches: 1, mismatches: 1 });
    expect(reports.map((r) => r.id)).toContain(id);
    // Done, a new request for the same day is a new job.
    expect((await requestReconciliation(db, { provider: 'fake', day: '2026-11-20', requestedBy: 'ops' })).id).not.toBe(id);
    await db.query(`DELETE FROM reconciliation_jobs WHERE state = 'queued'`);
  });

  it('shows progress while it runs; a second request for the same day answers the running job', async () => {
    const fake = fakeProvider(new Set(['2026-11-21']));
    const { id } = await requestReconciliation(db, { provider: 'fake', day: '2026-11-20', requestedBy: 'ops' });
    const running = runner(fake.provider).runOnce();
    await eventually(() => fake.isWaiting('2026-11-21'), 'the run waits for the next day statement');
    expect(await findReconciliation(db, id)).toMatchObject({ state: 'running', attempts: 1, progress: { stepsDone: 2, stepsTotal: 4, gatewayPayments: 2, providerTransactions: 2 } });
    expect(await requestReconciliation(db, { provider: 'fake', day: '2026-11-20', requestedBy: 'ops' })).toEqual({ id, created: false });
    fake.release('2026-11-21');
    await running;
    expect(await findReconciliation(db, id)).toMatchObject({ state: 'done', progress: { stepsDone: 4 } });
  });

  it('a worker that stops mid-job: another runs it again from the start, and the stopped run writes nothing', async () => {
    const stuck = fakeProvider(new Set(['2026-11-21']));
    const { id } = await requestReconciliation(db, { provider: 'fake', day: '2026-11-20', requestedBy: 'ops' });
    const first = runner(stuck.provider).runOnce();
    await eventually(() => stuck.isWaiting('2026-11-21'), 'the first run is under way');
    // The first worker is gone (killed): its lease runs out.
    await db.query(`UPDATE reconciliation_jobs SET lease_until = now() - interval '1 second' WHERE id = $1`, [id]);
    expect(await runner(fakeProvider().provider).runOnce()).toBe(true);
    const done = await findReconciliation(db, id);
    expect(done).toMatchObject({ state: 'done', attempts: 2, progress: { stepsDone: 4 } });
    // The first run wakes up late: it no longer holds the job, so it neither fails it nor keeps a second report.
    stuck.release('2026-11-21');
    await first;
    expect(await findReconciliation(db, id)).toEqual(done);
    expect(await db.query('SELECT 1 FROM reconciliations WHERE id = $1', [id])).toHaveLength(1);
  });

  it('a job whose every run was interrupted is failed as interrupted, not left running', async () => {
    const { id } = await requestReconciliation(db, { provider: 'fake', day: '2026-11-19', requestedBy: 'ops' });
    await db.query(`UPDATE reconciliation_jobs SET state = 'running', attempts = $2, lease_until = now() - interval '1 second' WHERE id = $1`, [id, MAX_RUNS]);
    expect(await runner(fakeProvider().provider).runOnce()).toBe(false);
    const job = await findReconciliation(db, id);
    expect(job).toMatchObject({ state: 'failed', attempts: MAX_RUNS });
    expect(job!.error).toMatch(/^interrupted: the worker running it stopped 3 times/);
    expect(job!.result).toBeUndefined();
  });

  it('a worker shutting down gives its job back, and the next start runs it', async () => {
    const stuck = fakeProvider(new Set(['2026-11-22']));
    const { id } = await requestReconciliation(db, { provider: 'fake', day: '2026-11-22', requestedBy: 'ops' });
    const stopping = runner(stuck.provider);
    const run = stopping.runOnce();
    await eventually(() => stuck.isWaiting('2026-11-22'), 'the run is under way');
    const stopped = stopping.stop();
    await eventually(async () => (await findReconciliation(db, id))?.state === 'queued', 'the job is queued again');
    stuck.release('2026-11-22');
    await Promise.all([run, stopped]);
    expect(await findReconciliation(db, id)).toMatchObject({ state: 'queued', attempts: 0 });
    expect(await runner(fakeProvider().provider).runOnce()).toBe(true);
    expect(await findReconciliation(db, id)).toMatchObject({ state: 'done', attempts: 1 });
  });

  it('fails honestly when the provider has no statement', async () => {
    const { id } = await requestReconciliation(db, { provider: 'fake', day: '2026-11-25', requestedBy: 'ops' });
    const down = { id: 'fake', statement: async () => ({ kind: 'unavailable', reason: 'HTTP 503' }) } as unknown as PaymentProvider;
    await runner(down).runOnce();
    const job = await findReconciliation(db, id);
    expect(job).toMatchObject({ state: 'failed', progress: { stepsDone: 1 } });
    expect(job!.error).toBe('the fake statement for 2026-11-25 is unavailable: HTTP 503');
  });

  it('an unknown id is none', async () => {
    expect(await findReconciliation(db, '99999999-9999-4999-8999-999999999999')).toBeUndefined();
  });
});
