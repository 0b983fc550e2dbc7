// The payment core's PaymentProvider for the national portal's payment platform: the mapping of a
// payment to INIT, the reading of QUERY, GET_BILL and STATEMENT answers, and the notification
// (NOTIFY) with the gateway's signed answer. Every MaXacThuc goes through auth-code.ts.
import { sanitizePortalMessage } from '../../national-portal/client.js';
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
import { authFieldValues, signMessage, verifyAuthCode, type AuthMessage } from './auth-code.js';
import { NationalPaymentClient, type NationalPaymentCredentials, type PlatformReply } from './client.js';
import { fromTransactionTime, toStatementDay, toTransactionTime } from './dates.js';
import {
  FEE_KIND,
  PLATFORM_CODE,
  PROTOCOL_VERSION,
  PUBLIC_TRANSACTION_STATE,
  TRANSACTION_STATE,
  type InitRequest,
  type NotificationAnswer,
  type ReferenceRequest,
  type StatementRequest,
} from './wire.js';
import { parseObject } from '../../../src/core/json-object.js';

export type NationalPaymentOptions = NationalPaymentCredentials & {
  /** The platform's API base: requests go to `{base}/payment`. */
  baseUrl: string;
  /** MaDoiTac. */
  partnerCode: string;
  /** The partner secret of MaXacThuc. */
  secret: string;
  /** MaNganHang; '' (the default) lets the payer choose on the platform's page. */
  bankCode?: string;
  /** MaKenhThanhToan. Default '1' (web). */
  channel?: string;
  /** TaiKhoanThuHuong of the receipt block: the treasury account the money goes to. */
  beneficiaryAccount?: string;
  timeoutMs?: number;
  /** The gateway's JWS over each outbound body, in `x-jws-signature`. */
  sign?: (body: Buffer) => string;
};

/** The gateway's MaLoi and MoTaLoi for each verdict on a notification (README.md). */
export const NOTIFICATION_ANSWERS: Record<NotificationOutcome, { code: string; message: string }> = {
  confirmed: { code: '00', message: 'Xác nhận thành công' },
  'not-found': { code: '01', message: 'Không tìm thấy giao dịch' },
  'already-confirmed': { code: '02', message: 'Giao dịch đã được xác nhận' },
  malformed: { code: '03', message: 'Dữ liệu không hợp lệ' },
  'invalid-amount': { code: '04', message: 'Số tiền không hợp lệ' },
  'invalid-signature': { code: '97', message: 'Mã xác thực không hợp lệ' },
  error: { code: '99', message: 'Lỗi khác' },
};

/** MaThietBi: the payer's device as the one-stop system knows it; always a computer's browser. */
const DEVICE_CODE = '1';
const DEFAULT_CHANNEL = '1';
const MAX_REFERENCE_LENGTH = 36;
const NOTIFY_TEXT_FIELDS = ['LoaiBanTin', 'MaLoi', 'MaDoiTac', 'MaThamChieu', 'MaTienTe', 'MaGiaoDich', 'ThoiGianGD'] as const;
/** What the answer to a notification hands back from it, as the public client does (README.md). */
const ECHOED_FIELDS = ['MaThamChieu', 'ThoiGianGD', 'MaXacThuc'] as const;

export class NationalPaymentProvider implements PaymentProvider {
  readonly id = 'national';
  readonly #opts: NationalPaymentOptions;
  readonly #client: NationalPaymentClient;

  constructor(opts: NationalPaymentOptions) {
    this.#opts = opts;
    const { baseUrl, timeoutMs, sign } = opts;
    const credentials: NationalPaymentCredentials =
      'token' in opts ? { token: opts.token } : { tokenUrl: opts.tokenUrl, clientId: opts.clientId, clientSecret: opts.clientSecret };
    this.#client = new NationalPaymentClient({ ...credentials, baseUrl, ...(timeoutMs === undefined ? {} : { timeoutMs }), ...(sign ? { sign } : {}) });
  }

