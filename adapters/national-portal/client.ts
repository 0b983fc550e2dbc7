// The national portal client: session login, the flat integration call, and the reading of answers.
// It never throws for what the portal or the network does; it answers with a PortalAnswer whose
// messages are sanitised, because they end up stored with deliveries and shown in the API.
import { Pool } from 'undici';
import type { PortalCatalogueItem, PortalCatalogueService, PortalIntegrationRequest, PortalService, PortalSharingRequest } from './wire.js';
import { isObject, parseObject } from '../../src/core/json-object.js';
import { requestText } from '../../src/core/http-outcome.js';

export interface PortalAccount {
  /** madonvi: the agency code the portal knows this one-stop system by. */
  agencyCode: string;
  username: string;
  password: string;
}

export type PortalAnswer =
  | { kind: 'ok' }
  | { kind: 'already-exists'; errorCode: string; message: string }
  | { kind: 'refused'; errorCode: string; message: string }
  | { kind: 'unavailable'; reason: string; /** The portal's Retry-After, when it sent one. */ retryAfterMs?: number };

export interface NationalPortalClientOptions {
  baseUrl: string;
  /** Default '/login'. */
  loginPath?: string;
  /** Default '/integration'. */
  integrationPath?: string;
  /** Default '/sharing': where the catalogues are read. */
  sharingPath?: string;
  /** The NGSP destination code sent as the `dstcode` header. Default 'DVCQG'; set it per deployment. */
  dstcode?: string;
  /** Per request, for headers and for body. Default 30 s. */
  timeoutMs?: number;
  /** Signs each request body; the answer goes in the `X-JWS-Signature` header. */
  sign?: (body: Buffer) => string;
}

export interface PortalSendBody {
  service: PortalService;
  /** DongBoHoSoMC: false (the default) creates, true updates. Not sent for progress unless given. */
  isUpdating?: boolean;
  data: readonly unknown[];
}

/** Per call: the W3C traceparent of the work the call belongs to, sent on each of its requests. */
export interface CallOptions {
  traceparent?: string;
}

type Unavailable = Extract<PortalAnswer, { kind: 'unavailable' }>;
/** An integration body before the session and madonvi are added. */
type IntegrationCall = Omit<PortalIntegrationRequest, 'session' | 'madonvi'>;
type SharingCall = Omit<PortalSharingRequest, 'session' | 'madonvi'>;
type RawAnswer = { kind: 'answer'; status: number; body: Record<string, unknown> } | Unavailable;

/** What must never leave the client in a message: secrets and the personal values of the request. */
interface Redaction {
  secrets: string[];
  /** Dossier codes are not personal data and make an error useful, so they survive the digit masks. */
  keep: string[];
}

export const DEFAULT_DSTCODE = 'DVCQG';
const MAX_MESSAGE_LENGTH = 200;

export class NationalPortalClient {
  readonly #pool: Pool;
  readonly #basePath: string;
  readonly #loginPath: string;
  readonly #integrationPath: string;
  readonly #sharingPath: string;
  readonly #dstcode: string;
  readonly #timeoutMs: number;
  readonly #sign: ((body: Buffer) => string) | undefined;
  /** One pending-or-settled login per account, so that concurrent sends share a single login. */
  readonly #sessions = new Map<string, Promise<string | Unavailable>>();

  constructor(opts: NationalPortalClientOptions) {
    const base = new URL(opts.baseUrl);
    this.#pool = new Pool(base.origin);
    this.#basePath = base.pathname.replace(/\/+$/, '');
    this.#loginPath = opts.loginPath ?? '/login';
    this.#integrationPath = opts.integrationPath ?? '/integration';
    this.#sharingPath = opts.sharingPath ?? '/sharing';
    this.#dstcode = opts.dstcode ?? DEFAULT_DSTCODE;
    this.#timeoutMs = opts.timeoutMs ?? 30_000;
    this.#sign = opts.sign;
  }

  async send(account: PortalAccount, body: PortalSendBody, call: CallOptions = {}): Promise<PortalAnswer> {
    const isUpdating = body.isUpdating ?? (body.service === 'DongBoHoSoMC' ? false : undefined);
    const request: IntegrationCall = { service: body.service };
    if (isUpdating !== undefined) request.isUpdating = isUpdating ? 'True' : 'False';
    request.data = body.data;
    const redaction = redactionFor(account, body.data);
    const raw = await this.#callWithSession(account, request, redaction, call);
    return raw.kind === 'unavailable' ? raw : classify(raw, redaction);
  }

  /** Whether the portal already has this dossier (TraCuuHoSo). Throws, with a sanitised reason, when it cannot tell. */
  async dossierExists(account: PortalAccount, code: string, call: CallOptions = {}): Promise<boolean> {
    const redaction: Redaction = { secrets: [account.password], keep: [code] };
    const raw = await this.#callWithSession(account, { service: 'TraCuuHoSo', MaHoSo: code }, redaction, call);
    if (raw.kind === 'unavailable') throw new Error(`national portal unavailable: ${raw.reason}`);
    const answer = classify(raw, redaction);
    if (answer.kind !== 'ok') throw new Error(`national portal lookup failed: ${describe(answer)}`);
    return Array.isArray(raw.body.result) && raw.body.result.length > 0;
  }

