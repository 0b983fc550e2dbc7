// A stand-in for VNPost's order API: a real HTTP server with the same token, create, cancel and
// track endpoints, which plays each order's life on a clock, pushes the events to the gateway's
// callback, signed, and fails on demand. Used by the tests, in development, and for demos.
// Orders and tracking follow the VNPost NGSP SDK shipped with VietOpenCPS/opencps-v2
// (modules/backend-postal-api-rest/lib/VNPostNGSPSDK.jar: MOrder, MStatus, MEmbedded, MRhDoc), read
// on its own here: the status wording and the tracking records share nothing with the adapter's tables,
// nor do the wire shapes, the EventTime form and the order-kind conventions.
import { randomBytes, randomInt } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { request } from 'undici';
import { errorName, parseObject } from '../../src/core/json-object.js';
import { vietnamWallClock } from '../../src/core/vietnam-time.js';
import { closeServer, listen, readBody, sendJson } from '../../src/infra/simulator-http.js';
import { simulatorFaults, type FaultSwitches } from '../shared/simulator-faults.js';

export interface PostalSimulatorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  /** The consumer key/secret pairs the token endpoint accepts. */
  consumers: { key: string; secret: string }[];
  /** The only CustomerCode orders may carry. */
  customerCode: string;
  /** Default 3600. */
  tokenTtlSeconds?: number;
  /** Default 'direct'. */
  variant?: 'direct' | 'lgsp';
  /** The clock: every open order moves one step each stepMs. Without it, only advance() moves them. */
  stepMs?: number;
  /** Where each new event is pushed, the operator's own signer for X-JWS-Signature, and headers the callback needs (an API key). */
  push?: { url: string; sign: (body: Buffer) => string; headers?: Record<string, string> };
}

export interface PostalSimulatorFaults {
  /** The next N order API calls answer HTTP 500. */
  failNextCalls?: number;
  /** Every answer (the token endpoint's too) waits this long. */
  delayMs?: number;
  /** Each new event is listed twice by track and pushed twice. */
  duplicateEvents?: boolean;
  /** Each new event is held back and listed and pushed after the next one. */
  outOfOrderEvents?: boolean;
  /** Pushes carry a signature over other bytes than the body. */
  badPushSignature?: boolean;
  /** The next N authorised calls answer 401 and revoke their token, as if it had expired. */
  rejectTokens?: number;
  /** The last step fails (401 Phát không thành công), and the next one returns the item (501). */
  failDelivery?: boolean;
}

// The simulator's own reading of the wire (MOrder, MRhDoc of the NGSP SDK; the push of README.md),
// apart from the adapter's wire.ts, so that a wrong field in the adapter fails against it.

/** An accepted `order/post` body: the fields the simulator checks; the rest is kept as sent. */
export interface ReceivedOrder {
  CustomerCode: string;
  OrderNumber: string;
  CODAmount: number;
  SenderProvince: number;
  ReceiverProvince: number;
  Description: string;
  ItemCode?: string;
  FlagConfig?: string;
  [field: string]: unknown;
}

/** One status event as track lists it and a push carries it. */
export interface PlayedEvent {
  Id?: string;
  ItemCode: string;
  StatusCode: string;
  StatusMessage: string;
  /** `dd/MM/yyyy HH:mm:ss`, wall-clock time in Vietnam. */
  EventTime: string;
  POSID: string;
  Notes: string;
}

/** MRhDoc: StatusCode a Java Integer, EventTime a Long (epoch milliseconds), the id a Mongo ObjectId. */
interface FeedRecord {
  _id: { $oid: string };
  CustomerCode: string;
  OrderNumber: string;
  EventTime: number;
  POSID: string;
  ItemCode: string;
  StatusCode: number;
  StatusMessage: string;
  Notes: string | null;
}

/**
 * FlagConfig (lgsp) and the Description's opening words (direct) say whether an order picks up
 * papers or delivers results. Neither has a public source: they are the project's convention
 * (adapters/postal-bcci/README.md, "Variants"), spelled here on their own.
 */
const KIND_FLAG: Record<string, 'pickup' | 'delivery'> = { '1': 'pickup', '2': 'delivery' };
const KIND_WORDS = [
  ['Thu gom hồ sơ ', 'pickup'],
  ['Chuyển trả kết quả ', 'delivery'],
] as const;

