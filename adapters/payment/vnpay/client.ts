// The HTTP side of VNPay's merchant API: querydr (JSON, pipe-signed both ways) and the statement.
// It never throws for what VNPay or the network does: every failure is `unavailable` with a reason
// that quotes neither the secret nor the payer.
import { randomBytes } from 'node:crypto';
import { Agent } from 'undici';
import { toVnpDate } from './dates.js';
import { pipeHash, verifyPipe } from './secure-hash.js';
import { QUERY_REQUEST_HASHED, QUERY_RESPONSE, QUERY_RESPONSE_HASHED } from './wire.js';
import { requestText, type TextAnswer, type Unavailable } from '../../../src/core/http-outcome.js';

export interface VnpayClientOptions {
  /** querydr: `https://…/merchant_webapi/api/transaction`. */
  apiUrl: string;
  /** The statement endpoint (README.md: the simulator's format). */
  statementUrl?: string | undefined;
  tmnCode: string;
  hashSecret: string;
  version: string;
  /** The merchant server's address, which querydr asks for. */
  serverIp: string;
  /** Per request, for headers and for body. */
  timeoutMs: number;
}

export interface QueryDrRequest {
  txnRef: string;
  /** The vnp_CreateDate the payment was created with. */
  transactionDate: string;
}

/** A verified querydr answer; `found: false` when VNPay has no such transaction (code 91). */
export type QueryDrAnswer = { kind: 'answer'; found: true; fields: Record<string, string> } | { kind: 'answer'; found: false } | Unavailable;

export type StatementText = { kind: 'csv'; text: string } | Unavailable;

export class VnpayClient {
  readonly #agent = new Agent();
  readonly #opts: VnpayClientOptions;

  constructor(opts: VnpayClientOptions) {
    this.#opts = opts;
  }

  async queryDr(request: QueryDrRequest): Promise<QueryDrAnswer> {
    const body: Record<string, string> = {
      // Unique per request and day; 32 hex characters is the documented maximum length.
      vnp_RequestId: randomBytes(16).toString('hex'),
      vnp_Version: this.#opts.version,
      vnp_Command: 'querydr',
      vnp_TmnCode: this.#opts.tmnCode,
      vnp_TxnRef: request.txnRef,
      vnp_TransactionDate: request.transactionDate,
      vnp_CreateDate: toVnpDate(new Date()),
      vnp_IpAddr: this.#opts.serverIp,
      vnp_OrderInfo: `Truy van giao dich ${request.txnRef}`,
    };
    body.vnp_SecureHash = pipeHash(QUERY_REQUEST_HASHED.map((f) => body[f]), this.#opts.hashSecret);
    const raw = await this.#send(new URL(this.#opts.apiUrl), 'POST', Buffer.from(JSON.stringify(body)));
    if (raw.kind === 'unavailable') return raw;
    const fields = parseFields(raw.text);
    if (!fields) return { kind: 'unavailable', reason: `querydr: unparseable answer (HTTP ${raw.status})` };
    const code = fields.vnp_ResponseCode;
    const hash = fields.vnp_SecureHash;
    // A signed answer must carry our hash; VNPay may leave an error answer unsigned.
    if (hash !== undefined && !verifyPipe(QUERY_RESPONSE_HASHED.map((f) => fields[f]), hash, this.#opts.hashSecret)) {
      return { kind: 'unavailable', reason: 'querydr: answer signature invalid' };
    }
    if (code === QUERY_RESPONSE.notFound) return { kind: 'answer', found: false };
    if (code !== QUERY_RESPONSE.ok) return { kind: 'unavailable', reason: `querydr refused (vnp_ResponseCode ${code ?? 'absent'})` };
    if (hash === undefined) return { kind: 'unavailable', reason: 'querydr: answer not signed' };
    if (fields.vnp_TxnRef !== request.txnRef || fields.vnp_TmnCode !== this.#opts.tmnCode) {
      return { kind: 'unavailable', reason: 'querydr: answer about another transaction' };
    }
    return { kind: 'answer', found: true, fields };
  }

  /** The CSV of a day (`yyyyMMdd`), the request signed over `vnp_TmnCode|vnp_Date`. */
  async statement(vnpDay: string): Promise<StatementText> {
    if (!this.#opts.statementUrl) return { kind: 'unavailable', reason: 'no statement URL configured' };
    const url = new URL(this.#opts.statementUrl);
    url.searchParams.set('vnp_TmnCode', this.#opts.tmnCode);
    url.searchParams.set('vnp_Date', vnpDay);
    url.searchParams.set('vnp_SecureHash', pipeHash([this.#opts.tmnCode, vnpDay], this.#opts.hashSecret));
    const raw = await this.#send(url, 'GET', undefined);
    if (raw.kind === 'unavailable') return raw;
    if (raw.status !== 200) return { kind: 'unavailable', reason: `statement: HTTP ${raw.status}` };
    return { kind: 'csv', text: raw.text };
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }

  async #send(url: URL, method: 'GET' | 'POST', body: Buffer | undefined): Promise<TextAnswer | Unavailable> {
    const answer = await requestText(this.#agent, {
      origin: url.origin,
      path: url.pathname + url.search,
      method,
      headers: { accept: method === 'POST' ? 'application/json' : 'text/csv', ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body } : {}),
      headersTimeout: this.#opts.timeoutMs,
      bodyTimeout: this.#opts.timeoutMs,
    });
    // A 404 is a wrong URL, never VNPay's verdict.
    return answer.kind === 'text' && answer.status === 404 ? { kind: 'unavailable', reason: 'HTTP 404' } : answer;
  }
}

/** The answer's fields as strings (VNPay writes some as numbers), or undefined unless a JSON object. */
function parseFields(text: string): Record<string, string> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const fields: Record<string, string> = {};
  for (const [name, v] of Object.entries(value)) {
    if (typeof v === 'string' || typeof v === 'number') fields[name] = String(v);
  }
  return fields;
}
