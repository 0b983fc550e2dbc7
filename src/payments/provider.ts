// What the payment core asks of a payment provider (the national payment platform, a VNPay-like bank
// gateway): create a payment and give the payer's URL, read and verify a notification, answer it in
// the provider's own terms, query one payment, and list a day's transactions for reconciliation.
// Amounts are always integer VND here; a provider's own units (VNPay: VND × 100) stay in its adapter.

export interface FeeLine {
  code: string;
  name: string;
  kind: 'fee' | 'charge';
  /** VND. */
  amount: number;
}

export interface CreatePaymentInput {
  /** Our payment id: the provider's merchant reference (MaThamChieu, vnp_TxnRef). At most 36 characters. */
  paymentId: string;
  dossierCode: string;
  /** VND, the sum of the lines. */
  amount: number;
  lines: readonly FeeLine[];
  payer: { name: string; idNumber: string; address?: string | undefined };
  procedure?: { code: string; name: string } | undefined;
  agency?: { code: string; name: string } | undefined;
  /** Where the payer's browser goes back to. */
  returnUrl: string;
  description: string;
  createdAt: Date;
  expiresAt: Date;
  /** The payer's address as the one-stop system saw it (providers ask for it). */
  clientIp: string;
}

export type CreatePaymentAnswer =
  | { kind: 'ok'; paymentUrl: string; providerRef?: string }
  | { kind: 'refused'; code: string; message: string }
  | { kind: 'unavailable'; reason: string };

export interface NotificationRequest {
  method: 'GET' | 'POST';
  query: Record<string, string>;
  body: Buffer;
  contentType: string | undefined;
}

export type ParsedNotification = (
  | {
      kind: 'valid';
      paymentId: string;
      /** VND. */
      amount: number;
      /** True when the provider says the money moved. */
      paid: boolean;
      providerTxnId: string;
      bankCode?: string;
      paidAt?: Date;
      /** The provider's own result code, for the record. */
      resultCode: string;
    }
  | { kind: 'invalid-signature' }
  | { kind: 'malformed'; reason: string }
) & {
  /** Fields of the notification that the provider's answer hands back (the national platform's MaXacThuc), verified or not. */
  echo?: Readonly<Record<string, string>>;
};

/** The gateway's verdict on a notification, which the adapter turns into the provider's answer. */
export type NotificationOutcome = 'confirmed' | 'not-found' | 'already-confirmed' | 'invalid-amount' | 'invalid-signature' | 'malformed' | 'error';

export interface ProviderAnswer {
  status: number;
  contentType: string;
  body: string;
}

export type QueryAnswer =
  | { kind: 'ok'; state: 'paid' | 'pending' | 'failed'; amount?: number; providerTxnId?: string; paidAt?: Date }
  | { kind: 'unavailable'; reason: string };

export interface StatementLine {
  paymentId: string;
  providerTxnId: string;
  /** VND. */
  amount: number;
  paidAt: Date;
}

export type StatementAnswer = { kind: 'ok'; transactions: StatementLine[] } | { kind: 'unavailable'; reason: string };

export interface PaymentProvider {
  /** The path segment of /v1/payments/notifications/{provider}. */
  readonly id: string;
  createPayment(input: CreatePaymentInput): Promise<CreatePaymentAnswer>;
  parseNotification(request: NotificationRequest): ParsedNotification;
  answer(outcome: NotificationOutcome, notification: ParsedNotification | undefined): ProviderAnswer;
  query(payment: { paymentId: string; createdAt: Date; amount: number }): Promise<QueryAnswer>;
  /** Transactions the provider settled on a day (YYYY-MM-DD, Vietnam time). */
  statement(day: string): Promise<StatementAnswer>;
  /** The electronic receipt (a PDF), where the provider issues one. */
  receipt?(payment: { paymentId: string }): Promise<Buffer | undefined>;
  close(): Promise<void>;
}
