// Reconciliation (đối soát): a day's paid payments, as the gateway recorded them, against the
// provider's transactions. Days are cut at midnight Vietnam time; a payment near midnight that the
// provider books on the next day (T+1) is matched, not reported.
import { randomUUID } from 'node:crypto';
import { vietnamRfc3339 } from '../core/vietnam-time.js';
import type { Queryable } from '../store/db.js';
import type { PaymentProvider, StatementLine } from './provider.js';

export interface ReconciliationLine {
  paymentId: string;
  providerTransaction: string | null;
  gatewayAmount: number | null;
  providerAmount: number | null;
  paidAt: string | null;
}

export interface ReconciliationReport {
  id: string;
  provider: string;
  day: string;
  createdAt: string;
  summary: { matched: number; missingAtProvider: number; missingAtGateway: number; amountMismatches: number; mismatches: number };
  matched: ReconciliationLine[];
  missingAtProvider: ReconciliationLine[];
  missingAtGateway: ReconciliationLine[];
  amountMismatches: ReconciliationLine[];
}

const VIETNAM_OFFSET = '+07:00';
const DAY_MS = 86_400_000;

function dayBounds(day: string): { start: Date; end: Date } {
  const start = new Date(`${day}T00:00:00${VIETNAM_OFFSET}`);
  if (Number.isNaN(start.getTime())) throw new RangeError(`not a day: ${day}`);
  return { start, end: new Date(start.getTime() + DAY_MS) };
}

export function shiftDay(day: string, days: number): string {
  const { start } = dayBounds(day);
  return vietnamRfc3339(new Date(start.getTime() + days * DAY_MS)).slice(0, 10);
}

interface Ours {
  id: string;
  amount: string;
  provider_txn_id: string | null;
  paid_at: Date;
}

async function paidBetween(q: Queryable, provider: string, start: Date, end: Date): Promise<Ours[]> {
  return q.query<Ours>(`SELECT id, amount, provider_txn_id, paid_at FROM payments WHERE provider = $1 AND state = 'paid' AND paid_at >= $2 AND paid_at < $3`, [provider, start, end]);
}

async function statementOf(provider: PaymentProvider, day: string): Promise<StatementLine[]> {
  const answer = await provider.statement(day);
  if (answer.kind !== 'ok') throw new Error(`the ${provider.id} statement for ${day} is unavailable: ${answer.reason}`);
  return answer.transactions;
}

/** How far a reconciliation has come: steps of STEPS_TOTAL, and what it has counted so far. */
export interface ReconciliationProgress {
  stepsDone: number;
  stepsTotal: number;
  /** The gateway's paid payments of the day and of the evening before (for T+1). */
  gatewayPayments: number;
  /** The provider's statement lines of the day and of the next day. */
  providerTransactions: number;
}

/** Read the gateway's payments, the day's statement, the next day's statement, compare. */
export const STEPS_TOTAL = 4;

export function noProgress(): ReconciliationProgress {
  return { stepsDone: 0, stepsTotal: STEPS_TOTAL, gatewayPayments: 0, providerTransactions: 0 };
}

export interface CompareOptions {
  /** The report's id (a reconciliation job's id); a new one when absent. */
  id?: string;
  /** Told after each step; a rejection stops the comparison (the job was taken over). */
  onProgress?: (progress: ReconciliationProgress) => Promise<void>;
}

