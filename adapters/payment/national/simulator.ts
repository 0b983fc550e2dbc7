// A stand-in for the national portal's payment platform: a real HTTP server with the token and
// `/payment` endpoints (INIT, QUERY, GET_BILL, STATEMENT), a payer page with pay and cancel, and
// signed notifications to the gateway, with faults on demand. Used by tests, in development, demos.
import { randomBytes, randomInt } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { request } from 'undici';
// Answers and the statement follow orders no public source gives (README.md: ours), so they are
// signed and checked with the adapter's table; every request the public client sends is checked
// with the simulator's own (simulator-auth.ts).
import { signMessage, verifyAuthCode, type AuthMessage } from './auth-code.js';
import { hasPublicAuthCode, publicAuthCode } from './simulator-auth.js';
import { errorName, parseObject } from '../../../src/core/json-object.js';
import { closeServer, listen, readBody, sendJson } from '../../../src/infra/simulator-http.js';
import { simulatorFaults, type FaultSwitches } from '../../shared/simulator-faults.js';
import { formatVietnamTime } from '../../../src/core/vietnam-time.js';

export interface NationalPaymentSimulatorOptions {
  /** The only MaDoiTac the platform knows. */
  partnerCode: string;
  /** That partner's MaXacThuc secret. */
  secret: string;
  /** The gateway's notification URL; setNotifyUrl() changes it. Without one, nothing is sent. */
  notifyUrl?: string;
  /** A token issued out of band, accepted on every call. Default: a random one, in `token`. */
  token?: string;
  /** Client credentials `POST /token` issues tokens for. */
  clients?: { id: string; secret: string }[];
  /** Default 3600. */
  tokenTtlSeconds?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
}

// The simulator's own reading of the platform's messages, apart from the adapter's wire.ts, so that a
// wrong value there fails against it. PhienBan is the public client's (HuanVu201/DichVuCong_KhoaLuan_PASETO,
// InitDvcPaymentRequest.cs: "1.0.6"). Where the public material is silent (the MaLoi codes, TrangThaiGD,
// the confirmation's LoaiBanTin) the values are the project's convention, README.md, spelled here on their own.
const VERSION = '1.0.6';
const CONFIRMATION_TYPE = 'NOTIFY';
/** MaLoi, by what the simulator means by it. */
const MA_LOI = {
  ok: '00',
  notFound: '01',
  duplicate: '02',
  invalidData: '03',
  invalidAmount: '04',
  noReceipt: '05',
  cancelledByPayer: '09',
  invalidAuthCode: '97',
  systemError: '99',
} as const;
/** TrangThaiGD the simulator keeps and answers. */
const STATE = { paid: '00', pending: '01', cancelled: '03' } as const;

/** An accepted INIT: the fields the simulator reads; the rest is kept as sent. */
export interface ReceivedInit {
  MaThamChieu: string;
  SoTien: number;
  ThongTinGiaoDich: string;
  MaNganHang?: string;
  UrlTraVe?: string;
  ThongTinBienLai: { MaHoSo: string; HoTenNguoiNop: string; PhiLePhi: { TenPhiLePhi: string; SoTien: number }[]; [field: string]: unknown };
  [field: string]: unknown;
}

/** The confirmation the simulator POSTs to the gateway. */
export interface SentConfirmation {
  LoaiBanTin: string;
  MaLoi: string;
  MaDoiTac: string;
  MaThamChieu: string;
  SoTien: number;
  MaTienTe: string;
  MaGiaoDich: string;
  MaNganHang: string;
  ThoiGianGD: string;
  ThongTinGiaoDich: string;
  MaXacThuc: string;
}

export interface NationalPaymentSimulatorFaults {
  /** Each notification is sent twice. */
  duplicateNotification?: boolean;
  /** Each notification waits this long before it is sent. */
  lateNotificationMs?: number;
  /** Notifications carry 1,000 VND more than the INIT, correctly signed. */
  wrongAmount?: boolean;
  /** Notifications carry a MaXacThuc made with another secret. */
  badSignature?: boolean;
  /** No notification at all: only QUERY tells. */
  neverNotify?: boolean;
  /** The next N calls of `/payment` answer HTTP 500. */
  failNextCalls?: number;
}

export interface SimulatedPayment {
  init: ReceivedInit;
  /** TrangThaiGD. */
  state: string;
  paymentUrl: string;
  /** MaGiaoDich, once the payer paid or cancelled. */
  txnId?: string;
  bankCode: string;
  /** When the payer paid or cancelled. */
  settledAt?: Date;
}

