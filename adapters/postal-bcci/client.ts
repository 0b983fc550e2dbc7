// The VNPost order API client: the OAuth2 client-credentials token, create, cancel and track.
// It never throws for what the operator or the network does; it answers with a kind whose
// messages are sanitised, because they end up stored with deliveries and shown in the API.
import { Agent } from 'undici';
import { sanitizePortalMessage } from '../national-portal/client.js';
import { fromVnpostEvent, toVnpostOrder } from './translate.js';
import type { VnpostCancel, VnpostVariant } from './wire.js';
import type { CallOptions, CreateAnswer, IncomingReport, OrderAnswer, OrderRequest, PostalOperator, TrackAnswer } from '../../src/postal/operator.js';
import { parseObject } from '../../src/core/json-object.js';
import { requestText, type Unavailable } from '../../src/core/http-outcome.js';
import { OAuthTokenCache } from '../shared/oauth-token-cache.js';
import { FIRST_LAST_ID, isNgspPage, readEventsPage, readNgspPage, type TrackPage } from './tracking.js';

export interface VnpostClientOptions {
  /** The order API base: `{base}/order/post`, `{base}/order/cancel`, `{base}/order`. */
  baseUrl: string;
  tokenUrl: string;
  consumerKey: string;
  consumerSecret: string;
  customerCode: string;
  variant: VnpostVariant;
  /** Per request, for headers and for body. Default 30 s. */
  timeoutMs?: number;
  /** Signs each request body (the empty body of a GET too); the answer goes in `x-jws-signature`. */
  sign?: (body: Buffer) => string;
  /** lgsp variant, required there: the next item code of the range the operator allocated to the province. */
  itemCodes?: () => string;
  /** Events asked per track page. Default 50; keep it at or under the operator's maximum. */
  pageSize?: number;
}

/** The `Status` values that mean success, by variant (README.md: the direct one is the simulator's convention). */
export const SUCCESS_STATUSES: Record<VnpostVariant, readonly string[]> = { direct: ['00'], lgsp: ['100', '101'] };

/** A track that needs more pages than this is an operator whose paging does not end. */
const MAX_PAGES = 100;

type RawAnswer = { kind: 'answer'; status: number; body: Record<string, unknown> } | Unavailable;
/** `attempted`: whether the request reached the network (a token failure stops it before). */
type AuthorisedAnswer = { raw: RawAnswer; attempted: boolean };

interface Redaction {
  secrets: string[];
  keep: string[];
}

interface Request {
  url: URL;
  method: 'GET' | 'POST';
  body: Buffer;
  headers: Record<string, string>;
}

export class VnpostClient implements PostalOperator {
  readonly #agent = new Agent();
  readonly #base: URL;
  readonly #opts: VnpostClientOptions;
  readonly #timeoutMs: number;
  readonly #pageSize: number;
  readonly #tokens: OAuthTokenCache<CallOptions>;

