// VNPay's codes and units: the IPN answer table, the querydr codes, and vnp_Amount (VND × 100).
import type { NotificationOutcome } from '../../../src/payments/provider.js';

export interface IpnAnswer {
  RspCode: string;
  Message: string;
}

/**
 * What the merchant answers an IPN with. Codes and messages as VNPay's PHP sample (vnpay_ipn.php)
 * writes them, its spelling included: VNPay reads RspCode, the message is for people.
 */
export const IPN_ANSWERS: Record<NotificationOutcome, IpnAnswer> = {
  confirmed: { RspCode: '00', Message: 'Confirm Success' },
  'not-found': { RspCode: '01', Message: 'Order not found' },
  'already-confirmed': { RspCode: '02', Message: 'Order already confirmed' },
  'invalid-amount': { RspCode: '04', Message: 'invalid amount' },
  'invalid-signature': { RspCode: '97', Message: 'Invalid signature' },
  malformed: { RspCode: '99', Message: 'Unknow error' },
  error: { RspCode: '99', Message: 'Unknow error' },
};

/** vnp_ResponseCode and vnp_TransactionStatus of a successful payment. */
export const SUCCESS = '00';

/** querydr vnp_ResponseCode values the adapter acts on; the rest make the answer unavailable. */
export const QUERY_RESPONSE = { ok: '00', notFound: '91', duplicateRequest: '94', badChecksum: '97' } as const;

/**
 * querydr vnp_TransactionStatus → the payment's state; a status not listed (05, 06, 09: refunds)
 * makes the answer unavailable, for a person to look at.
 */
export const TRANSACTION_STATES: Readonly<Record<string, 'paid' | 'pending' | 'failed'>> = {
  '00': 'paid', // giao dịch thành công
  '01': 'pending', // chưa hoàn tất
  '02': 'failed', // giao dịch bị lỗi
  '04': 'pending', // giao dịch đảo: the bank debited the payer, VNPay has not completed it; it is resolved later
  '07': 'pending', // bị nghi ngờ gian lận: the merchant accepts or refuses it in VNPay's merchant admin
};

/** The querydr response fields, in the order their vnp_SecureHash joins them. */
export const QUERY_RESPONSE_HASHED = [
  'vnp_ResponseId',
  'vnp_Command',
  'vnp_ResponseCode',
  'vnp_Message',
  'vnp_TmnCode',
  'vnp_TxnRef',
  'vnp_Amount',
  'vnp_BankCode',
  'vnp_PayDate',
  'vnp_TransactionNo',
  'vnp_TransactionType',
  'vnp_TransactionStatus',
  'vnp_OrderInfo',
  'vnp_PromotionCode',
  'vnp_PromotionAmount',
] as const;

/** The querydr request fields, in the order their vnp_SecureHash joins them. */
export const QUERY_REQUEST_HASHED = [
  'vnp_RequestId',
  'vnp_Version',
  'vnp_Command',
  'vnp_TmnCode',
  'vnp_TxnRef',
  'vnp_TransactionDate',
  'vnp_CreateDate',
  'vnp_IpAddr',
  'vnp_OrderInfo',
] as const;

/** The statement CSV's header (the simulator's format, README.md); one line a settled payment follows. */
export const STATEMENT_HEADER = 'vnp_TxnRef,vnp_TransactionNo,vnp_Amount,vnp_PayDate,vnp_BankCode';

/** VND → vnp_Amount: VNPay counts hundredths of a đồng. */
export function toVnpAmount(vnd: number): string {
  return String(vnd * 100);
}

/** vnp_Amount → VND, or undefined unless it is a whole number of đồng. */
export function fromVnpAmount(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,15}$/.test(value)) return undefined;
  const hundredths = Number(value);
  return hundredths % 100 === 0 ? hundredths / 100 : undefined;
}
