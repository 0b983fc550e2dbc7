// A provider's word that money moved, applied once in effect: the payment row is locked, a repeat
// (or a concurrent duplicate) finds it paid and is acknowledged without changing anything, and the
// one-stop system and the national portal are each told through the retrying queue.
import type { Logger } from 'pino';
import type { Dossier } from '../../schemas/dossier.js';
import { appendLog } from '../audit/message-log.js';
import type { CallbackGuards } from '../callbacks/replay-guard.js';
import { sha256Hex } from '../core/hash.js';
import { Problem } from '../core/problems.js';
import { queuePartnerNotification } from '../delivery/partner-notification.js';
import type { Enqueuer } from '../delivery/enqueuer.js';
import { enqueueAfterCommit } from '../delivery/enqueue-after-commit.js';
import { acceptDossier, type AcceptContext } from '../dossiers/accept.js';
import type { Lane } from '../store/messages.js';
import type { Db, Queryable } from '../store/db.js';
import type { PartnerRegistry } from '../partners/registry.js';
import type { NotificationOutcome, NotificationRequest, ParsedNotification, PaymentProvider, ProviderAnswer } from './provider.js';
import type { PaymentRow } from './requests.js';

export interface PaymentDeps {
  db: Db;
  registry: PartnerRegistry;
  /** For the dossier update a paid payment sends to the national portal. */
  accept: AcceptContext;
  queue: Enqueuer;
  logger: Logger;
  /** Counts double payments and refused notifications for the operator. */
  onAlert?: (kind: 'double-payment' | 'refused-notification', detail: Record<string, unknown>) => void;
}

const PAYMENT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

type Verified = Extract<ParsedNotification, { kind: 'valid' }>;

export async function receiveNotification(deps: PaymentDeps, guards: CallbackGuards, provider: PaymentProvider, request: NotificationRequest): Promise<ProviderAnswer> {
  const parsed = provider.parseNotification(request);
  if (parsed.kind !== 'valid') {
    const outcome: NotificationOutcome = parsed.kind === 'invalid-signature' ? 'invalid-signature' : 'malformed';
    await refusal(deps, guards, provider, outcome);
    return provider.answer(outcome, parsed);
  }
  // The provider's own time (ThoiGianGD, vnp_PayDate) is signed with the rest; a notification dated
  // outside the window is an old one played again, or a clock gone wrong: not acted on either way.
  if (parsed.paidAt && guards.replay.judgeTime(parsed.paidAt) !== 'in-window') {
    await refusal(deps, guards, provider, 'callback-stale');
    return provider.answer('malformed', parsed);
  }
  // The same transaction, result and amount is the same message: a replay, or the provider's own
  // retry, changes nothing and is answered as the first one was, or as already confirmed.
  const kind = `payment:${provider.id}`;
  const messageId = `${parsed.paymentId}|${parsed.providerTxnId}|${parsed.resultCode}|${parsed.amount}`;
  const earlier = await guards.replay.seen(kind, messageId);
  if (earlier !== undefined) {
    await refusal(deps, guards, provider, 'callback-replayed');
    return provider.answer(earlier === 'confirmed' ? 'already-confirmed' : (earlier as NotificationOutcome), parsed);
  }
  const outcome = await settle(deps, provider, parsed, request.body, 'notification');
  if (outcome === 'not-found' || outcome === 'invalid-amount') await refusal(deps, guards, provider, outcome);
  await guards.replay.remember(kind, messageId, outcome);
  return provider.answer(outcome, parsed);
}