/** `dd/MM/yyyy HH:mm:ss` in Vietnam, as the operator writes EventTime in a push. */
function eventTime(at: Date): string {
  const t = vietnamWallClock(at);
  const two = (n: number) => (n < 10 ? `0${n}` : String(n));
  return `${two(t.day)}/${two(t.month)}/${t.year} ${two(t.hour)}:${two(t.minute)}:${two(t.second)}`;
}

export interface SimulatedOrder {
  order: ReceivedOrder;
  kind: 'pickup' | 'delivery';
  itemCode: string;
  /** As track lists them: in Id order. */
  events: PlayedEvent[];
  /** How many steps of its life the order has made. */
  step: number;
  lastCode: string;
  /** The event held back by outOfOrderEvents. */
  held?: PlayedEvent;
  /** The instant of the latest event, ms since epoch. */
  lastEventAt?: number;
}

export interface SimulatorCall {
  method: string;
  path: string;
  auth: 'bearer' | 'access_token' | 'basic' | 'none';
  /** The Status answered, or `http-NNN` when the HTTP status says it all. */
  answer: string;
  orderNumber?: string;
  traceparent?: string;
  /** The X-JWS-Signature header received, and the exact body it should cover. */
  signature: { header: string | undefined; body: Buffer };
}

export interface SimulatorPush {
  body: Buffer;
  signature: string;
  /** The gateway's HTTP status, or the network error's code. */
  outcome: number | string;
}

export interface PostalSimulator {
  /** The order API base. */
  url: string;
  tokenUrl: string;
  orders: Map<string, SimulatedOrder>;
  calls: SimulatorCall[];
  pushes: SimulatorPush[];
  faults: FaultSwitches<PostalSimulatorFaults>;
  /** Moves one order, or every open order, one step now; resolves once the pushes are answered. */
  advance(orderNumber?: string): Promise<void>;
  /** Where pushes go from now on (a gateway started after the simulator); undefined stops them. */
  setPush(push: PostalSimulatorOptions['push']): void;
  close(): Promise<void>;
}

type Answer = { status: number; body: Record<string, unknown> };

// The simulator's Status values (README.md): success by variant, and the refusals.
const REFUSAL = { invalid: '01', customer: '02', exists: '03', notFound: '04', notCancellable: '05' } as const;
const LIFE = { pickup: ['200', '201', '301', '400'], delivery: ['300', '302', '400'] } as const;
const FINAL_CODES = new Set(['400', '501', '102']);
const CANCELLABLE_CODES = new Set(['100', '101', '200']);
const MAX_BODY_BYTES = 1024 * 1024;
const MAX_PAGE_SIZE = 100;
const DEFAULT_PAGE_SIZE = 20;
/**
 * The operator's wording of each code the simulator plays. No public source lists VNPost's codes;
 * these are the README's, kept here apart from the adapter's table (statuses.ts).
 */
const MESSAGES: Record<string, string> = {
  '100': 'Tiếp nhận đơn hàng',
  '102': 'Đã hủy đơn hàng',
  '200': 'Bưu tá đang đi thu gom',
  '201': 'Thu gom thành công',
  '300': 'Nhận tại bưu cục gốc',
  '301': 'Đang vận chuyển',
  '302': 'Đến bưu cục phát',
  '400': 'Phát thành công',
  '401': 'Phát không thành công',
  '501': 'Đã chuyển hoàn cho người gửi',
};
/** MOrder's Integer fields: a typed server refuses anything else, '' included. */
const INTEGER_FIELDS = ['SenderProvince', 'ReceiverProvince'] as const;
const OPTIONAL_INTEGER_FIELDS = ['SenderDistrict', 'ReceiverDistrict'] as const;
const OID = /^[0-9a-f]{24}$/;
const REQUIRED = ['OrderNumber', 'SenderName', 'SenderAddress', 'SenderTel', 'ReceiverName', 'ReceiverAddress', 'ReceiverTel', 'Description'] as const;