  /** One catalogue from the sharing endpoint (LayThuTuc needs `maTTHC`). Throws, with a sanitised reason, when the portal does not answer it. */
  async catalogue(account: PortalAccount, service: PortalCatalogueService, params: { maTTHC?: string } = {}): Promise<PortalCatalogueItem[]> {
    const redaction: Redaction = { secrets: [account.password], keep: params.maTTHC ? [params.maTTHC] : [] };
    const raw = await this.#callWithSession(account, { service, ...params } satisfies SharingCall, redaction, {}, this.#sharingPath);
    if (raw.kind === 'unavailable') throw new Error(`national portal unavailable: ${raw.reason}`);
    const answer = classify(raw, redaction);
    if (answer.kind !== 'ok') throw new Error(`national portal refused ${service}: ${describe(answer)}`);
    const result = raw.body.result;
    if (!Array.isArray(result) || !result.every(isObject)) throw new Error(`national portal answered ${service} without a result list`);
    return result;
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }

  async #callWithSession(account: PortalAccount, request: IntegrationCall | SharingCall, redaction: Redaction, call: CallOptions, path = this.#integrationPath): Promise<RawAnswer> {
    // One fresh login is allowed per call: a second refusal of a brand-new session is not a session problem.
    for (let attempt = 0; attempt < 2; attempt++) {
      const session = await this.#session(account, redaction, call);
      if (typeof session !== 'string') return session;
      redaction.secrets.push(session);
      const raw = await this.#post(path, { session, madonvi: account.agencyCode, ...request }, call);
      if (raw.kind === 'unavailable' || !isSessionRejected(raw)) return raw;
      await this.#forget(account, session);
    }
    return { kind: 'unavailable', reason: 'the portal rejected a freshly issued session' };
  }

  #session(account: PortalAccount, redaction: Redaction, call: CallOptions): Promise<string | Unavailable> {
    const key = sessionKey(account);
    let pending = this.#sessions.get(key);
    if (!pending) {
      pending = this.#login(account, redaction, call);
      this.#sessions.set(key, pending);
      // A failed login is not cached: the next send tries again.
      void pending.then((s) => {
        if (typeof s !== 'string' && this.#sessions.get(key) === pending) this.#sessions.delete(key);
      });
    }
    return pending;
  }

  async #forget(account: PortalAccount, session: string): Promise<void> {
    const key = sessionKey(account);
    const cached = this.#sessions.get(key);
    // Another caller may already have replaced it with a newer session; keep that one.
    if (cached && (await cached) === session && this.#sessions.get(key) === cached) this.#sessions.delete(key);
  }

  async #login(account: PortalAccount, redaction: Redaction, call: CallOptions): Promise<string | Unavailable> {
    const raw = await this.#post(this.#loginPath, { username: account.username, password: account.password }, call);
    if (raw.kind === 'unavailable') return raw;
    const session = raw.body.session;
    if (raw.status < 300 && isSuccessCode(raw.body.error_code) && typeof session === 'string' && session !== '') return session;
    // A refused login is a configuration problem, not a fault of the dossiers: they wait and retry.
    const code = codeText(raw.body.error_code) ?? `http-${raw.status}`;
    return { kind: 'unavailable', reason: `login refused (error_code ${code}): ${sanitizePortalMessage(raw.body.message, redaction)}` };
  }

  async #post(path: string, json: object, call: CallOptions): Promise<RawAnswer> {
    const bytes = Buffer.from(JSON.stringify(json));
    const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', accept: 'application/json', dstcode: this.#dstcode };
    if (this.#sign) headers['x-jws-signature'] = this.#sign(bytes);
    if (call.traceparent) headers.traceparent = call.traceparent;
    const answer = await requestText(this.#pool, {
      path: this.#basePath + path,
      method: 'POST',
      headers,
      body: bytes,
      headersTimeout: this.#timeoutMs,
      bodyTimeout: this.#timeoutMs,
    });
    if (answer.kind === 'unavailable') return answer;
    const { status, text } = answer;
    // A 404 means a wrong path or a portal being redeployed, never a bad dossier.
    if (status === 404) return { kind: 'unavailable', reason: 'HTTP 404 (check the portal paths)' };
    const body = parseObject(text);
    if (body) return { kind: 'answer', status, body };
    if (status === 401) return { kind: 'answer', status, body: {} };
    return { kind: 'unavailable', reason: `unparseable answer (HTTP ${status})` };
  }
}