export interface SimulatedNotification {
  body: SentConfirmation;
  /** The gateway's answer, parsed; undefined when it was not JSON or never came. */
  answer: Record<string, unknown> | undefined;
  /** The gateway's HTTP status, or the network error's code. */
  outcome: number | string;
  /** Whether the answer hands back this notification's MaXacThuc and MaThamChieu, as the public client does. */
  answerAuthentic: boolean;
}

export interface SimulatorCall {
  path: string;
  /** LoaiBanTin, when the body had one. */
  messageType?: string;
  /** The answer's MaLoi, or `http-NNN` when the HTTP status says it all. */
  answer: string;
  /** The x-jws-signature header received, and the exact body it should cover. */
  signature: { header: string | undefined; body: Buffer };
}

export interface NationalPaymentSimulator {
  /** The API base: `{url}/payment`. */
  url: string;
  tokenUrl: string;
  /** The out-of-band token. */
  token: string;
  /** By MaThamChieu. */
  payments: Map<string, SimulatedPayment>;
  notifications: SimulatedNotification[];
  /** Requests to `/token` and `/payment`, in order. */
  calls: SimulatorCall[];
  faults: FaultSwitches<NationalPaymentSimulatorFaults>;
  setNotifyUrl(url: string | undefined): void;
  /** As the payer clicking Pay; resolves once the notification(s) were answered. */
  pay(paymentId: string): Promise<void>;
  /** As the payer clicking Cancel; resolves once the notification(s) were answered. */
  cancel(paymentId: string): Promise<void>;
  close(): Promise<void>;
}

type Answer = { status: number; body: Record<string, unknown> };

const MAX_BODY_BYTES = 1024 * 1024;
const BANKS = ['VCB', 'BIDV', 'VTB', 'AGRIBANK'];
const REQUIRED_INIT = ['PhienBan', 'MaDoiTac', 'MaThamChieu', 'MaKenhThanhToan', 'MaThietBi', 'ThoiGianGD', 'Ip', 'MaXacThuc'] as const;

