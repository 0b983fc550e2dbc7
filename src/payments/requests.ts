// Asking for a payment: the total is the sum of the lines, a fee line already paid for the dossier is
// never charged again, and the provider's payment URL is fetched before the one-stop system hears back.
import { randomUUID } from 'node:crypto';
import type { PaymentRequest } from '../../schemas/payment.js';
import { appendLog } from '../audit/message-log.js';
import { Problem } from '../core/problems.js';
import { mayActOn, partiesOf } from '../partners/ownership.js';
import type { Partner, PartnerRegistry } from '../partners/registry.js';
import type { Db, Queryable } from '../store/db.js';
import type { PaymentProvider } from './provider.js';

export interface PaymentRow {
  id: string;
  partner_id: string;
  dossier_code: string;
  provider: string;
  amount: string;
  lines: PaymentRequest['lines'];
  payer: PaymentRequest['payer'];
  return_url: string;
  payment_url: string | null;
  state: 'creating' | 'pending' | 'paid' | 'failed' | 'expired';
  provider_txn_id: string | null;
  bank_code: string | null;
  paid_at: Date | null;
  expires_at: Date;
  created_at: Date;
  receipt: Uint8Array | null;
}

export interface PaymentWrite {
  partner: Partner;
  rawBody: Buffer;
  signature?: Parameters<typeof appendLog>[1]['signature'];
}

export async function requestPayment(
  db: Db,
  providers: ReadonlyMap<string, PaymentProvider>,
  write: PaymentWrite,
  request: PaymentRequest,
  options: { expiryMinutes: number; registry: PartnerRegistry },
): Promise<PaymentRow> {
  const provider = providers.get(request.provider);
  if (!provider) throw new Problem('unavailable', `The payment provider "${request.provider}" is not configured`);
  const codes = request.lines.map((l) => l.code);
  if (new Set(codes).size !== codes.length) throw new Problem('invalid-request', 'A fee line code appears twice');
  const amount = request.lines.reduce((sum, l) => sum + l.amount, 0);
  const id = randomUUID();
  const now = new Date();
  const expiresAt = new Date(now.getTime() + options.expiryMinutes * 60_000);
  await db.transaction(async (tx) => {
    // Only a dossier of the caller's agencies; any other is answered as one that does not exist.
    if (mayActOn(options.registry, write.partner, 'pay', await partiesOf(tx, request.dossierCode, { lock: true })) !== 'allowed') {
      throw new Problem('dossier-not-found', `No dossier ${request.dossierCode} among the agencies you act for`);
    }
    const paid = await tx.query<{ fee_code: string }>('SELECT fee_code FROM paid_fees WHERE dossier_code = $1 AND fee_code = ANY($2)', [request.dossierCode, codes]);
    if (paid.length > 0) {
      throw new Problem('fee-already-paid', `Dossier ${request.dossierCode} has already paid ${paid.map((p) => p.fee_code).join(', ')}`, { paidFees: paid.map((p) => p.fee_code) });
    }
    await tx.query(
      `INSERT INTO payments (id, partner_id, dossier_code, provider, amount, lines, payer, return_url, expires_at, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [id, write.partner.id, request.dossierCode, request.provider, amount, JSON.stringify(request.lines), JSON.stringify(request.payer), request.returnUrl, expiresAt, now],
    );
    await appendLog(tx, {
      direction: 'in',
      partnerId: write.partner.id,
      endpoint: 'POST /v1/payments',
      dossierCode: request.dossierCode,
      body: write.rawBody,
      outcome: 'accepted',
      signature: write.signature,
    });
  });
  const answer = await provider.createPayment({
    paymentId: id,
    dossierCode: request.dossierCode,
    amount,
    lines: request.lines,
    payer: request.payer,
    returnUrl: request.returnUrl,
    description: `Thanh toan phi, le phi ho so ${request.dossierCode}`,
    createdAt: now,
    expiresAt,
    clientIp: request.clientIp ?? '127.0.0.1',
  });
  if (answer.kind !== 'ok') {
    await db.query(`UPDATE payments SET state = 'failed', updated_at = now() WHERE id = $1`, [id]);
    const why = answer.kind === 'refused' ? `refused (${answer.code}): ${answer.message}` : `unavailable: ${answer.reason}`;
    throw new Problem('unavailable', `The payment provider ${request.provider} ${why}`);
  }
  const [row] = await db.query<PaymentRow>(`UPDATE payments SET state = 'pending', payment_url = $2, updated_at = now() WHERE id = $1 RETURNING *`, [id, answer.paymentUrl]);
  return row!;
}

export function paymentView(row: PaymentRow): Record<string, unknown> {
  return {
    id: row.id,
    dossierCode: row.dossier_code,
    provider: row.provider,
    amount: Number(row.amount),
    lines: row.lines,
    state: row.state,
    paymentUrl: row.payment_url,
    expiresAt: new Date(row.expires_at).toISOString(),
    ...(row.receipt ? { receipt: `/v1/payments/${row.id}/receipt` } : {}),
    ...(row.paid_at ? { paidAt: new Date(row.paid_at).toISOString(), providerTransaction: row.provider_txn_id, bankCode: row.bank_code } : {}),
  };
}

export async function ownPayment(q: Queryable, partner: Partner, id: string): Promise<PaymentRow> {
  const [row] = await q.query<PaymentRow>('SELECT * FROM payments WHERE id = $1', [id]);
  if (!row || (row.partner_id !== partner.id && !partner.roles.has('admin'))) throw new Problem('payment-not-found', `No payment ${id} among yours`);
  return row;
}
