// VNPay as a PaymentProvider: the signed redirect URL, the IPN (a GET with the vnp_* query) and its
// {RspCode, Message} answer, querydr, and the simulator's statement. Amounts cross this file as VND;
// vnp_Amount (VND × 100) stays inside it.
import type {
  CreatePaymentAnswer,
  CreatePaymentInput,
  NotificationOutcome,
  NotificationRequest,
  ParsedNotification,
  PaymentProvider,
  ProviderAnswer,
  QueryAnswer,
  StatementAnswer,
  StatementLine,
} from '../../../src/payments/provider.js';
import { VnpayClient } from './client.js';
import { fromVnpDate, toVnpDate, toVnpDay } from './dates.js';
import { hashData, secureHash, verify, vnpEncode } from './secure-hash.js';
import { fromVnpAmount, IPN_ANSWERS, STATEMENT_HEADER, SUCCESS, toVnpAmount, TRANSACTION_STATES } from './wire.js';

export interface VnpayProviderOptions {
  /** The payer page: `https://…/paymentv2/vpcpay.html`. */
  payUrl: string;
  /** querydr: `https://…/merchant_webapi/api/transaction`. */
  apiUrl: string;
  tmnCode: string;
  hashSecret: string;
  /** Default 2.1.0, the version that signs with HMAC-SHA512. */
  version?: string;
  /** The payer page's language, `vn` or `en`. Default `vn`. */
  locale?: string;
  /** Per querydr or statement request. Default 30 s. */
  timeoutMs?: number;
  /** The statement endpoint (README.md: the simulator's format); without it statement() is unavailable. */
  statementUrl?: string;
  /** The gateway server's address, which querydr asks for. Default 127.0.0.1. */
  serverIp?: string;
}

/** vnp_TxnRef: our payment id, in characters every sample encodes alike. */
const TXN_REF = /^[A-Za-z0-9_-]{1,36}$/;
/** vnp_OrderInfo: VNPay asks for Vietnamese without diacritics and no special characters. */
const ORDER_INFO_MAX = 255;
/** The category of goods; `other` is the documented catch-all. */
const ORDER_TYPE = 'other';
/** vnp_Amount is Numeric[1,12]: at most 9 999 999 999.99 đồng. */
const MAX_VND = 9_999_999_999;

export class VnpayProvider implements PaymentProvider {
  readonly id = 'vnpay';
  readonly #opts: VnpayProviderOptions;
  readonly #version: string;
  readonly #client: VnpayClient;