  constructor(opts: VnpostClientOptions) {
    if (opts.variant === 'lgsp' && !opts.itemCodes) throw new TypeError('the lgsp variant needs itemCodes: the province pre-allocates item codes');
    this.#opts = opts;
    this.#base = new URL(opts.baseUrl.replace(/\/+$/, ''));
    this.#tokens = new OAuthTokenCache({ tokenUrl: opts.tokenUrl, clientId: opts.consumerKey, clientSecret: opts.consumerSecret }, (url, body, headers, call) =>
      this.#send({ url, method: 'POST', body, headers }, call),
    );
    this.#timeoutMs = opts.timeoutMs ?? 30_000;
    this.#pageSize = opts.pageSize ?? 50;
  }

  async createOrder(request: OrderRequest, call: CallOptions = {}): Promise<CreateAnswer> {
    // A retried create keeps its item code, so that the operator sees the same order again.
    const itemCode = this.#opts.variant === 'lgsp' ? (request.itemCode ?? this.#opts.itemCodes?.()) : undefined;
    const order = toVnpostOrder(request, { customerCode: this.#opts.customerCode, variant: this.#opts.variant, ...(itemCode ? { itemCode } : {}) });
    const bytes = Buffer.from(JSON.stringify(order));
    const redaction = this.#redaction([order.OrderNumber, request.dossierCode], [request.sender, request.receiver].flatMap((p) => [p.name, p.phone, p.email ?? '', p.address.line]));
    const { raw, attempted } = await this.#authorised('POST', this.#path('/order/post'), bytes, redaction, call);
    const answer = this.#classify(raw, redaction);
    const sent = attempted ? { sent: bytes } : {};
    if (answer.kind !== 'ok') return { ...answer, ...sent };
    const allocated = raw.kind === 'answer' && typeof raw.body.ItemCode === 'string' && raw.body.ItemCode !== '' ? raw.body.ItemCode : itemCode;
    return { kind: 'ok', ...(allocated ? { itemCode: allocated } : {}), ...sent };
  }

  async cancelOrder(orderNumber: string, call: CallOptions = {}): Promise<OrderAnswer> {
    const body: VnpostCancel = { CustomerCode: this.#opts.customerCode, OrderNumber: orderNumber };
    const redaction = this.#redaction([orderNumber], []);
    const { raw } = await this.#authorised('POST', this.#path('/order/cancel'), Buffer.from(JSON.stringify(body)), redaction, call);
    return this.#classify(raw, redaction);
  }

  /**
   * GET {base}/order?CustomerCode=&OrderNumber=&pagesize=&lastId= : the SDK sends pagesize and lastId
   * only; CustomerCode and OrderNumber let a server narrow the feed, and the order's records are
   * picked out of the page here either way.
   */
  async track(orderNumber: string, call: CallOptions = {}): Promise<TrackAnswer> {
    const redaction = this.#redaction([orderNumber], []);
    const events: IncomingReport[] = [];
    let ignored = 0;
    let itemCode: string | undefined;
    let lastId = FIRST_LAST_ID;
    for (let page = 0; page < MAX_PAGES; page++) {
      const query = new URLSearchParams({ CustomerCode: this.#opts.customerCode, OrderNumber: orderNumber, pagesize: String(this.#pageSize), lastId });
      const { raw } = await this.#authorised('GET', `${this.#path('/order')}?${query.toString()}`, Buffer.alloc(0), redaction, call);
      const read = this.#trackPage(raw, orderNumber, redaction);
      if (read.kind === 'unavailable') return read;
      itemCode ??= read.page.itemCode;
      for (const event of read.page.events) {
        const report = fromVnpostEvent(event);
        if (report) events.push(report);
        else ignored += 1;
      }
      if (read.page.size < this.#pageSize) return { kind: 'ok', ...(itemCode ? { itemCode } : {}), events, ignored };
      const next = read.page.lastId;
      if (next === undefined || next === lastId) return { kind: 'unavailable', reason: 'track paging did not advance (no new lastId)' };
      lastId = next;
    }
    return { kind: 'unavailable', reason: `track needed more than ${MAX_PAGES} pages` };
  }

  #trackPage(raw: RawAnswer, orderNumber: string, redaction: Redaction): { kind: 'page'; page: TrackPage } | Unavailable {
    // The SDK's answer carries no Status: a 2xx in its shape is the page.
    if (raw.kind === 'answer' && raw.status < 300 && isNgspPage(raw.body)) {
      const page = readNgspPage(raw.body, orderNumber);
      return page ? { kind: 'page', page } : { kind: 'unavailable', reason: 'track answer with an unreadable _embedded' };
    }
    const answer = this.#classify(raw, redaction);
    if (answer.kind === 'unavailable') return answer;
    // Tracking an order the operator refuses to show is not a verdict on the shipment: poll again later.
    if (answer.kind === 'refused') return { kind: 'unavailable', reason: `track refused (Status ${answer.code}): ${answer.message}` };
    const page = readEventsPage((raw as Extract<RawAnswer, { kind: 'answer' }>).body);
    return page ? { kind: 'page', page } : { kind: 'unavailable', reason: 'track answer without _embedded."rh:doc" or Events' };
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }

  // --- requests -------------------------------------------------------------------------------

  /** One request with the token; after a 401, one new token and the same request again. */
  async #authorised(method: 'GET' | 'POST', path: string, body: Buffer, redaction: Redaction, call: CallOptions): Promise<AuthorisedAnswer> {
    let attempted = false;
    for (let attempt = 0; attempt < 2; attempt++) {
      const token = await this.#tokens.current(call);
      if (typeof token !== 'string') return { raw: token, attempted };
      redaction.secrets.push(token);
      const headers: Record<string, string> =
        this.#opts.variant === 'lgsp' ? { access_token: token } : { authorization: `Bearer ${token}` };
      if (method === 'POST') headers['content-type'] = 'application/json; charset=utf-8';
      attempted = true;
      const raw = await this.#send({ url: new URL(path, this.#base), method, body, headers }, call);
      if (raw.kind === 'unavailable' || raw.status !== 401) return { raw, attempted };
      this.#tokens.forget(token);
    }
    return { raw: { kind: 'unavailable', reason: 'the operator refused a freshly issued token (HTTP 401)' }, attempted };
  }

  async #send(request: Request, call: CallOptions): Promise<RawAnswer> {
    const headers: Record<string, string> = { accept: 'application/json', ...request.headers };
    if (this.#opts.sign) headers['x-jws-signature'] = this.#opts.sign(request.body);
    if (call.traceparent) headers.traceparent = call.traceparent;
    const answer = await requestText(this.#agent, {
      origin: request.url.origin,
      path: request.url.pathname + request.url.search,
      method: request.method,
      headers,
      ...(request.method === 'POST' ? { body: request.body } : {}),
      headersTimeout: this.#timeoutMs,
      bodyTimeout: this.#timeoutMs,
    });
    if (answer.kind === 'unavailable') return answer;
    const { status, text } = answer;
    // A 404 means a wrong base URL or an operator being redeployed, never a bad order.
    if (status === 404) return { kind: 'unavailable', reason: 'HTTP 404 (check the operator URLs)' };
    const body = parseObject(text);
    if (body) return { kind: 'answer', status, body };
    if (status === 401 || status === 400) return { kind: 'answer', status, body: {} };
    return { kind: 'unavailable', reason: `unparseable answer (HTTP ${status})` };
  }

  #classify(raw: RawAnswer, redaction: Redaction): OrderAnswer {
    if (raw.kind === 'unavailable') return raw;
    const code = codeText(raw.body.Status);
    const message = sanitizePortalMessage(raw.body.Message ?? raw.body.message, redaction);
    if (raw.status >= 400) return { kind: 'refused', code: code ?? `http-${raw.status}`, message };
    if (code === undefined) return { kind: 'unavailable', reason: 'answer without Status' };
    if (SUCCESS_STATUSES[this.#opts.variant].some((ok) => ok === code || sameNumber(ok, code))) return { kind: 'ok' };
    return { kind: 'refused', code, message };
  }

  #path(suffix: string): string {
    return this.#base.pathname.replace(/\/+$/, '') + suffix;
  }

  #redaction(keep: string[], personal: string[]): Redaction {
    return { secrets: [this.#opts.consumerSecret, ...personal], keep };
  }
}

/** The SDK types Status as an Integer (MResult): 0 is how such a server writes '00'. */
function sameNumber(a: string, b: string): boolean {
  return /^\d+$/.test(a) && /^\d+$/.test(b) && Number(a) === Number(b);
}

function codeText(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  return undefined;
}
