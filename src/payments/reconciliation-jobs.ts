// Reconciliation jobs in PostgreSQL: the API queues one, a worker claims it with a lease and runs it.
// A run holds the job by its run token; when a worker stops mid-job its lease runs out and another
// worker runs the job again from the start (a comparison only reads until its result is kept), up
// to MAX_RUNS times, after which the job is failed as interrupted rather than left "running".
import { randomUUID } from 'node:crypto';
import type { Db, Queryable } from '../store/db.js';
import { noProgress, saveReport, STEPS_TOTAL, type ReconciliationProgress, type ReconciliationReport } from './reconciliation.js';
import type { ReconciliationJob } from './reconciliation-schema.js';

export const MAX_RUNS = 3;

interface JobRow {
  id: string;
  provider: string;
  day: string;
  state: ReconciliationJob['state'];
  progress: ReconciliationProgress;
  attempts: number;
  error: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  report: ReconciliationReport | null;
}

/** The run of a job a worker holds. */
export interface Claim {
  id: string;
  provider: string;
  day: string;
  runToken: string;
}

/** A run that no longer holds its job: it stops without writing. */
export class JobTakenOver extends Error {
  constructor(id: string) {
    super(`reconciliation ${id} was taken over by another run`);
  }
}

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

/**
 * Queues a reconciliation of the provider's day, or answers the one already queued or running for
 * it (created: false): asking twice never runs the same day twice at once.
 */
export async function requestReconciliation(db: Queryable, request: { provider: string; day: string; requestedBy: string }): Promise<{ id: string; created: boolean }> {
  // The running one may finish between the insert and the look-up: then the insert is tried again.
  for (;;) {
    const [inserted] = await db.query<{ id: string }>(
      `INSERT INTO reconciliation_jobs (id, provider, day, progress, requested_by) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (provider, day) WHERE state IN ('queued', 'running') DO NOTHING RETURNING id`,
      [randomUUID(), request.provider, request.day, JSON.stringify(noProgress()), request.requestedBy],
    );
    if (inserted) return { id: inserted.id, created: true };
    const [active] = await db.query<{ id: string }>(`SELECT id FROM reconciliation_jobs WHERE provider = $1 AND day = $2 AND state IN ('queued', 'running')`, [request.provider, request.day]);
    if (active) return { id: active.id, created: false };
  }
}

/** A job, with its report once done; a report the daily run made (no job) reads as a done job. */
export async function findReconciliation(q: Queryable, id: string): Promise<ReconciliationJob | undefined> {
  const [row] = await q.query<JobRow>(
    `SELECT j.id, j.provider, to_char(j.day, 'YYYY-MM-DD') AS day, j.state, j.progress, j.attempts, j.error, j.created_at, j.started_at, j.finished_at, r.report
       FROM reconciliation_jobs j LEFT JOIN reconciliations r ON r.id = j.id WHERE j.id = $1`,
    [id],
  );
  if (row) {
    return {
      id: row.id,
      provider: row.provider,
      day: row.day,
      state: row.state,
      progress: row.progress,
      attempts: row.attempts,
      createdAt: iso(row.created_at)!,
      startedAt: iso(row.started_at),
      finishedAt: iso(row.finished_at),
      ...(row.error ? { error: row.error } : {}),
      ...(row.state === 'done' && row.report ? { result: row.report } : {}),
    };
  }
  const [daily] = await q.query<{ report: ReconciliationReport; created_at: Date }>('SELECT report, created_at FROM reconciliations WHERE id = $1', [id]);
  if (!daily) return undefined;
  const { report } = daily;
  // The daily run keeps its report without a job: it is done, and what it counted on the way is not known.
  const at = iso(daily.created_at)!;
  return { id, provider: report.provider, day: report.day, state: 'done', progress: { stepsDone: STEPS_TOTAL, stepsTotal: STEPS_TOTAL }, attempts: 1, createdAt: at, startedAt: at, finishedAt: at, result: report };
}

/** Fails the jobs whose runs were all interrupted; then claims the oldest queued (or abandoned) job. */
export async function claimReconciliation(db: Db, leaseMs: number): Promise<Claim | undefined> {
  await db.query(
    `UPDATE reconciliation_jobs SET state = 'failed', finished_at = now(), lease_until = NULL, run_token = NULL,
            error = 'interrupted: the worker running it stopped ' || attempts || ' times before it finished'
      WHERE state = 'running' AND lease_until < now() AND attempts >= $1`,
    [MAX_RUNS],
  );
  const [claimed] = await db.query<Claim>(
    `UPDATE reconciliation_jobs SET state = 'running', attempts = attempts + 1, run_token = $1, progress = $2,
            lease_until = now() + $3 * interval '1 millisecond', started_at = COALESCE(started_at, now())
      WHERE id = (SELECT id FROM reconciliation_jobs WHERE state = 'queued' OR (state = 'running' AND lease_until < now())
                   ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
      RETURNING id, provider, to_char(day, 'YYYY-MM-DD') AS day, run_token AS "runToken"`,
    [randomUUID(), JSON.stringify(noProgress()), leaseMs],
  );
  return claimed;
}

/** Writes progress and extends the lease; throws JobTakenOver when the run no longer holds the job. */
export async function recordProgress(db: Queryable, claim: Claim, leaseMs: number, progress?: ReconciliationProgress): Promise<void> {
  const held = await db.query(
    `UPDATE reconciliation_jobs SET progress = COALESCE($3, progress), lease_until = now() + $4 * interval '1 millisecond'
      WHERE id = $1 AND run_token = $2 AND state = 'running' RETURNING 1`,
    [claim.id, claim.runToken, progress ? JSON.stringify(progress) : null, leaseMs],
  );
  if (held.length === 0) throw new JobTakenOver(claim.id);
}

/** Keeps the report and marks the job done, in one transaction, if the run still holds the job. */
export async function finishReconciliation(db: Db, claim: Claim, report: ReconciliationReport, progress: ReconciliationProgress): Promise<void> {
  await db.transaction(async (tx) => {
    const held = await tx.query(
      `UPDATE reconciliation_jobs SET state = 'done', progress = $3, finished_at = now(), lease_until = NULL, run_token = NULL
        WHERE id = $1 AND run_token = $2 AND state = 'running' RETURNING 1`,
      [claim.id, claim.runToken, JSON.stringify(progress)],
    );
    if (held.length === 0) throw new JobTakenOver(claim.id);
    await saveReport(tx, report);
  });
}

export async function failReconciliation(db: Queryable, claim: Claim, error: string): Promise<void> {
  await db.query(
    `UPDATE reconciliation_jobs SET state = 'failed', error = $3, finished_at = now(), lease_until = NULL, run_token = NULL
      WHERE id = $1 AND run_token = $2 AND state = 'running'`,
    [claim.id, claim.runToken, error.slice(0, 1000)],
  );
}

/** A worker shutting down gives its job back at once; the run it started is not counted. */
export async function releaseReconciliation(db: Queryable, claim: Claim): Promise<void> {
  await db.query(
    `UPDATE reconciliation_jobs SET state = 'queued', attempts = attempts - 1, lease_until = NULL, run_token = NULL
      WHERE id = $1 AND run_token = $2 AND state = 'running'`,
    [claim.id, claim.runToken],
  );
}
