// A stand-in for VNPay: a real HTTP server with the payer page (pay or cancel), the IPN it sends to
// the gateway (a GET with the signed vnp_* query), querydr and a daily statement, and faults on
// demand. Used by the tests, in development and for demos; never a source of test vectors.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { request } from 'undici';
import { hashData, pipeHash, secureHash, verify, verifyPipe, vnpEncode } from './secure-hash.js';
import { errorName, parseObject } from '../../../src/core/json-object.js';
import { closeServer, listen, readBody, sendJson } from '../../../src/infra/simulator-http.js';
import { simulatorFaults, type FaultSwitches } from '../../shared/simulator-faults.js';
import { formatVietnamTime, parseVietnamTime } from '../../../src/core/vietnam-time.js';

export interface VnpaySimulatorOptions {
  tmnCode: string;
  hashSecret: string;
  /** Where IPNs go (the gateway's /v1/payments/notifications/vnpay); none are sent without it. */
  ipnUrl?: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
}

// The simulator's own reading of VNPay's public integration guide and its querydr samples (peers.md),
// apart from the adapter's wire.ts, so that a wrong code or checksum order there fails against it.
/** vnp_ResponseCode (and vnp_TransactionStatus) of a payment that went through. */
const PAID = '00';
/** vnp_ResponseCode when the payer cancels on VNPay's page. */
const PAYER_CANCELLED = '24';
/** querydr vnp_ResponseCode values the simulator answers. */
const QUERYDR_CODE = { ok: '00', notFound: '91', duplicateRequest: '94', badChecksum: '97' } as const;
/** What the merchant's querydr checksum joins with '|', in the guide's order. */
const QUERYDR_REQUEST_SIGNED = 'vnp_RequestId|vnp_Version|vnp_Command|vnp_TmnCode|vnp_TxnRef|vnp_TransactionDate|vnp_CreateDate|vnp_IpAddr|vnp_OrderInfo'.split('|');
/** What VNPay's querydr answer checksum joins with '|', in the guide's order. */
const QUERYDR_ANSWER_SIGNED = (
  'vnp_ResponseId|vnp_Command|vnp_ResponseCode|vnp_Message|vnp_TmnCode|vnp_TxnRef|vnp_Amount|vnp_BankCode|vnp_PayDate|' +
  'vnp_TransactionNo|vnp_TransactionType|vnp_TransactionStatus|vnp_OrderInfo|vnp_PromotionCode|vnp_PromotionAmount'
).split('|');
/** The statement's columns: no public source shows VNPay's reconciliation file; this is the project's format (README.md). */
const STATEMENT_COLUMNS = ['vnp_TxnRef', 'vnp_TransactionNo', 'vnp_Amount', 'vnp_PayDate', 'vnp_BankCode'].join(',');

/** The merchant's answer to an IPN. */
export interface IpnReply {
  RspCode: string;
  Message: string;
}

export interface VnpaySimulatorFaults {
  /** Each IPN is sent twice. */
  duplicateIpn?: boolean;
  /** Each IPN waits this long. */
  lateIpnMs?: number;
  /** The IPN's vnp_Amount is 1 000 VND more than the order's, correctly signed. */
  wrongAmount?: boolean;
  /** The IPN's vnp_SecureHash is made with another secret. */
  badSignature?: boolean;
  /** No IPN at all: only querydr and the statement tell. */
  neverNotify?: boolean;
  /** The next n querydr or statement calls answer HTTP 500. */
  failNextCalls?: number;
}

export interface SimulatedPayment {
  txnRef: string;
  /** vnp_Amount as the merchant sent it: VND × 100. */
  amount: number;
  orderInfo: string;
  /** vnp_CreateDate as sent; querydr must name it as vnp_TransactionDate. */
  createDate: string;
  returnUrl: string;
  state: 'pending' | 'paid' | 'cancelled';
  transactionNo?: string;
  payDate?: string;
  bankCode?: string;
}

export interface SimulatorIpn {
  url: string;
  /** The gateway's answer, or `http-<status>` / a network error code when it gave none. */
  answer: IpnReply | string;
}