export async function startNationalPaymentSimulator(opts: NationalPaymentSimulatorOptions): Promise<NationalPaymentSimulator> {
  const ttlMs = (opts.tokenTtlSeconds ?? 3600) * 1000;
  const issued = new Map<string, number>(); // token → expiry, ms since epoch
  const inFlight = new Set<Promise<void>>();
  const faults = simulatorFaults<NationalPaymentSimulatorFaults>();
  let notifyUrl = opts.notifyUrl;
  let origin = '';

  const sim: NationalPaymentSimulator = {
    url: '',
    tokenUrl: '',
    token: opts.token ?? randomBytes(24).toString('hex'),
    payments: new Map(),
    notifications: [],
    calls: [],
    faults,
    setNotifyUrl(url) {
      notifyUrl = url;
    },
    pay: (paymentId) => track(settle(paymentId, 'paid')),
    cancel: (paymentId) => track(settle(paymentId, 'cancelled')),
    close: () => Promise.resolve(),
  };

  /** Keeps a payer's action known to close(), which waits for its notifications. */
  function track(work: Promise<void>): Promise<void> {
    const tracked = work.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
    return tracked;
  }

  // --- the payer and the notifications ------------------------------------------------------------

  async function settle(paymentId: string, outcome: 'paid' | 'cancelled'): Promise<void> {
    const payment = sim.payments.get(paymentId);
    if (!payment) throw new Error(`no payment ${paymentId}`);
    if (payment.state !== STATE.pending) throw new Error(`payment ${paymentId} is no longer pending`);
    payment.state = outcome === 'paid' ? STATE.paid : STATE.cancelled;
    payment.txnId = `PG${Date.now()}${String(randomInt(0, 1_000_000)).padStart(6, '0')}`;
    payment.settledAt = new Date();
    if (outcome === 'paid' && payment.bankCode === '') payment.bankCode = BANKS[randomInt(0, BANKS.length)] ?? 'VCB';
    if (faults.current.neverNotify || !notifyUrl) return;
    await faults.wait('lateNotificationMs');
    const message = notification(payment, outcome === 'paid' ? MA_LOI.ok : MA_LOI.cancelledByPayer);
    for (let i = 0; i < (faults.current.duplicateNotification ? 2 : 1); i++) await deliver(message);
  }

  function notification(payment: SimulatedPayment, code: string): SentConfirmation {
    const unsigned: Omit<SentConfirmation, 'MaXacThuc'> = {
      LoaiBanTin: CONFIRMATION_TYPE,
      MaLoi: code,
      MaDoiTac: opts.partnerCode,
      MaThamChieu: payment.init.MaThamChieu,
      SoTien: payment.init.SoTien + (faults.current.wrongAmount ? 1000 : 0),
      MaTienTe: 'VND',
      MaGiaoDich: payment.txnId ?? '',
      MaNganHang: payment.bankCode,
      ThoiGianGD: formatVietnamTime(payment.settledAt ?? new Date()),
      ThongTinGiaoDich: payment.init.ThongTinGiaoDich,
    };
    return { ...unsigned, MaXacThuc: publicAuthCode('CONFIRMATION', unsigned as unknown as Record<string, unknown>, faults.current.badSignature ? `${opts.secret}-not` : opts.secret) };
  }

  async function deliver(message: SentConfirmation): Promise<void> {
    const url = notifyUrl;
    if (!url) return;
    try {
      const res = await request(url, { method: 'POST', body: JSON.stringify(message), headers: { 'content-type': 'application/json; charset=utf-8' } });
      const answer = parseObject(await res.body.text());
      // ConfirmDvcPaymentCommandHandler.cs answers with the confirmation's own MaXacThuc handed back.
      const authentic = answer !== undefined && typeof answer.MaLoi === 'string' && answer.MaXacThuc === message.MaXacThuc && answer.MaThamChieu === message.MaThamChieu;
      sim.notifications.push({ body: message, answer, outcome: res.statusCode, answerAuthentic: authentic });
    } catch (err) {
      sim.notifications.push({ body: message, answer: undefined, outcome: errorName(err), answerAuthentic: false });
    }
  }

  // --- /payment -------------------------------------------------------------------------------------

  const signed = (message: AuthMessage, body: Record<string, unknown>): Answer => ({ status: 200, body: { ...body, MaXacThuc: signMessage(message, body, opts.secret) } });
  const plain = (body: Record<string, unknown>): Answer => ({ status: 200, body });

  function init(body: Record<string, unknown>): Answer {
    const ref = typeof body.MaThamChieu === 'string' ? body.MaThamChieu : '';
    const refuse = (code: string, message: string) => signed('INIT_ANSWER', { MaLoi: code, MoTaLoi: message, MaDoiTac: opts.partnerCode, MaThamChieu: ref, UrlThanhToan: '' });
    const missing = REQUIRED_INIT.find((f) => typeof body[f] !== 'string' || body[f] === '');
    if (missing) return refuse(MA_LOI.invalidData, `Dữ liệu không hợp lệ: thiếu ${missing}`);
    if (!hasPublicAuthCode('INIT', body, opts.secret)) return refuse(MA_LOI.invalidAuthCode, 'Mã xác thực không hợp lệ');
    if (body.MaDoiTac !== opts.partnerCode) return refuse(MA_LOI.invalidData, 'Mã đối tác không đúng');
    if (body.LoaiHinhThanhToan !== 'PAY' || body.MaTienTe !== 'VND' || body.NgonNgu !== 'vi-VN') return refuse(MA_LOI.invalidData, 'Dữ liệu không hợp lệ');
    const receipt = body.ThongTinBienLai as { PhiLePhi?: unknown } | undefined;
    const lines = Array.isArray(receipt?.PhiLePhi) ? (receipt.PhiLePhi as { SoTien?: unknown }[]) : undefined;
    if (typeof body.SoTien !== 'number' || !Number.isSafeInteger(body.SoTien) || body.SoTien <= 0) return refuse(MA_LOI.invalidAmount, 'Số tiền không hợp lệ');
    if (!lines || lines.reduce((sum, l) => sum + (typeof l.SoTien === 'number' ? l.SoTien : NaN), 0) !== body.SoTien) {
      return refuse(MA_LOI.invalidAmount, 'Tổng phí, lệ phí không khớp số tiền');
    }
    const existing = sim.payments.get(ref);
    // A retried INIT of the same unpaid payment gets the same page; anything else is a clash.
    if (existing && (existing.state !== STATE.pending || existing.init.SoTien !== body.SoTien)) return refuse(MA_LOI.duplicate, `Mã tham chiếu đã tồn tại: ${ref}`);
    const message = body as unknown as ReceivedInit;
    const payment = existing ?? { init: message, state: STATE.pending, paymentUrl: `${origin}/pay/${encodeURIComponent(ref)}`, bankCode: message.MaNganHang ?? '' };
    sim.payments.set(ref, payment);
    return signed('INIT_ANSWER', { MaLoi: MA_LOI.ok, MoTaLoi: 'Thành công', MaDoiTac: opts.partnerCode, MaThamChieu: ref, UrlThanhToan: payment.paymentUrl });
  }

  function query(body: Record<string, unknown>): Answer {
    const ref = String(body.MaThamChieu ?? '');
    const answer = (code: string, message: string, more: Record<string, unknown> = {}) =>
      signed('QUERY_ANSWER', { MaLoi: code, MoTaLoi: message, MaDoiTac: opts.partnerCode, MaThamChieu: ref, ...more });
    if (!hasPublicAuthCode('QUERY', body, opts.secret)) return answer(MA_LOI.invalidAuthCode, 'Mã xác thực không hợp lệ');
    const payment = body.MaDoiTac === opts.partnerCode ? sim.payments.get(ref) : undefined;
    if (!payment) return answer(MA_LOI.notFound, 'Không tìm thấy giao dịch');
    return answer(MA_LOI.ok, 'Thành công', {
      SoTien: payment.init.SoTien,
      TrangThaiGD: payment.state,
      MaGiaoDich: payment.txnId ?? '',
      MaNganHang: payment.bankCode,
      ThoiGianGD: formatVietnamTime(payment.settledAt ?? new Date()),
    });
  }

  function bill(body: Record<string, unknown>): Answer {
    const ref = String(body.MaThamChieu ?? '');
    if (!hasPublicAuthCode('GET_BILL', body, opts.secret)) return plain({ MaLoi: MA_LOI.invalidAuthCode, MoTaLoi: 'Mã xác thực không hợp lệ', MaThamChieu: ref });
    const payment = body.MaDoiTac === opts.partnerCode ? sim.payments.get(ref) : undefined;
    if (!payment) return plain({ MaLoi: MA_LOI.notFound, MoTaLoi: 'Không tìm thấy giao dịch', MaThamChieu: ref });
    if (payment.state !== STATE.paid) return plain({ MaLoi: MA_LOI.noReceipt, MoTaLoi: 'Giao dịch chưa có biên lai', MaThamChieu: ref });
    return plain({ MaLoi: MA_LOI.ok, MoTaLoi: 'Thành công', MaThamChieu: ref, BienLai: receiptPdf(payment).toString('base64') });
  }

  function statement(body: Record<string, unknown>): Answer {
    const day = String(body.Ngay ?? '');
    if (!verifyAuthCode('STATEMENT', body, opts.secret)) return plain({ MaLoi: MA_LOI.invalidAuthCode, MoTaLoi: 'Mã xác thực không hợp lệ', Ngay: day });
    if (body.MaDoiTac !== opts.partnerCode || !/^\d{8}$/.test(day)) return plain({ MaLoi: MA_LOI.invalidData, MoTaLoi: 'Dữ liệu không hợp lệ', Ngay: day });
    const entries = [...sim.payments.values()]
      .filter((p) => p.settledAt && formatVietnamTime(p.settledAt).startsWith(day))
      .map((p) => ({ MaThamChieu: p.init.MaThamChieu, MaGiaoDich: p.txnId ?? '', SoTien: p.init.SoTien, TrangThaiGD: p.state, ThoiGianGD: formatVietnamTime(p.settledAt ?? new Date()) }));
    return plain({ MaLoi: MA_LOI.ok, MoTaLoi: 'Thành công', Ngay: day, DanhSachGiaoDich: entries });
  }

  function api(req: IncomingMessage, body: Record<string, unknown> | undefined): Answer {
    if (faults.take('failNextCalls')) return { status: 500, body: { MaLoi: MA_LOI.systemError, MoTaLoi: 'Lỗi hệ thống' } };
    if (!authorised(req)) return { status: 401, body: { MaLoi: '401', MoTaLoi: 'Token không hợp lệ hoặc đã hết hạn' } };
    if (!body) return plain({ MaLoi: MA_LOI.invalidData, MoTaLoi: 'JSON không hợp lệ' });
    if (body.PhienBan !== VERSION) return plain({ MaLoi: MA_LOI.invalidData, MoTaLoi: `Phiên bản phải là ${VERSION}` });
    switch (body.LoaiBanTin) {
      case 'INIT':
        return init(body);
      case 'QUERY':
        return query(body);
      case 'GET_BILL':
        return bill(body);
      case 'STATEMENT':
        return statement(body);
      default:
        return plain({ MaLoi: MA_LOI.invalidData, MoTaLoi: 'LoaiBanTin không hợp lệ' });
    }
  }

  function authorised(req: IncomingMessage): boolean {
    const [scheme, value] = (req.headers.authorization ?? '').split(' ');
    if (scheme?.toLowerCase() !== 'bearer' || !value) return false;
    const expiry = issued.get(value);
    return value === sim.token || (expiry !== undefined && expiry > Date.now());
  }

  function issueToken(req: IncomingMessage, raw: Buffer): Answer {
    const [scheme, encoded] = (req.headers.authorization ?? '').split(' ');
    const [id, secret] = Buffer.from(scheme?.toLowerCase() === 'basic' ? (encoded ?? '') : '', 'base64').toString('utf8').split(':');
    if (new URLSearchParams(raw.toString('utf8')).get('grant_type') !== 'client_credentials') {
      return { status: 400, body: { error: 'unsupported_grant_type', error_description: 'grant_type must be client_credentials' } };
    }
    if (!(opts.clients ?? []).some((c) => c.id === id && c.secret === secret)) return { status: 401, body: { error: 'invalid_client', error_description: 'Client Authentication failed.' } };
    const value = randomBytes(24).toString('hex');
    issued.set(value, Date.now() + ttlMs);
    return { status: 200, body: { access_token: value, token_type: 'Bearer', expires_in: ttlMs / 1000 } };
  }

  // --- HTTP -------------------------------------------------------------------------------------------

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) sendJson(res, { status: 500, body: { MaLoi: MA_LOI.systemError, MoTaLoi: 'Lỗi hệ thống' } });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://simulator');
    const raw = await readBody(req, MAX_BODY_BYTES);
    if (url.pathname.startsWith('/__simulator/')) return control(req, res, url.pathname, raw);
    const payer = /^\/(pay|cancel)\/([^/]+)$/.exec(url.pathname);
    if (payer) return payerPage(req, res, payer[1] as 'pay' | 'cancel', decodeURIComponent(payer[2] ?? ''));
    const body = url.pathname === '/api/payment' ? parseObject(raw.toString('utf8')) : undefined;
    const answer =
      req.method !== 'POST'
        ? { status: 404, body: { MaLoi: '404', MoTaLoi: 'Không tìm thấy' } }
        : url.pathname === '/token'
          ? issueToken(req, raw)
          : url.pathname === '/api/payment'
            ? api(req, body)
            : { status: 404, body: { MaLoi: '404', MoTaLoi: 'Không tìm thấy' } };
    const header = req.headers['x-jws-signature'];
    sim.calls.push({
      path: url.pathname,
      ...(typeof body?.LoaiBanTin === 'string' ? { messageType: body.LoaiBanTin } : {}),
      answer: answer.status === 200 && typeof answer.body.MaLoi === 'string' ? answer.body.MaLoi : `http-${answer.status}`,
      signature: { header: typeof header === 'string' ? header : undefined, body: raw },
    });
    sendJson(res, answer);
  }

  /** GET /pay/{ref}: the page; POST /pay/{ref} or /cancel/{ref}: the payer's choice, then back to UrlTraVe. */
  function payerPage(req: IncomingMessage, res: ServerResponse, action: 'pay' | 'cancel', ref: string): void {
    const payment = sim.payments.get(ref);
    if (!payment) return html(res, 404, '<p>Không tìm thấy giao dịch</p>');
    if (req.method === 'GET' && action === 'pay') return html(res, 200, page(payment));
    if (req.method !== 'POST') return html(res, 405, '<p>Phương thức không được hỗ trợ</p>');
    if (payment.state !== STATE.pending) return html(res, 409, '<p>Giao dịch đã kết thúc</p>');
    // The browser goes back at once; the notification follows on its own, as on the platform.
    void (action === 'pay' ? sim.pay(ref) : sim.cancel(ref)).catch(() => undefined);
    // UrlTraVe is the gateway's own field; without it the payer stays on the platform's page.
    if (typeof payment.init.UrlTraVe !== 'string' || !/^https?:\/\//.test(payment.init.UrlTraVe)) return html(res, 200, '<p>Đã ghi nhận</p>');
    const back = new URL(payment.init.UrlTraVe);
    back.searchParams.set('MaThamChieu', ref);
    back.searchParams.set('TrangThaiGD', payment.state);
    res.writeHead(303, { location: back.toString(), 'content-length': 0 });
    res.end();
  }

  async function control(req: IncomingMessage, res: ServerResponse, path: string, raw: Buffer): Promise<void> {
    if (req.method === 'GET' && path === '/__simulator/state') {
      return sendJson(res, {
        status: 200,
        body: {
          payments: [...sim.payments.values()].map((p) => ({ paymentId: p.init.MaThamChieu, amount: p.init.SoTien, state: p.state, txnId: p.txnId ?? null })),
          notifications: sim.notifications.length,
          lastCalls: sim.calls.slice(-20).map(({ signature, ...call }) => ({ ...call, signed: signature.header !== undefined })),
          notifyUrl: notifyUrl ?? null,
          faults: faults.current,
        },
      });
    }
    const body = parseObject(raw.toString('utf8'));
    const switched = path === '/__simulator/faults' && faults.control(req.method, body);
    if (switched) return sendJson(res, switched);
    if (req.method === 'POST' && path === '/__simulator/notify-url') {
      sim.setNotifyUrl(typeof body?.url === 'string' ? body.url : undefined);
      return sendJson(res, { status: 200, body: { notifyUrl: notifyUrl ?? null } });
    }
    const action = /^\/__simulator\/(pay|cancel)\/([^/]+)$/.exec(path);
    if (req.method === 'POST' && action) {
      const ref = decodeURIComponent(action[2] ?? '');
      const state = sim.payments.get(ref)?.state;
      if (state !== STATE.pending) return sendJson(res, { status: 409, body: { error: 'no pending payment with that reference' } });
      await (action[1] === 'pay' ? sim.pay(ref) : sim.cancel(ref));
      return sendJson(res, { status: 200, body: { state: sim.payments.get(ref)?.state } });
    }
    return sendJson(res, { status: 404, body: { error: 'unknown simulator route' } });
  }

  origin = (await listen(server, opts.port, opts.host)).origin;
  sim.url = `${origin}/api`;
  sim.tokenUrl = `${origin}/token`;
  sim.close = async () => {
    await Promise.allSettled(inFlight);
    await closeServer(server);
  };
  return sim;
}

