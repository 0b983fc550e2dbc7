// The payment platform's transport: the Bearer token (configured, or client credentials at a token
// URL), `POST {base}/payment` with JSON, and the first reading of answers. It never throws for what
// the platform or the network does; reasons are sanitised, they end up stored and shown.
import { Agent } from 'undici';
import { OAuthTokenCache } from '../../shared/oauth-token-cache.js';
import { parseObject } from '../../../src/core/json-object.js';
import { requestText, type Unavailable } from '../../../src/core/http-outcome.js';

/** A token issued out of band, or the OAuth2 client credentials of a token endpoint. */
export type NationalPaymentCredentials = { token: string } | { tokenUrl: string; clientId: string; clientSecret: string };

export type NationalPaymentClientOptions = NationalPaymentCredentials & {
  /** The platform's API base: requests go to `{base}/payment`. */
  baseUrl: string;
  /** Per request, for headers and for body. Default 30 s. */
  timeoutMs?: number;
  /** Signs each request body; the answer goes in `x-jws-signature`. */
  sign?: (body: Buffer) => string;
};

export type PlatformReply = { kind: 'answer'; status: number; body: Record<string, unknown> } | Unavailable;

export class NationalPaymentClient {
  readonly #agent = new Agent();
  readonly #opts: NationalPaymentClientOptions;
  readonly #url: URL;
  readonly #timeoutMs: number;
  /** With client credentials: the token cache, made at the first call. */
  #tokens: OAuthTokenCache | undefined;

  constructor(opts: NationalPaymentClientOptions) {
    this.#opts = opts;
    this.#url = new URL(`${opts.baseUrl.replace(/\/+$/, '')}/payment`);
    this.#timeoutMs = opts.timeoutMs ?? 30_000;
  }

  /** One message; after a 401, with a token URL, one new token and the same bytes again. */
  async send(message: object): Promise<PlatformReply> {
    const body = Buffer.from(JSON.stringify(message));
    for (let attempt = 0; attempt < 2; attempt++) {
      const token = await this.#currentToken();
      if (typeof token !== 'string') return token;
      const reply = await this.#post(this.#url, body, { authorization: `Bearer ${token}`, 'content-type': 'application/json; charset=utf-8' });
      if (reply.kind === 'unavailable' || reply.status !== 401) return reply;
      // A configured token cannot be renewed here: someone has to configure a new one.
      if ('token' in this.#opts) return { kind: 'unavailable', reason: 'the platform refused the configured token (HTTP 401)' };
      this.#tokens?.forget(token);
    }
    return { kind: 'unavailable', reason: 'the platform refused a freshly issued token (HTTP 401)' };
  }

  /** Values that must never appear in a stored message: the secrets this client holds. */
  secrets(): string[] {
    if ('token' in this.#opts) return [this.#opts.token];
    const held = this.#tokens?.held;
    return [this.#opts.clientSecret, ...(held ? [held] : [])];
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }

  #currentToken(): Promise<string | Unavailable> {
    if ('token' in this.#opts) return Promise.resolve(this.#opts.token);
    this.#tokens ??= new OAuthTokenCache(this.#opts, (url, body, headers) => this.#post(url, body, headers));
    return this.#tokens.current();
  }

  async #post(url: URL, body: Buffer, extra: Record<string, string>): Promise<PlatformReply> {
    const headers: Record<string, string> = { accept: 'application/json', ...extra };
    if (this.#opts.sign) headers['x-jws-signature'] = this.#opts.sign(body);
    const answer = await requestText(this.#agent, {
      origin: url.origin,
      path: url.pathname + url.search,
      method: 'POST',
      headers,
      body,
      headersTimeout: this.#timeoutMs,
      bodyTimeout: this.#timeoutMs,
    });
    if (answer.kind === 'unavailable') return answer;
    const { status, text } = answer;
    // A 404 means a wrong base URL or a platform being redeployed, never a bad payment.
    if (status === 404) return { kind: 'unavailable', reason: 'HTTP 404 (check the platform URLs)' };
    const parsed = parseObject(text);
    if (parsed) return { kind: 'answer', status, body: parsed };
    if (status >= 400) return { kind: 'answer', status, body: {} };
    return { kind: 'unavailable', reason: `unparseable answer (HTTP ${status})` };
  }
}