  constructor(opts: VnpayProviderOptions) {
    if (!opts.tmnCode || !opts.hashSecret) throw new TypeError('vnpay needs tmnCode and hashSecret from configuration');
    this.#opts = opts;
    this.#version = opts.version ?? '2.1.0';
    this.#client = new VnpayClient({
      apiUrl: opts.apiUrl,
      statementUrl: opts.statementUrl,
      tmnCode: opts.tmnCode,
      hashSecret: opts.hashSecret,
      version: this.#version,
      serverIp: opts.serverIp ?? '127.0.0.1',
      timeoutMs: opts.timeoutMs ?? 30_000,
    });
  }

  /** No network call: VNPay learns of the payment when the payer's browser opens the URL. */
  createPayment(input: CreatePaymentInput): Promise<CreatePaymentAnswer> {
    const problem = inputProblem(input);
    if (problem) return Promise.resolve({ kind: 'refused', code: 'invalid-input', message: problem });
    const params: Record<string, string> = {
      vnp_Version: this.#version,
      vnp_Command: 'pay',
      vnp_TmnCode: this.#opts.tmnCode,
      vnp_Amount: toVnpAmount(input.amount),
      vnp_CurrCode: 'VND',
      vnp_TxnRef: input.paymentId,
      vnp_OrderInfo: orderInfo(input.description),
      vnp_OrderType: ORDER_TYPE,
      vnp_Locale: this.#opts.locale ?? 'vn',
      vnp_ReturnUrl: input.returnUrl,
      vnp_IpAddr: input.clientIp,
      vnp_CreateDate: toVnpDate(input.createdAt),
      vnp_ExpireDate: toVnpDate(input.expiresAt),
    };
    const url = `${this.#opts.payUrl}?${hashData(params)}&vnp_SecureHash=${vnpEncode(secureHash(params, this.#opts.hashSecret))}`;
    return Promise.resolve({ kind: 'ok', paymentUrl: url });
  }

  parseNotification(request: NotificationRequest): ParsedNotification {
    const q = request.query;
    // VNPay's order: the checksum first, then the order, then the amount.
    if (!verify(q, this.#opts.hashSecret)) return { kind: 'invalid-signature' };
    if (q.vnp_TmnCode !== this.#opts.tmnCode) return { kind: 'malformed', reason: 'vnp_TmnCode is not ours' };
    const paymentId = q.vnp_TxnRef;
    if (!paymentId) return { kind: 'malformed', reason: 'no vnp_TxnRef' };
    const amount = fromVnpAmount(q.vnp_Amount);
    if (amount === undefined) return { kind: 'malformed', reason: 'vnp_Amount is not a whole number of đồng × 100' };
    const resultCode = q.vnp_ResponseCode;
    if (!resultCode) return { kind: 'malformed', reason: 'no vnp_ResponseCode' };
    const paid = resultCode === SUCCESS && q.vnp_TransactionStatus === SUCCESS;
    const paidAt = paid ? fromVnpDate(q.vnp_PayDate) : undefined;
    if (paid && !paidAt) return { kind: 'malformed', reason: 'vnp_PayDate unreadable' };
    return {
      kind: 'valid',
      paymentId,
      amount,
      paid,
      providerTxnId: q.vnp_TransactionNo ?? '',
      ...(q.vnp_BankCode ? { bankCode: q.vnp_BankCode } : {}),
      ...(paidAt ? { paidAt } : {}),
      resultCode,
    };
  }

  /** The answer depends on the outcome alone: VNPay reads RspCode of an HTTP 200. */
  answer(outcome: NotificationOutcome, _notification?: ParsedNotification): ProviderAnswer {
    return { status: 200, contentType: 'application/json; charset=utf-8', body: JSON.stringify(IPN_ANSWERS[outcome]) };
  }

  async query(payment: { paymentId: string; createdAt: Date; amount: number }): Promise<QueryAnswer> {
    const answer = await this.#client.queryDr({ txnRef: payment.paymentId, transactionDate: toVnpDate(payment.createdAt) });
    if (answer.kind === 'unavailable') return answer;
    // VNPay knows a transaction once the payer has opened its page; before that, it may still come.
    if (!answer.found) return { kind: 'ok', state: 'pending' };
    const f = answer.fields;
    const state = TRANSACTION_STATES[f.vnp_TransactionStatus ?? ''];
    if (!state) return { kind: 'unavailable', reason: `querydr: vnp_TransactionStatus ${f.vnp_TransactionStatus ?? 'absent'} not understood` };
    const amount = fromVnpAmount(f.vnp_Amount);
    if (amount === undefined) return { kind: 'unavailable', reason: 'querydr: vnp_Amount is not a whole number of đồng × 100' };
    const paidAt = state === 'paid' ? fromVnpDate(f.vnp_PayDate) : undefined;
    return {
      kind: 'ok',
      state,
      amount,
      ...(f.vnp_TransactionNo && f.vnp_TransactionNo !== '0' ? { providerTxnId: f.vnp_TransactionNo } : {}),
      ...(paidAt ? { paidAt } : {}),
    };
  }

  async statement(day: string): Promise<StatementAnswer> {
    const vnpDay = toVnpDay(day);
    if (!vnpDay) return { kind: 'unavailable', reason: `not a day: ${day}` };
    const answer = await this.#client.statement(vnpDay);
    if (answer.kind === 'unavailable') return answer;
    return parseStatement(answer.text);
  }

  async close(): Promise<void> {
    await this.#client.close();
  }
}

function inputProblem(input: CreatePaymentInput): string | undefined {
  if (!TXN_REF.test(input.paymentId)) return 'paymentId must be 1 to 36 of A-Z a-z 0-9 _ -';
  if (!Number.isSafeInteger(input.amount) || input.amount <= 0 || input.amount > MAX_VND) return 'amount must be a positive whole number of VND';
  if (input.expiresAt.getTime() <= input.createdAt.getTime()) return 'expiresAt must follow createdAt';
  if (!input.clientIp) return 'clientIp is required';
  return undefined;
}

/** Vietnamese without diacritics, letters, digits and a few separators only. */
export function orderInfo(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'D')
    .replace(/[^A-Za-z0-9 .,:_/-]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, ORDER_INFO_MAX);
}

/** The simulator's statement CSV (README.md); one unreadable line makes the whole day unavailable. */
function parseStatement(text: string): StatementAnswer {
  const [header, ...rows] = text.split(/\r?\n/).filter((line) => line !== '');
  if (header !== STATEMENT_HEADER) return { kind: 'unavailable', reason: 'statement: unexpected header' };
  const transactions: StatementLine[] = [];
  for (const [i, row] of rows.entries()) {
    const [paymentId, providerTxnId, vnpAmount, payDate, ...rest] = row.split(',');
    const amount = fromVnpAmount(vnpAmount);
    const paidAt = fromVnpDate(payDate);
    if (!paymentId || !providerTxnId || amount === undefined || !paidAt || rest.length !== 1) {
      return { kind: 'unavailable', reason: `statement: line ${i + 2} unreadable` };
    }
    transactions.push({ paymentId, providerTxnId, amount, paidAt });
  }
  return { kind: 'ok', transactions };
}