export async function startPostalSimulator(opts: PostalSimulatorOptions): Promise<PostalSimulator> {
  const variant = opts.variant ?? 'direct';
  const ttlMs = (opts.tokenTtlSeconds ?? 3600) * 1000;
  const tokens = new Map<string, number>(); // token → expiry, ms since epoch
  const inFlightPushes = new Set<Promise<void>>();
  const faults = simulatorFaults<PostalSimulatorFaults>();
  let lastEventId = 0;
  /** The customer's event feed, as the SDK's tracking pages it: every order's records, in id order. */
  const feed: FeedRecord[] = [];
  /** The instant of each event, ms since epoch: the feed carries it as a number. */
  const eventAt = new Map<PlayedEvent, number>();

  let pushTarget = opts.push;
  const sim: PostalSimulator = {
    url: '',
    tokenUrl: '',
    setPush(push) {
      pushTarget = push;
    },
    orders: new Map(),
    calls: [],
    pushes: [],
    faults,
    async advance(orderNumber) {
      const orders = orderNumber === undefined ? [...sim.orders.values()] : [sim.orders.get(orderNumber)].filter((o) => o !== undefined);
      for (const order of orders) step(order);
      await Promise.all(inFlightPushes);
    },
    close: () => Promise.resolve(),
  };

  const ok = (body: Record<string, unknown> = {}, status = variant === 'lgsp' ? '100' : '00'): Answer => ({
    status: 200,
    body: { Status: status, Message: 'Thành công', ...body },
  });
  const refuse = (status: string, message: string): Answer => ({ status: 200, body: { Status: status, Message: message } });

  // --- the life of an order --------------------------------------------------------------------

  function step(order: SimulatedOrder): void {
    const code = nextCode(order);
    if (!code) return;
    order.step += 1;
    record(order, code === '400' && faults.current.failDelivery ? '401' : code);
  }

  function nextCode(order: SimulatedOrder): string | undefined {
    if (FINAL_CODES.has(order.lastCode)) return undefined;
    if (order.lastCode === '401') return '501';
    return LIFE[order.kind][order.step];
  }

  /** A new event: kept for track and pushed, or held back one step when outOfOrderEvents is set. */
  function record(order: SimulatedOrder, code: string): void {
    order.lastCode = code;
    const event = newEvent(order, code);
    if (faults.current.outOfOrderEvents && !order.held && nextCode(order)) {
      order.held = event;
      return;
    }
    const batch = [event];
    if (order.held) batch.push(order.held);
    order.held = undefined;
    // Ids follow the order of listing, times the order of the life. An id is the record's document id
    // (24 digits, which are hex digits too), the same in the feed and in a push.
    for (const e of batch) e.Id = String(++lastEventId).padStart(24, '0');
    const copies = faults.current.duplicateEvents ? 2 : 1;
    for (let i = 0; i < copies; i++) order.events.push(...batch);
    for (let i = 0; i < copies; i++) feed.push(...batch.map((e) => rhDoc(order, e)));
    for (let i = 0; i < copies; i++) push({ OrderNumber: order.order.OrderNumber, ItemCode: order.itemCode, Events: batch });
  }

  function newEvent(order: SimulatedOrder, code: string): PlayedEvent {
    // Times strictly increase within an order (EventTime has whole seconds), so that the order of
    // the life can be told from them even when advance() runs several steps in one second.
    const at = Math.max(Date.now(), (order.lastEventAt ?? 0) + 1000);
    order.lastEventAt = at;
    const atDestination = ['302', '303', '400', '401'].includes(code);
    const event: PlayedEvent = {
      ItemCode: order.itemCode,
      StatusCode: code,
      StatusMessage: MESSAGES[code] ?? code,
      EventTime: eventTime(new Date(at)),
      POSID: `${atDestination ? order.order.ReceiverProvince : order.order.SenderProvince}000`,
      Notes: code === '401' ? 'Không liên lạc được người nhận' : '',
    };
    eventAt.set(event, at);
    return event;
  }

  function rhDoc(order: SimulatedOrder, event: PlayedEvent): FeedRecord {
    return {
      _id: { $oid: String(event.Id) },
      CustomerCode: order.order.CustomerCode,
      OrderNumber: order.order.OrderNumber,
      EventTime: eventAt.get(event) ?? Date.now(),
      POSID: String(event.POSID ?? ''),
      ItemCode: order.itemCode,
      StatusCode: Number(event.StatusCode),
      StatusMessage: event.StatusMessage ?? '',
      Notes: event.Notes ?? null,
    };
  }

  function push(message: { OrderNumber: string; ItemCode: string; Events: PlayedEvent[] }): void {
    if (!pushTarget) return;
    const { url, sign, headers } = pushTarget;
    const body = Buffer.from(JSON.stringify(message));
    const signature = faults.current.badPushSignature ? sign(Buffer.concat([body, Buffer.from(' ')])) : sign(body);
    const sending = request(url, { method: 'POST', body, headers: { ...headers, 'content-type': 'application/json; charset=utf-8', 'x-jws-signature': signature } })
      .then(async (res) => {
        await res.body.dump();
        sim.pushes.push({ body, signature, outcome: res.statusCode });
      })
      .catch((err: unknown) => {
        sim.pushes.push({ body, signature, outcome: errorName(err) });
      })
      .finally(() => inFlightPushes.delete(sending));
    inFlightPushes.add(sending);
  }

  // --- protocol ----------------------------------------------------------------------------------

  function token(req: IncomingMessage, raw: Buffer): Answer {
    const [scheme, encoded] = (req.headers.authorization ?? '').split(' ');
    const [key, secret] = Buffer.from(scheme?.toLowerCase() === 'basic' ? (encoded ?? '') : '', 'base64').toString('utf8').split(':');
    if (new URLSearchParams(raw.toString('utf8')).get('grant_type') !== 'client_credentials') {
      return { status: 400, body: { error: 'unsupported_grant_type', error_description: 'grant_type must be client_credentials' } };
    }
    if (!opts.consumers.some((c) => c.key === key && c.secret === secret)) {
      return { status: 401, body: { error: 'invalid_client', error_description: 'Client Authentication failed.' } };
    }
    const value = randomBytes(24).toString('hex');
    tokens.set(value, Date.now() + ttlMs);
    return { status: 200, body: { access_token: value, scope: 'default', token_type: 'Bearer', expires_in: ttlMs / 1000 } };
  }

  function create(body: Record<string, unknown>): Answer {
    const missing = REQUIRED.find((f) => typeof body[f] !== 'string' || (body[f] as string).trim() === '');
    if (missing) return refuse(REFUSAL.invalid, `Dữ liệu không hợp lệ: thiếu ${missing}`);
    const problem = orderProblem(body);
    if (problem) return refuse(REFUSAL.invalid, `Dữ liệu không hợp lệ: ${problem}`);
    if (body.CustomerCode !== opts.customerCode) return refuse(REFUSAL.customer, 'Mã khách hàng không đúng');
    const order = body as ReceivedOrder;
    if (sim.orders.has(order.OrderNumber)) return refuse(REFUSAL.exists, `Đơn hàng đã tồn tại: ${order.OrderNumber}`);
    const kind = orderKind(order);
    if (!kind) return refuse(REFUSAL.invalid, variant === 'lgsp' ? 'Dữ liệu không hợp lệ: FlagConfig phải là 1 hoặc 2' : 'Dữ liệu không hợp lệ: Description không nói rõ thu gom hay chuyển trả');
    const itemCode = variant === 'lgsp' ? (order.ItemCode ?? '') : s10ItemCode();
    const simulated: SimulatedOrder = { order, kind, itemCode, events: [], step: 0, lastCode: '' };
    sim.orders.set(order.OrderNumber, simulated);
    record(simulated, '100');
    // lgsp: 101 says the pre-allocated item code was registered; direct: the code the operator allocated.
    return variant === 'lgsp' ? ok({ ItemCode: itemCode }, '101') : ok({ ItemCode: itemCode });
  }

  function orderProblem(body: Record<string, unknown>): string | undefined {
    if (typeof body.CODAmount !== 'number' || !Number.isInteger(body.CODAmount) || body.CODAmount < 0) return 'CODAmount phải là số nguyên không âm';
    for (const field of INTEGER_FIELDS) if (!Number.isInteger(body[field])) return `${field} phải là số nguyên`;
    // Gson writes an absent Integer as null (the SDK serialises nulls); leaving it out is the same.
    for (const field of OPTIONAL_INTEGER_FIELDS) if (body[field] !== undefined && body[field] !== null && !Number.isInteger(body[field])) return `${field} phải là số nguyên`;
    if (variant === 'lgsp') {
      if (typeof body.ItemCode !== 'string' || body.ItemCode === '') return 'thiếu ItemCode';
    }
    return undefined;
  }

  /** Pickup or delivery, by FlagConfig (lgsp) or the Description's opening words (direct); undefined when neither says. */
  function orderKind(order: ReceivedOrder): 'pickup' | 'delivery' | undefined {
    if (variant === 'lgsp') return typeof order.FlagConfig === 'string' ? KIND_FLAG[order.FlagConfig] : undefined;
    return KIND_WORDS.find(([words]) => order.Description.startsWith(words))?.[1];
  }

  function cancel(body: Record<string, unknown>): Answer {
    if (body.CustomerCode !== opts.customerCode) return refuse(REFUSAL.customer, 'Mã khách hàng không đúng');
    const order = typeof body.OrderNumber === 'string' ? sim.orders.get(body.OrderNumber) : undefined;
    if (!order) return refuse(REFUSAL.notFound, `Không tìm thấy đơn hàng: ${String(body.OrderNumber)}`);
    // Cancelling twice is not an error: a retried cancel must not be refused.
    if (order.lastCode === '102') return ok();
    if (!CANCELLABLE_CODES.has(order.lastCode)) return refuse(REFUSAL.notCancellable, `Không thể hủy đơn hàng đã thu gom: ${order.order.OrderNumber}`);
    record(order, '102');
    return ok();
  }

  /**
   * IOrder.getOrderTracking: `GET ?pagesize=&lastId=`, answered with MStatus, a page of the feed after
   * the document lastId. The SDK sends no order number; OrderNumber, when given, narrows the page.
   */
  function track(query: URLSearchParams): Answer {
    const pageSize = Number(query.get('pagesize') || DEFAULT_PAGE_SIZE);
    const lastId = (query.get('lastId') ?? '').toLowerCase();
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) return { status: 400, body: { message: `pagesize phải từ 1 đến ${MAX_PAGE_SIZE}` } };
    if (lastId !== '' && !OID.test(lastId)) return { status: 400, body: { message: 'lastId không hợp lệ' } };
    const orderNumber = query.get('OrderNumber');
    const docs = feed.filter((d) => (d._id?.$oid ?? '') > lastId && (orderNumber === null || d.OrderNumber === orderNumber)).slice(0, pageSize);
    const total = orderNumber === null ? feed.length : feed.filter((d) => d.OrderNumber === orderNumber).length;
    return { status: 200, body: { _embedded: { 'rh:doc': docs }, _returned: docs.length, _size: total, _total_pages: Math.ceil(total / pageSize) } };
  }

  // --- HTTP --------------------------------------------------------------------------------------

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) sendJson(res, { status: 500, body: { Status: '500', Message: 'Lỗi hệ thống' } });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://simulator');
    if (url.pathname.startsWith('/__simulator/')) return control(req, res, url.pathname);
    const raw = await readBody(req, MAX_BODY_BYTES);
    await faults.wait('delayMs');
    const route = `${req.method ?? ''} ${url.pathname}`;
    const body = parseObject(raw.toString('utf8'));
    const answer = route === 'POST /token' ? token(req, raw) : api(req, route, url, body);
    const header = req.headers['x-jws-signature'];
    const call: SimulatorCall = {
      method: req.method ?? '',
      path: url.pathname,
      auth: authKind(req),
      answer: answer.status === 200 && typeof answer.body.Status === 'string' ? answer.body.Status : `http-${answer.status}`,
      signature: { header: typeof header === 'string' ? header : undefined, body: raw },
    };
    const orderNumber = body?.OrderNumber ?? url.searchParams.get('OrderNumber');
    if (typeof orderNumber === 'string') call.orderNumber = orderNumber;
    if (typeof req.headers.traceparent === 'string') call.traceparent = req.headers.traceparent;
    sim.calls.push(call);
    sendJson(res, answer);
  }

  function api(req: IncomingMessage, route: string, url: URL, body: Record<string, unknown> | undefined): Answer {
    const handler = route === 'POST /api/order/post' ? create : route === 'POST /api/order/cancel' ? cancel : route === 'GET /api/order' ? () => track(url.searchParams) : undefined;
    if (!handler) return { status: 404, body: { Status: '404', Message: 'Không tìm thấy' } };
    if (faults.take('failNextCalls')) return { status: 500, body: { Status: '500', Message: 'Lỗi hệ thống' } };
    const presented = presentedToken(req);
    const expiry = presented === undefined ? undefined : tokens.get(presented);
    if (presented === undefined || expiry === undefined || expiry < Date.now()) return { status: 401, body: { Status: '401', Message: 'Token không hợp lệ hoặc đã hết hạn' } };
    if (faults.take('rejectTokens')) {
      tokens.delete(presented);
      return { status: 401, body: { Status: '401', Message: 'Token không hợp lệ hoặc đã hết hạn' } };
    }
    if (route !== 'GET /api/order' && !body) return refuse(REFUSAL.invalid, 'JSON không hợp lệ');
    return handler(body ?? {});
  }

  /** direct: `Authorization: Bearer`; lgsp: the `access_token` header. The other style is not read. */
  function presentedToken(req: IncomingMessage): string | undefined {
    if (variant === 'lgsp') return typeof req.headers.access_token === 'string' ? req.headers.access_token : undefined;
    const [scheme, value] = (req.headers.authorization ?? '').split(' ');
    return scheme?.toLowerCase() === 'bearer' && value ? value : undefined;
  }

  async function control(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (req.method === 'GET' && path === '/__simulator/state') {
      return sendJson(res, {
        status: 200,
        body: {
          variant,
          orders: [...sim.orders.values()].map((o) => ({ orderNumber: o.order.OrderNumber, itemCode: o.itemCode, kind: o.kind, lastCode: o.lastCode, events: o.events.length })),
          tokens: tokens.size,
          pushes: sim.pushes.length,
          faults: faults.current,
          lastCalls: sim.calls.slice(-20).map(({ signature, ...call }) => ({ ...call, signed: signature.header !== undefined })),
        },
      });
    }
    const switched = path === '/__simulator/faults' && faults.control(req.method, parseObject((await readBody(req, MAX_BODY_BYTES)).toString('utf8')));
    if (switched) return sendJson(res, switched);
    if (req.method === 'POST' && path === '/__simulator/advance') {
      const body = parseObject((await readBody(req, MAX_BODY_BYTES)).toString('utf8'));
      await sim.advance(typeof body?.orderNumber === 'string' ? body.orderNumber : undefined);
      return sendJson(res, { status: 200, body: { orders: sim.orders.size } });
    }
    return sendJson(res, { status: 404, body: { error: 'unknown simulator route' } });
  }

  const { origin } = await listen(server, opts.port, opts.host);
  sim.url = `${origin}/api`;
  sim.tokenUrl = `${origin}/token`;
  const clock = opts.stepMs ? setInterval(() => void sim.advance(), opts.stepMs) : undefined;
  clock?.unref();
  sim.close = async () => {
    clearInterval(clock);
    await Promise.all(inFlightPushes);
    await closeServer(server);
  };
  return sim;
}

/** A UPU S10 item code (EL 12345678 C VN) with its check digit, as the operator allocates them. */
function s10ItemCode(): string {
  const serial = String(randomInt(0, 100_000_000)).padStart(8, '0');
  const sum = [...serial].reduce((acc, digit, i) => acc + Number(digit) * ([8, 6, 4, 2, 3, 5, 9, 7][i] ?? 0), 0);
  const check = 11 - (sum % 11);
  return `EL${serial}${check === 10 ? 0 : check === 11 ? 5 : check}VN`;
}

function authKind(req: IncomingMessage): SimulatorCall['auth'] {
  if (typeof req.headers.access_token === 'string') return 'access_token';
  const scheme = (req.headers.authorization ?? '').split(' ')[0]?.toLowerCase();
  return scheme === 'bearer' ? 'bearer' : scheme === 'basic' ? 'basic' : 'none';
}