/** How a portal answer reads. Only called for HTTP statuses that carry a verdict (2xx and 4xx). */
function classify(raw: Extract<RawAnswer, { kind: 'answer' }>, redaction: Redaction): PortalAnswer {
  const code = codeText(raw.body.error_code);
  if (raw.status < 400 && code !== undefined && isSuccessCode(code)) return { kind: 'ok' };
  // Masking runs a pattern per personal value of the call: only for an answer that keeps its message.
  const message = sanitizePortalMessage(raw.body.message, redaction);
  if (raw.status >= 400) return { kind: 'refused', errorCode: code ?? `http-${raw.status}`, message };
  if (code === undefined) return { kind: 'unavailable', reason: 'answer without error_code' };
  if ((code === '3' || code === '-3') && foldText(String(raw.body.message ?? '')).includes('da ton tai')) {
    return { kind: 'already-exists', errorCode: code, message };
  }
  return { kind: 'refused', errorCode: code, message };
}

// "Session không hợp lệ", "phiên làm việc đã hết hạn", "invalid session": the session word and the
// verdict close together, so that a validation message which merely quotes a request does not match.
const SESSION_REJECTED = /\b(session|phien)\b.{0,30}?\b(het han|khong hop le|expired|invalid)\b|\b(expired|invalid) session\b/;

function isSessionRejected(raw: Extract<RawAnswer, { kind: 'answer' }>): boolean {
  if (raw.status === 401) return true;
  return !isSuccessCode(raw.body.error_code) && SESSION_REJECTED.test(foldText(String(raw.body.message ?? '')));
}

function isSuccessCode(value: unknown): boolean {
  const code = codeText(value);
  return code === '0' || code === '00';
}

function codeText(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  return undefined;
}

function describe(answer: Exclude<PortalAnswer, { kind: 'ok' }>): string {
  return answer.kind === 'unavailable' ? answer.reason : `error_code ${answer.errorCode}: ${answer.message}`;
}

/** Lower case, without Vietnamese diacritics, so that "ĐÃ TỒN TẠI" and "da ton tai" compare equal. */
export function foldText(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').replace(/đ/g, 'd').replace(/Đ/g, 'D').toLowerCase();
}

// Values of these wire fields are personal data; if the portal echoes them back, they are masked.
const PERSONAL_FIELDS = ['ChuHoSo', 'SoDienThoai', 'Fax', 'SoGiayToChuHoSo', 'Email', 'MaDoiTuong', 'NguoiXuLy'] as const;

function redactionFor(account: PortalAccount, data: readonly unknown[]): Redaction {
  const secrets = [account.password];
  const keep: string[] = [];
  for (const item of data) {
    if (!isObject(item)) continue;
    if (typeof item.MaHoSo === 'string') keep.push(item.MaHoSo);
    for (const field of PERSONAL_FIELDS) {
      const value = item[field];
      if (typeof value === 'string') secrets.push(value);
    }
    if (Array.isArray(item.DinhDanhCHS)) {
      for (const id of item.DinhDanhCHS) if (isObject(id) && typeof id.SoDinhDanh === 'string') secrets.push(id.SoDinhDanh);
    }
  }
  return { secrets, keep };
}

/**
 * A portal message made safe to store and show: known secrets and personal values of the request
 * masked, then anything that looks like an email address, a long number (ID, phone) or a token,
 * control characters removed, at most 200 characters. Dossier codes of the request are kept.
 */
export function sanitizePortalMessage(message: unknown, redaction: { secrets?: string[]; keep?: string[] } = {}): string {
  let text = typeof message === 'string' ? message : message === undefined || message === null ? '' : JSON.stringify(message);
  for (const secret of redaction.secrets ?? []) {
    // Very short values ("1", "An") would mask ordinary words; they carry no identity on their own.
    if (secret.trim().length >= 3) text = text.replace(new RegExp(escapeRegExp(secret.trim()), 'giu'), '[redacted]');
  }
  const keep = (redaction.keep ?? []).filter((k) => k !== '').sort((a, b) => b.length - a.length);
  const pieces = keep.length === 0 ? [text] : text.split(new RegExp(`(${keep.map(escapeRegExp).join('|')})`, 'u'));
  // split() with a capturing group puts the kept codes at odd indexes.
  text = pieces.map((piece, i) => (i % 2 === 1 ? piece : maskPatterns(piece))).join('');
  text = text.replace(/[\p{Cc}\p{Cf}]+/gu, ' ').trim();
  return text.length > MAX_MESSAGE_LENGTH ? `${text.slice(0, MAX_MESSAGE_LENGTH - 1)}…` : text;
}

function maskPatterns(text: string): string {
  return text
    .replace(/[^\s@"'<>(),;:]+@[^\s@"'<>(),;:]+/gu, '[email]')
    .replace(/[A-Za-z0-9_\-+/=.]{32,}/g, '[token]')
    .replace(/\+?\d(?:[\s.\-]?\d){5,}/g, '[number]');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function sessionKey(account: PortalAccount): string {
  return `${account.agencyCode}\u0000${account.username}`;
}