/** The day's report, not yet kept: only reads, so it may be run again from the start at any time. */
export async function compareDay(q: Queryable, provider: PaymentProvider, day: string, options: CompareOptions = {}): Promise<ReconciliationReport> {
  const { start, end } = dayBounds(day);
  const progress = noProgress();
  const step = async (counts: Partial<ReconciliationProgress>) => {
    Object.assign(progress, counts, { stepsDone: progress.stepsDone + 1 });
    await options.onProgress?.({ ...progress });
  };
  const ours = await paidBetween(q, provider.id, start, end);
  const oursBefore = await paidBetween(q, provider.id, new Date(start.getTime() - DAY_MS), start);
  await step({ gatewayPayments: ours.length + oursBefore.length });
  const theirsToday = await statementOf(provider, day);
  await step({ providerTransactions: theirsToday.length });
  const theirsNext = await statementOf(provider, shiftDay(day, 1));
  const theirs = new Map([...theirsNext, ...theirsToday].map((t) => [t.paymentId, t]));
  await step({ providerTransactions: theirsToday.length + theirsNext.length });

  const report: ReconciliationReport = {
    id: options.id ?? randomUUID(),
    provider: provider.id,
    day,
    createdAt: new Date().toISOString(),
    summary: { matched: 0, missingAtProvider: 0, missingAtGateway: 0, amountMismatches: 0, mismatches: 0 },
    matched: [],
    missingAtProvider: [],
    missingAtGateway: [],
    amountMismatches: [],
  };
  const line = (o: Ours | undefined, t: StatementLine | undefined): ReconciliationLine => ({
    paymentId: o?.id ?? t!.paymentId,
    providerTransaction: t?.providerTxnId ?? o?.provider_txn_id ?? null,
    gatewayAmount: o ? Number(o.amount) : null,
    providerAmount: t ? t.amount : null,
    paidAt: (o?.paid_at ? new Date(o.paid_at) : t?.paidAt)?.toISOString() ?? null,
  });
  for (const o of ours) {
    const t = theirs.get(o.id);
    if (!t) report.missingAtProvider.push(line(o, undefined));
    else if (t.amount !== Number(o.amount)) report.amountMismatches.push(line(o, t));
    else report.matched.push(line(o, t));
  }
  // The provider's lines of the day that the gateway did not record that day, nor the evening before.
  const known = new Set([...ours, ...oursBefore].map((o) => o.id));
  for (const t of theirsToday) if (!known.has(t.paymentId)) report.missingAtGateway.push(line(undefined, t));

  const s = report.summary;
  s.matched = report.matched.length;
  s.missingAtProvider = report.missingAtProvider.length;
  s.missingAtGateway = report.missingAtGateway.length;
  s.amountMismatches = report.amountMismatches.length;
  s.mismatches = s.missingAtProvider + s.missingAtGateway + s.amountMismatches;
  await step({});
  return report;
}

export async function saveReport(q: Queryable, report: ReconciliationReport): Promise<void> {
  await q.query('INSERT INTO reconciliations (id, provider, day, report) VALUES ($1, $2, $3, $4)', [report.id, report.provider, report.day, JSON.stringify(report)]);
}

/** Compares a day and keeps the report (the daily run). */
export async function reconcile(q: Queryable, provider: PaymentProvider, day: string): Promise<ReconciliationReport> {
  const report = await compareDay(q, provider, day);
  await saveReport(q, report);
  return report;
}

const CSV_HEADER = ['Kết quả / Result', 'Mã thanh toán / Payment', 'Mã giao dịch / Transaction', 'Số tiền cổng / Gateway (VND)', 'Số tiền đối tác / Provider (VND)', 'Thời gian (UTC+7) / Paid at'];
const RESULT_LABELS: [keyof ReconciliationReport & ('matched' | 'missingAtProvider' | 'missingAtGateway' | 'amountMismatches'), string][] = [
  ['amountMismatches', 'Lệch số tiền / Amount mismatch'],
  ['missingAtProvider', 'Thiếu ở đối tác / Missing at provider'],
  ['missingAtGateway', 'Thiếu ở cổng / Missing at gateway'],
  ['matched', 'Khớp / Matched'],
];

/** UTF-8 with a BOM, so that a spreadsheet opens the Vietnamese intact. */
export function reconciliationCsv(report: ReconciliationReport): string {
  const cell = (value: unknown) => {
    const text = value === null || value === undefined ? '' : String(value);
    return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  const vietnamTime = (iso: string | null) => (iso ? new Date(new Date(iso).getTime() + 7 * 3_600_000).toISOString().replace('T', ' ').slice(0, 19) : '');
  const rows = [CSV_HEADER];
  for (const [key, label] of RESULT_LABELS) {
    for (const l of report[key]) rows.push([label, l.paymentId, l.providerTransaction ?? '', String(l.gatewayAmount ?? ''), String(l.providerAmount ?? ''), vietnamTime(l.paidAt)]);
  }
  return `\uFEFF${rows.map((r) => r.map(cell).join(',')).join('\r\n')}\r\n`;
}