  async createPayment(input: CreatePaymentInput): Promise<CreatePaymentAnswer> {
    if (input.paymentId.length > MAX_REFERENCE_LENGTH) return { kind: 'refused', code: 'invalid-reference', message: `payment id longer than ${MAX_REFERENCE_LENGTH}` };
    if (!Number.isSafeInteger(input.amount) || input.amount <= 0) return { kind: 'refused', code: 'invalid-amount', message: 'amount must be a positive integer VND' };
    const unsigned: Omit<InitRequest, 'MaXacThuc'> = {
      LoaiBanTin: 'INIT',
      PhienBan: PROTOCOL_VERSION,
      MaDoiTac: this.#opts.partnerCode,
      MaThamChieu: input.paymentId,
      SoTien: input.amount,
      LoaiHinhThanhToan: 'PAY',
      MaKenhThanhToan: this.#opts.channel ?? DEFAULT_CHANNEL,
      MaThietBi: DEVICE_CODE,
      NgonNgu: 'vi-VN',
      MaTienTe: 'VND',
      MaNganHang: this.#opts.bankCode ?? '',
      ThongTinGiaoDich: signable(input.description),
      ThoiGianGD: toTransactionTime(input.createdAt),
      Ip: input.clientIp,
      UrlTraVe: input.returnUrl,
      ThongTinBienLai: {
        MaThuTuc: input.procedure?.code ?? '',
        TenThuTuc: input.procedure?.name ?? '',
        MaCoQuan: input.agency?.code ?? '',
        TenCoQuan: input.agency?.name ?? '',
        MaHoSo: input.dossierCode,
        TaiKhoanThuHuong: this.#opts.beneficiaryAccount ?? '',
        HoTenNguoiNop: input.payer.name,
        SoGiayToNguoiNop: input.payer.idNumber,
        DiaChiNguoiNop: input.payer.address ?? '',
        PhiLePhi: input.lines.map((l) => ({ LoaiPhiLePhi: FEE_KIND[l.kind], MaPhiLePhi: l.code, TenPhiLePhi: l.name, SoTien: l.amount })),
      },
    };
    const reply = await this.#client.send(this.#signed('INIT', unsigned));
    const personal = [input.payer.name, input.payer.idNumber, input.payer.address ?? ''];
    const keep = [input.paymentId, input.dossierCode];
    if (reply.kind === 'unavailable') return reply;
    if (reply.status >= 400) return { kind: 'refused', code: `http-${reply.status}`, message: this.#sanitize(reply.body.MoTaLoi, personal, keep) };
    const code = reply.body.MaLoi;
    if (typeof code !== 'string') return { kind: 'unavailable', reason: 'INIT answer without MaLoi' };
    // 99 is the platform's own trouble, not a verdict on the payment: it may be asked again.
    if (code === PLATFORM_CODE.systemError) return { kind: 'unavailable', reason: `INIT failed (MaLoi 99): ${this.#sanitize(reply.body.MoTaLoi, personal, keep)}` };
    if (code !== PLATFORM_CODE.ok) return { kind: 'refused', code, message: this.#sanitize(reply.body.MoTaLoi, personal, keep) };
    if (!this.#authentic('INIT_ANSWER', reply.body, input.paymentId)) return { kind: 'unavailable', reason: 'INIT answer failed authentication (MaXacThuc)' };
    const url = reply.body.UrlThanhToan;
    if (typeof url !== 'string' || !/^https?:\/\//.test(url)) return { kind: 'unavailable', reason: 'INIT answer without a usable UrlThanhToan' };
    return { kind: 'ok', paymentUrl: url };
  }

  parseNotification(request: NotificationRequest): ParsedNotification {
    if (request.method !== 'POST') return { kind: 'malformed', reason: 'expected a POST' };
    if (request.contentType !== undefined && !/^application\/json\b/i.test(request.contentType)) return { kind: 'malformed', reason: 'expected a JSON body' };
    const body = parseObject(request.body.toString('utf8'));
    if (!body) return { kind: 'malformed', reason: 'body is not a JSON object' };
    return { ...this.#read(body), echo: echoOf(body) };
  }

  #read(body: Record<string, unknown>): ParsedNotification {
    const missing = NOTIFY_TEXT_FIELDS.find((f) => typeof body[f] !== 'string' || body[f] === '');
    if (missing) return { kind: 'malformed', reason: `${missing} missing` };
    if (!authFieldValues('NOTIFY', body)) return { kind: 'malformed', reason: 'an authenticated field is neither text nor an integer' };
    if (!verifyAuthCode('NOTIFY', body, this.#opts.secret)) return { kind: 'invalid-signature' };
    const amount = typeof body.SoTien === 'string' && /^\d+$/.test(body.SoTien) ? Number(body.SoTien) : body.SoTien;
    if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount < 0) return { kind: 'malformed', reason: 'SoTien is not an integer VND' };
    if (body.MaDoiTac !== this.#opts.partnerCode) return { kind: 'malformed', reason: 'MaDoiTac is not ours' };
    if (body.MaTienTe !== 'VND') return { kind: 'malformed', reason: 'MaTienTe is not VND' };
    const paidAt = fromTransactionTime(body.ThoiGianGD as string);
    if (!paidAt) return { kind: 'malformed', reason: 'ThoiGianGD is not yyyyMMddHHmmss' };
    const resultCode = body.MaLoi as string;
    const bankCode = typeof body.MaNganHang === 'string' && body.MaNganHang !== '' ? { bankCode: body.MaNganHang } : {};
    return {
      kind: 'valid',
      paymentId: body.MaThamChieu as string,
      amount,
      paid: resultCode === PLATFORM_CODE.ok,
      providerTxnId: body.MaGiaoDich as string,
      ...bankCode,
      paidAt,
      resultCode,
    };
  }

  /**
   * The public client answers a confirmation with its MaLoi, its MaDoiTac, and the confirmation's
   * ThoiGianGD and MaXacThuc handed back unchanged (ConfirmDvcPaymentCommandHandler.cs); a refusal
   * (97 included) is answered the same way, so that the platform can match every answer to its call.
   */
  answer(outcome: NotificationOutcome, notification: ParsedNotification | undefined): ProviderAnswer {
    const { code, message } = NOTIFICATION_ANSWERS[outcome];
    const echo = notification?.echo ?? {};
    const body: NotificationAnswer = {
      MaLoi: code,
      MoTaLoi: message,
      MaDoiTac: this.#opts.partnerCode,
      MaThamChieu: echo.MaThamChieu ?? '',
      ThoiGianGD: echo.ThoiGianGD ?? '',
      MaXacThuc: echo.MaXacThuc ?? '',
    };
    return { status: 200, contentType: 'application/json; charset=utf-8', body: JSON.stringify(body) };
  }

  async query(payment: { paymentId: string; createdAt: Date; amount: number }): Promise<QueryAnswer> {
    const reply = await this.#client.send(this.#reference('QUERY', payment.paymentId, payment.createdAt));
    const read = this.#answered(reply, 'QUERY');
    if (read.kind === 'unavailable') return read;
    const body = read.body;
    // Absence is not a verdict: the INIT may not have arrived yet, or the platform may be lagging.
    if (body.MaLoi !== PLATFORM_CODE.ok) return { kind: 'unavailable', reason: `QUERY answered MaLoi ${String(body.MaLoi)}: ${this.#sanitize(body.MoTaLoi, [], [payment.paymentId])}` };
    if (!this.#authentic('QUERY_ANSWER', body, payment.paymentId)) return { kind: 'unavailable', reason: 'QUERY answer failed authentication (MaXacThuc)' };
    const state = stateOf(body.TrangThaiGD);
    if (!state) return { kind: 'unavailable', reason: `QUERY answered an unknown TrangThaiGD` };
    const paidAt = typeof body.ThoiGianGD === 'string' ? fromTransactionTime(body.ThoiGianGD) : undefined;
    return {
      kind: 'ok',
      state,
      ...(typeof body.SoTien === 'number' ? { amount: body.SoTien } : {}),
      ...(typeof body.MaGiaoDich === 'string' && body.MaGiaoDich !== '' ? { providerTxnId: body.MaGiaoDich } : {}),
      ...(state === 'paid' && paidAt ? { paidAt } : {}),
    };
  }

  async statement(day: string): Promise<StatementAnswer> {
    const ngay = toStatementDay(day);
    if (!ngay) return { kind: 'unavailable', reason: 'day is not YYYY-MM-DD' };
    const unsigned: Omit<StatementRequest, 'MaXacThuc'> = {
      LoaiBanTin: 'STATEMENT',
      PhienBan: PROTOCOL_VERSION,
      MaDoiTac: this.#opts.partnerCode,
      Ngay: ngay,
      ThoiGianGD: toTransactionTime(new Date()),
    };
    const read = this.#answered(await this.#client.send(this.#signed('STATEMENT', unsigned)), 'STATEMENT');
    if (read.kind === 'unavailable') return read;
    const body = read.body;
    if (body.MaLoi !== PLATFORM_CODE.ok) return { kind: 'unavailable', reason: `STATEMENT answered MaLoi ${String(body.MaLoi)}: ${this.#sanitize(body.MoTaLoi, [], [])}` };
    if (!Array.isArray(body.DanhSachGiaoDich)) return { kind: 'unavailable', reason: 'STATEMENT answer without DanhSachGiaoDich' };
    const transactions: StatementLine[] = [];
    for (const entry of body.DanhSachGiaoDich as unknown[]) {
      const line = statementLine(entry);
      if (line === 'unreadable') return { kind: 'unavailable', reason: 'STATEMENT answer with an unreadable transaction' };
      if (line) transactions.push(line);
    }
    return { kind: 'ok', transactions };
  }

  async receipt(payment: { paymentId: string }): Promise<Buffer | undefined> {
    const read = this.#answered(await this.#client.send(this.#reference('GET_BILL', payment.paymentId, new Date())), 'GET_BILL');
    if (read.kind === 'unavailable' || read.body.MaLoi !== PLATFORM_CODE.ok || typeof read.body.BienLai !== 'string') return undefined;
    const pdf = Buffer.from(read.body.BienLai, 'base64');
    return pdf.subarray(0, 5).toString('latin1') === '%PDF-' ? pdf : undefined;
  }

  async close(): Promise<void> {
    await this.#client.close();
  }

  #reference(type: ReferenceRequest['LoaiBanTin'], paymentId: string, at: Date): ReferenceRequest {
    const unsigned = { LoaiBanTin: type, PhienBan: PROTOCOL_VERSION, MaDoiTac: this.#opts.partnerCode, MaThamChieu: paymentId, ThoiGianGD: toTransactionTime(at) };
    return this.#signed(type, unsigned);
  }

  #signed<T extends object>(message: AuthMessage, unsigned: T): T & { MaXacThuc: string } {
    return { ...unsigned, MaXacThuc: signMessage(message, unsigned as Record<string, unknown>, this.#opts.secret) };
  }

  /** An answer of ours (MaDoiTac and MaThamChieu as asked) with a matching MaXacThuc. */
  #authentic(message: AuthMessage, body: Record<string, unknown>, paymentId: string): boolean {
    return body.MaDoiTac === this.#opts.partnerCode && body.MaThamChieu === paymentId && verifyAuthCode(message, body, this.#opts.secret);
  }

  /** The body of an answer to a read (QUERY, GET_BILL, STATEMENT): any refusal there is not the payment's fault. */
  #answered(reply: PlatformReply, type: string): { kind: 'answer'; body: Record<string, unknown> } | { kind: 'unavailable'; reason: string } {
    if (reply.kind === 'unavailable') return reply;
    if (reply.status >= 400) return { kind: 'unavailable', reason: `${type} refused (HTTP ${reply.status})` };
    if (typeof reply.body.MaLoi !== 'string') return { kind: 'unavailable', reason: `${type} answer without MaLoi` };
    return { kind: 'answer', body: reply.body };
  }

  #sanitize(message: unknown, personal: string[], keep: string[]): string {
    return sanitizePortalMessage(message, { secrets: [this.#opts.secret, ...this.#client.secrets(), ...personal], keep });
  }
}

/** Our TrangThaiGD values, and the public client's (PUBLIC_TRANSACTION_STATE in wire.ts). */
function stateOf(value: unknown): 'paid' | 'pending' | 'failed' | undefined {
  if (value === TRANSACTION_STATE.paid || value === PUBLIC_TRANSACTION_STATE.paid) return 'paid';
  if (value === TRANSACTION_STATE.pending || value === PUBLIC_TRANSACTION_STATE.pending) return 'pending';
  if (value === TRANSACTION_STATE.failed || value === TRANSACTION_STATE.cancelled || value === PUBLIC_TRANSACTION_STATE.failed) return 'failed';
  return undefined;
}

/** A paid transaction of a statement, undefined for one that was not paid. */
function statementLine(entry: unknown): StatementLine | undefined | 'unreadable' {
  if (typeof entry !== 'object' || entry === null) return 'unreadable';
  const e = entry as Record<string, unknown>;
  if (e.TrangThaiGD !== TRANSACTION_STATE.paid) return undefined;
  const paidAt = typeof e.ThoiGianGD === 'string' ? fromTransactionTime(e.ThoiGianGD) : undefined;
  if (typeof e.MaThamChieu !== 'string' || typeof e.MaGiaoDich !== 'string' || typeof e.SoTien !== 'number' || !Number.isSafeInteger(e.SoTien) || !paidAt) return 'unreadable';
  return { paymentId: e.MaThamChieu, providerTxnId: e.MaGiaoDich, amount: e.SoTien, paidAt };
}

function echoOf(body: Record<string, unknown>): Record<string, string> {
  const echo: Record<string, string> = {};
  for (const field of ECHOED_FIELDS) {
    const value = body[field];
    // Only short text is handed back: the answer must not carry whatever a forged call put there.
    if (typeof value === 'string' && value.length <= 128 && !/[\p{Cc}]/u.test(value)) echo[field] = value;
  }
  return echo;
}

/** `|` joins MaXacThuc's fields: free text that carried one would make two messages sign alike. */
function signable(text: string): string {
  return text.replace(/\|/g, '/');
}