export interface VnpaySimulator {
  /** The payer page, for the provider's payUrl. */
  payUrl: string;
  /** querydr, for the provider's apiUrl. */
  apiUrl: string;
  statementUrl: string;
  payments: Map<string, SimulatedPayment>;
  faults: FaultSwitches<VnpaySimulatorFaults>;
  setIpnUrl(url: string | undefined): void;
  /** The payer pays; resolves once the IPNs not held back by lateIpnMs have been answered. */
  pay(txnRef: string): Promise<void>;
  /** The payer cancels on the page (vnp_ResponseCode 24). */
  cancel(txnRef: string): Promise<void>;
  ipns: SimulatorIpn[];
  close(): Promise<void>;
}

type Html = { status: number; html: string };
type Json = { status: number; body: Record<string, unknown> };

const PAY_PATH = '/paymentv2/vpcpay.html';
const API_PATH = '/merchant_webapi/api/transaction';
const STATEMENT_PATH = '/merchant_webapi/statement';
const MAX_BODY_BYTES = 64 * 1024;
/** The payer page's error codes, as VNPay's page shows them. */
const PAGE_ERRORS = { signature: ['70', 'Sai chữ ký'], invalid: ['03', 'Dữ liệu gửi sang không đúng định dạng'], merchant: ['02', 'Merchant không hợp lệ'], expired: ['11', 'Giao dịch đã hết hạn'], done: ['01', 'Giao dịch đã được xử lý'] } as const;

