// Payments nobody told the gateway about: after a while a pending payment is checked with the
// provider's query (a notification may have been lost), and one past its expiry unpaid is closed.
import type { Logger } from 'pino';
import { settle, type PaymentDeps } from './notifications.js';
import type { PaymentProvider } from './provider.js';
import type { PaymentRow } from './requests.js';

export class PendingPayments {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: PaymentDeps,
    private readonly providers: ReadonlyMap<string, PaymentProvider>,
    private readonly options: { queryAfterMs: number; intervalMs: number },
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.check().catch((err) => this.logger.warn({ err: { message: (err as Error).message } }, 'pending payment check failed')), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One pass; answers how many payments changed. */
  async check(now = new Date()): Promise<number> {
    const { db } = this.deps;
    const due = await db.query<PaymentRow>(`SELECT * FROM payments WHERE state = 'pending' AND created_at < $1 ORDER BY created_at LIMIT 200`, [new Date(now.getTime() - this.options.queryAfterMs)]);
    let changed = 0;
    for (const payment of due) {
      const provider = this.providers.get(payment.provider);
      if (!provider) continue;
      const answer = await provider.query({ paymentId: payment.id, createdAt: new Date(payment.created_at), amount: Number(payment.amount) });
      if (answer.kind === 'ok' && answer.state !== 'pending') {
        const result = {
          kind: 'valid' as const,
          paymentId: payment.id,
          amount: answer.amount ?? Number(payment.amount),
          paid: answer.state === 'paid',
          providerTxnId: answer.providerTxnId ?? '',
          resultCode: `query:${answer.state}`,
          ...(answer.paidAt ? { paidAt: answer.paidAt } : {}),
        };
        const outcome = await settle(this.deps, provider, result, Buffer.from(JSON.stringify(answer)), 'query');
        if (outcome === 'confirmed') changed += 1;
        continue;
      }
      if (new Date(payment.expires_at) < now) {
        const closed = await db.query(`UPDATE payments SET state = 'expired', updated_at = now() WHERE id = $1 AND state = 'pending' RETURNING 1`, [payment.id]);
        changed += closed.length;
      }
    }
    return changed;
  }
}