/** Applies a verified result (from a notification or a query) to its payment. */
export async function settle(deps: PaymentDeps, provider: PaymentProvider, result: Verified, body: Buffer, via: 'notification' | 'query'): Promise<NotificationOutcome> {
  // Our payment ids are UUIDs; a signed reference that is not one names no payment of ours, and
  // must not reach the uuid cast of the query below (a 500 instead of the provider's answer).
  if (!PAYMENT_ID.test(result.paymentId)) return 'not-found';
  const { db } = deps;
  let paidNow: PaymentRow | undefined;
  const enqueue: { id: string; lane: Lane }[] = [];
  const outcome = await db.transaction(async (tx): Promise<NotificationOutcome> => {
    const [payment] = await tx.query<PaymentRow>('SELECT * FROM payments WHERE id = $1 AND provider = $2 FOR UPDATE', [result.paymentId, provider.id]);
    if (!payment) return 'not-found';
    if (Number(payment.amount) !== result.amount) return 'invalid-amount';
    if (payment.state === 'paid') {
      paidNow = payment; // told again: make sure the portal heard (idempotent)
      return 'already-confirmed';
    }
    await appendLog(tx, {
      direction: 'in',
      partnerId: undefined,
      endpoint: `payment:${provider.id}:${via}`,
      dossierCode: payment.dossier_code,
      body,
      outcome: 'accepted',
    });
    if (!result.paid) {
      await tx.query(`UPDATE payments SET state = 'failed', updated_at = now() WHERE id = $1 AND state <> 'paid'`, [payment.id]);
      const note = await notify(tx, deps, payment, 'payment.failed', { resultCode: result.resultCode });
      if (note) enqueue.push(note);
      return 'confirmed';
    }
    const [updated] = await tx.query<PaymentRow>(
      `UPDATE payments SET state = 'paid', provider_txn_id = $2, bank_code = $3, paid_at = $4, updated_at = now() WHERE id = $1 RETURNING *`,
      [payment.id, result.providerTxnId, result.bankCode ?? null, result.paidAt ?? new Date()],
    );
    const codes = payment.lines.map((l) => l.code);
    const kept = await tx.query<{ fee_code: string }>(
      `INSERT INTO paid_fees (dossier_code, fee_code, payment_id) SELECT $1, code, $2 FROM unnest($3::text[]) AS code
       ON CONFLICT (dossier_code, fee_code) DO NOTHING RETURNING fee_code`,
      [payment.dossier_code, payment.id, codes],
    );
    if (kept.length < codes.length) {
      // Two payments for the same fee both went through: the money moved twice and needs a refund.
      deps.logger.error({ paymentId: payment.id, dossierCode: payment.dossier_code }, 'double payment: a fee line was already paid by another payment');
      deps.onAlert?.('double-payment', { paymentId: payment.id });
    }
    const note = await notify(tx, deps, updated!, 'payment.paid', { providerTransaction: result.providerTxnId });
    if (note) enqueue.push(note);
    paidNow = updated;
    return 'confirmed';
  });
  await enqueueAfterCommit(deps.queue, enqueue, deps.logger);
  if (paidNow) {
    await tellPortal(deps, paidNow);
    if (outcome === 'confirmed') await keepReceipt(deps, provider, paidNow);
  }
  return outcome;
}

/** The provider's electronic receipt (GET_BILL), kept with the payment; a failure leaves it to be asked again. */
async function keepReceipt(deps: PaymentDeps, provider: PaymentProvider, payment: PaymentRow): Promise<void> {
  if (!provider.receipt) return;
  try {
    const pdf = await provider.receipt({ paymentId: payment.id });
    if (pdf) await deps.db.query('UPDATE payments SET receipt = $2 WHERE id = $1', [payment.id, pdf]);
  } catch (error) {
    deps.logger.warn({ paymentId: payment.id, err: { message: (error as Error).message } }, 'receipt not fetched');
  }
}

function notify(tx: Queryable, deps: PaymentDeps, payment: PaymentRow, type: string, extra: Record<string, unknown>) {
  return queuePartnerNotification(tx, deps.registry, {
    partnerId: payment.partner_id,
    kind: 'payment-status',
    dossierCode: payment.dossier_code,
    line: `payment:${payment.id}`,
    lane: 'live',
    payload: { type, paymentId: payment.id, dossierCode: payment.dossier_code, amount: Number(payment.amount), fees: payment.lines.map((l) => l.code), ...extra },
  });
}

/**
 * The national portal learns the fees are paid (DuocThanhToanTrucTuyen) by an update of the
 * dossier. The idempotency key makes it happen once, however often a payment is settled.
 */
async function tellPortal(deps: PaymentDeps, payment: PaymentRow): Promise<void> {
  const { accept } = deps;
  const partner = deps.registry.get(payment.partner_id);
  const [row] = await deps.db.query<{ body: Dossier }>('SELECT body FROM dossiers WHERE code = $1', [payment.dossier_code]);
  if (!partner || !row) return;
  const fees = [...(row.body.fees ?? [])];
  for (const line of payment.lines) {
    const at = fees.findIndex((f) => f.code === line.code);
    const paid = { ...(at >= 0 ? fees[at]! : { code: line.code, name: line.name, amount: line.amount, kind: line.kind }), collection: 'online' as const, paidOnline: true };
    if (at >= 0) fees[at] = paid;
    else fees.push(paid);
  }
  const dossier: Dossier = { ...row.body, fees };
  const body = Buffer.from(JSON.stringify(dossier));
  try {
    const accepted = await acceptDossier(
      accept,
      { partner, endpoint: 'payment:paid', rawBodySha256: sha256Hex(body), rawBody: body, idempotencyKey: `payment-paid:${payment.id}`, lane: 'live' },
      dossier,
    );
    await enqueueAfterCommit(deps.queue, accepted.enqueue, deps.logger);
  } catch (error) {
    if (!(error instanceof Problem)) throw error;
    deps.logger.warn({ paymentId: payment.id, code: error.code }, 'payment recorded, but the dossier update for the national portal was refused');
  }
}

async function refusal(deps: PaymentDeps, guards: CallbackGuards, provider: PaymentProvider, outcome: string): Promise<void> {
  // Metadata only: a forged or wrong notification's body is not kept. Sampled per provider, since
  // forgeries come anonymously and from anywhere.
  await guards.refusals.record({ source: `provider:${provider.id}`, partnerId: undefined, endpoint: `payment:${provider.id}:notification`, errorCode: outcome });
  deps.onAlert?.('refused-notification', { provider: provider.id, outcome });
}