export async function startVnpaySimulator(opts: VnpaySimulatorOptions): Promise<VnpaySimulator> {
  const faults = simulatorFaults<VnpaySimulatorFaults>();
  let ipnUrl = opts.ipnUrl;
  let lastTransactionNo = 14_000_000;
  const requestIds = new Set<string>();
  const inFlight = new Set<Promise<void>>();
  const timers = new Set<NodeJS.Timeout>();

  const sim: VnpaySimulator = {
    payUrl: '',
    apiUrl: '',
    statementUrl: '',
    payments: new Map(),
    faults,
    setIpnUrl(url) {
      ipnUrl = url;
    },
    pay: (txnRef) => settle(txnRef, 'paid'),
    cancel: (txnRef) => settle(txnRef, 'cancelled'),
    ipns: [],
    close: () => Promise.resolve(),
  };

  // --- the payment's end, and the IPN ----------------------------------------------------------

  async function settle(txnRef: string, state: 'paid' | 'cancelled'): Promise<void> {
    const payment = sim.payments.get(txnRef);
    if (!payment) throw new Error(`no payment ${txnRef}`);
    if (payment.state !== 'pending') throw new Error(`payment ${txnRef} is already ${payment.state}`);
    payment.state = state;
    payment.payDate = formatVietnamTime(new Date());
    payment.bankCode = 'NCB';
    payment.transactionNo = state === 'paid' ? String(++lastTransactionNo) : '0';
    await notify(payment);
  }

  /** The vnp_* fields VNPay sends back, by IPN and on the return URL, unsigned. */
  function resultFields(payment: SimulatedPayment, amount = payment.amount): Record<string, string> {
    const paid = payment.state === 'paid';
    return {
      vnp_Amount: String(amount),
      vnp_BankCode: payment.bankCode ?? '',
      ...(paid ? { vnp_BankTranNo: `VNP${payment.transactionNo ?? ''}`, vnp_CardType: 'ATM' } : {}),
      vnp_OrderInfo: payment.orderInfo,
      vnp_PayDate: payment.payDate ?? '',
      vnp_ResponseCode: paid ? PAID : PAYER_CANCELLED,
      vnp_TmnCode: opts.tmnCode,
      vnp_TransactionNo: payment.transactionNo ?? '0',
      vnp_TransactionStatus: paid ? PAID : '02',
      vnp_TxnRef: payment.txnRef,
    };
  }

  function signedQuery(fields: Record<string, string>, secret = opts.hashSecret): string {
    return `${hashData(fields)}&vnp_SecureHash=${vnpEncode(secureHash(fields, secret))}`;
  }

  async function notify(payment: SimulatedPayment): Promise<void> {
    const target = ipnUrl;
    if (!target || faults.current.neverNotify) return;
    const fields = resultFields(payment, faults.current.wrongAmount ? payment.amount + 100_000 : payment.amount);
    const url = `${target}${target.includes('?') ? '&' : '?'}${signedQuery(fields, faults.current.badSignature ? `${opts.hashSecret}-not` : opts.hashSecret)}`;
    const copies = faults.current.duplicateIpn ? 2 : 1;
    const send = async () => {
      for (let i = 0; i < copies; i++) await sendIpn(url);
    };
    const delay = faults.current.lateIpnMs ?? 0;
    if (delay <= 0) return track(send());
    const timer = setTimeout(() => {
      timers.delete(timer);
      void track(send());
    }, delay);
    timers.add(timer);
  }

  async function sendIpn(url: string): Promise<void> {
    let answer: IpnReply | string;
    try {
      const res = await request(url, { method: 'GET' });
      const text = await res.body.text();
      answer = ipnAnswer(text) ?? `http-${res.statusCode}`;
    } catch (err) {
      answer = errorName(err);
    }
    sim.ipns.push({ url, answer });
  }

  function track(sending: Promise<void>): Promise<void> {
    const done = sending.finally(() => inFlight.delete(done));
    inFlight.add(done);
    return done;
  }

  // --- the payer page ----------------------------------------------------------------------------

  function payerPage(query: URLSearchParams): Html {
    const q = Object.fromEntries(query);
    if (!verify(q, opts.hashSecret)) return errorPage(PAGE_ERRORS.signature);
    if (q.vnp_TmnCode !== opts.tmnCode) return errorPage(PAGE_ERRORS.merchant);
    const amount = q.vnp_Amount ?? '';
    const createDate = q.vnp_CreateDate ?? '';
    const expiry = parseVietnamTime(q.vnp_ExpireDate ?? '');
    const valid =
      q.vnp_Command === 'pay' &&
      q.vnp_CurrCode === 'VND' &&
      /^\d{1,12}$/.test(amount) &&
      /^[A-Za-z0-9_-]{1,100}$/.test(q.vnp_TxnRef ?? '') &&
      parseVietnamTime(createDate) !== undefined &&
      !!q.vnp_ReturnUrl &&
      !!q.vnp_IpAddr &&
      !!q.vnp_OrderInfo;
    if (!valid) return errorPage(PAGE_ERRORS.invalid);
    if (expiry && expiry.getTime() < Date.now()) return errorPage(PAGE_ERRORS.expired);
    const txnRef = q.vnp_TxnRef ?? '';
    const known = sim.payments.get(txnRef);
    if (known && known.state !== 'pending') return errorPage(PAGE_ERRORS.done);
    const payment: SimulatedPayment = known ?? {
      txnRef,
      amount: Number(amount),
      orderInfo: q.vnp_OrderInfo ?? '',
      createDate,
      returnUrl: q.vnp_ReturnUrl ?? '',
      state: 'pending',
    };
    sim.payments.set(txnRef, payment);
    const vnd = (payment.amount / 100).toLocaleString('vi-VN');
    return {
      status: 200,
      html: page(
        'Thanh toán',
        `<dl><dt>Mã giao dịch</dt><dd id="txn-ref">${escapeHtml(txnRef)}</dd><dt>Số tiền</dt><dd id="amount">${escapeHtml(vnd)} VND</dd><dt>Nội dung</dt><dd id="order-info">${escapeHtml(payment.orderInfo)}</dd></dl>` +
          `<form method="post" action="/paymentv2/pay"><input type="hidden" name="txnRef" value="${escapeHtml(txnRef)}"><button>Thanh toán</button></form>` +
          `<form method="post" action="/paymentv2/cancel"><input type="hidden" name="txnRef" value="${escapeHtml(txnRef)}"><button>Hủy thanh toán</button></form>`,
      ),
    };
  }

  /** The page's buttons: settle, then send the browser back to the merchant, signed. */
  async function pageAction(res: ServerResponse, body: Buffer, state: 'paid' | 'cancelled'): Promise<void> {
    const txnRef = new URLSearchParams(body.toString('utf8')).get('txnRef') ?? '';
    const payment = sim.payments.get(txnRef);
    if (!payment || payment.state !== 'pending') return sendHtml(res, errorPage(PAGE_ERRORS.done));
    // The browser goes back without waiting for the IPN, as with VNPay.
    void settle(txnRef, state);
    const back = `${payment.returnUrl}${payment.returnUrl.includes('?') ? '&' : '?'}${signedQuery(resultFields(payment))}`;
    res.writeHead(302, { location: back, 'content-length': 0 });
    res.end();
  }

  // --- merchant API ------------------------------------------------------------------------------

  function queryDr(body: Record<string, unknown> | undefined): Json {
    const field = (name: string) => (typeof body?.[name] === 'string' ? (body[name] as string) : undefined);
    if (!body) return queryAnswer('03', 'Invalid data format', undefined);
    if (!verifyPipe(QUERYDR_REQUEST_SIGNED.map(field), field('vnp_SecureHash'), opts.hashSecret)) return queryAnswer(QUERYDR_CODE.badChecksum, 'Invalid Checksum', undefined);
    if (field('vnp_TmnCode') !== opts.tmnCode) return queryAnswer('02', 'Merchant is not valid', undefined);
    if (field('vnp_Command') !== 'querydr' || !field('vnp_RequestId')) return queryAnswer('03', 'Invalid data format', undefined);
    const requestKey = `${(field('vnp_CreateDate') ?? '').slice(0, 8)}:${field('vnp_RequestId') ?? ''}`;
    if (requestIds.has(requestKey)) return queryAnswer(QUERYDR_CODE.duplicateRequest, 'Duplicate request', undefined);
    requestIds.add(requestKey);
    const payment = sim.payments.get(field('vnp_TxnRef') ?? '');
    // VNPay finds a transaction by its reference and the date the merchant created it with.
    if (!payment || payment.createDate !== field('vnp_TransactionDate')) return queryAnswer(QUERYDR_CODE.notFound, 'Transaction not found', undefined);
    return queryAnswer(QUERYDR_CODE.ok, 'QueryDR Success', payment);
  }

  function queryAnswer(code: string, message: string, payment: SimulatedPayment | undefined): Json {
    const status = payment ? { pending: '01', paid: PAID, cancelled: '02' }[payment.state] : '';
    const fields: Record<string, string> = {
      vnp_ResponseId: randomBytes(16).toString('hex'),
      vnp_Command: 'querydr',
      vnp_ResponseCode: code,
      vnp_Message: message,
      vnp_TmnCode: opts.tmnCode,
      ...(payment
        ? {
            vnp_TxnRef: payment.txnRef,
            vnp_Amount: String(payment.amount),
            vnp_OrderInfo: payment.orderInfo,
            vnp_BankCode: payment.bankCode ?? '',
            vnp_PayDate: payment.payDate ?? '',
            vnp_TransactionNo: payment.transactionNo ?? '0',
            vnp_TransactionType: '01',
            vnp_TransactionStatus: status,
          }
        : {}),
    };
    fields.vnp_SecureHash = pipeHash(QUERYDR_ANSWER_SIGNED.map((f) => fields[f]), opts.hashSecret);
    return { status: 200, body: fields };
  }

  function statement(query: URLSearchParams): { status: number; text: string } {
    const tmnCode = query.get('vnp_TmnCode') ?? '';
    const day = query.get('vnp_Date') ?? '';
    if (!verifyPipe([tmnCode, day], query.get('vnp_SecureHash') ?? undefined, opts.hashSecret) || tmnCode !== opts.tmnCode) {
      return { status: 403, text: 'Invalid Checksum' };
    }
    if (!parseVietnamTime(`${day}000000`)) return { status: 400, text: 'Invalid vnp_Date' };
    const lines = [...sim.payments.values()]
      .filter((p) => p.state === 'paid' && p.payDate?.startsWith(day))
      .map((p) => [p.txnRef, p.transactionNo, p.amount, p.payDate, p.bankCode].join(','));
    return { status: 200, text: [STATEMENT_COLUMNS, ...lines].join('\r\n') + '\r\n' };
  }

  // --- HTTP --------------------------------------------------------------------------------------

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) sendJson(res, { status: 500, body: { error: 'simulator error' } });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://simulator');
    const route = `${req.method ?? ''} ${url.pathname}`;
    const body = await readBody(req, MAX_BODY_BYTES);
    if (url.pathname.startsWith('/__simulator/')) return control(res, route, body);
    if (route === `GET ${PAY_PATH}`) return sendHtml(res, payerPage(url.searchParams));
    if (route === 'POST /paymentv2/pay') return pageAction(res, body, 'paid');
    if (route === 'POST /paymentv2/cancel') return pageAction(res, body, 'cancelled');
    if (route === `POST ${API_PATH}` || route === `GET ${STATEMENT_PATH}`) {
      if (faults.take('failNextCalls')) return sendJson(res, { status: 500, body: { error: 'simulated failure' } });
      if (route === `POST ${API_PATH}`) return sendJson(res, queryDr(parseObject(body.toString('utf8'))));
      const answer = statement(url.searchParams);
      res.writeHead(answer.status, { 'content-type': 'text/csv; charset=utf-8', 'content-length': Buffer.byteLength(answer.text) });
      return void res.end(answer.text);
    }
    return sendJson(res, { status: 404, body: { error: 'not found' } });
  }

  async function control(res: ServerResponse, route: string, raw: Buffer): Promise<void> {
    const body = parseObject(raw.toString('utf8'));
    if (route === 'GET /__simulator/state') {
      return sendJson(res, { status: 200, body: { payments: [...sim.payments.values()], faults: faults.current, ipns: sim.ipns, ipnUrl: ipnUrl ?? null } });
    }
    const [method, path] = route.split(' ');
    const switched = path === '/__simulator/faults' && faults.control(method, body);
    if (switched) return sendJson(res, switched);
    if (route === 'POST /__simulator/ipn-url' && typeof body?.url === 'string') {
      sim.setIpnUrl(body.url);
      return sendJson(res, { status: 200, body: { ipnUrl: body.url } });
    }
    if ((route === 'POST /__simulator/pay' || route === 'POST /__simulator/cancel') && typeof body?.txnRef === 'string') {
      try {
        await (route.endsWith('pay') ? sim.pay(body.txnRef) : sim.cancel(body.txnRef));
      } catch (err) {
        return sendJson(res, { status: 409, body: { error: err instanceof Error ? err.message : 'refused' } });
      }
      return sendJson(res, { status: 200, body: { state: sim.payments.get(body.txnRef)?.state ?? '' } });
    }
    return sendJson(res, { status: 404, body: { error: 'unknown simulator route' } });
  }

  const { origin } = await listen(server, opts.port, opts.host);
  sim.payUrl = `${origin}${PAY_PATH}`;
  sim.apiUrl = `${origin}${API_PATH}`;
  sim.statementUrl = `${origin}${STATEMENT_PATH}`;
  sim.close = async () => {
    for (const timer of timers) clearTimeout(timer);
    await Promise.all(inFlight);
    await closeServer(server);
  };
  return sim;
}

function errorPage([code, message]: readonly [string, string]): Html {
  return { status: 400, html: page('Thông báo', `<p id="error" data-code="${code}">${escapeHtml(message)}</p>`) };
}

function page(title: string, content: string): string {
  return `<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>${escapeHtml(title)} - VNPay simulator</title></head><body><h1>${escapeHtml(title)}</h1>${content}</body></html>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function sendHtml(res: ServerResponse, answer: Html): void {
  res.writeHead(answer.status, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(answer.html) });
  res.end(answer.html);
}

function ipnAnswer(text: string): IpnReply | undefined {
  const value = parseObject(text);
  return typeof value?.RspCode === 'string' && typeof value.Message === 'string' ? { RspCode: value.RspCode, Message: value.Message } : undefined;
}