function page(payment: SimulatedPayment): string {
  const ref = encodeURIComponent(payment.init.MaThamChieu);
  const lines = payment.init.ThongTinBienLai.PhiLePhi.map((l) => `<li>${escapeHtml(l.TenPhiLePhi)}: ${l.SoTien.toLocaleString('vi-VN')} đ</li>`).join('');
  return [
    '<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>Thanh toán trực tuyến</title></head><body>',
    `<h1>Thanh toán hồ sơ ${escapeHtml(payment.init.ThongTinBienLai.MaHoSo)}</h1>`,
    `<p>${escapeHtml(payment.init.ThongTinGiaoDich)}</p><ul>${lines}</ul>`,
    `<p>Số tiền: <strong>${payment.init.SoTien.toLocaleString('vi-VN')} đ</strong></p>`,
    `<form method="post" action="/pay/${ref}"><button type="submit" name="action" value="pay">Thanh toán</button></form>`,
    `<form method="post" action="/cancel/${ref}"><button type="submit" name="action" value="cancel">Hủy giao dịch</button></form>`,
    '</body></html>',
  ].join('\n');
}

/** A one-page PDF 1.4 with the receipt's text in Helvetica, its cross-reference offsets counted. */
function receiptPdf(payment: SimulatedPayment): Buffer {
  const info = payment.init.ThongTinBienLai;
  const lines = [
    'BIEN LAI THU PHI, LE PHI',
    `Ma tham chieu: ${payment.init.MaThamChieu}`,
    `Ma giao dich: ${payment.txnId ?? ''}`,
    `Ma ho so: ${info.MaHoSo}`,
    `Nguoi nop: ${info.HoTenNguoiNop}`,
    ...info.PhiLePhi.map((l) => `${l.TenPhiLePhi}: ${l.SoTien} VND`),
    `Tong so tien: ${payment.init.SoTien} VND`,
  ];
  const content = lines.map((line, i) => `BT /F1 12 Tf 50 ${780 - i * 20} Td (${pdfText(line)}) Tj ET`).join('\n');
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>',
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((object, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${object}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

/** ASCII only (Helvetica's standard encoding has no Vietnamese), PDF string escapes applied. */
function pdfText(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'D')
    .replace(/[^\x20-\x7e]/g, '?')
    .replace(/[\\()]/g, '\\$&');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function html(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
