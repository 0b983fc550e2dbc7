// The OAuth 2.0 client-credentials grant (RFC 6749 §4.4) as the adapters that need it use it: HTTP Basic
// client authentication, one token kept until most of its lifetime has passed, one token request in
// flight shared by every call that needs a token meanwhile, and a token that met a 401 forgotten.
// The request goes out through the adapter's own transport, so it is signed and traced like its calls.
import { sanitizePortalMessage } from '../national-portal/client.js';

export interface ClientCredentials {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
}

type Unavailable = { kind: 'unavailable'; reason: string };
export type TokenReply = { kind: 'answer'; status: number; body: Record<string, unknown> } | Unavailable;
/** POSTs the token request; `context` is what the adapter passes per call (its trace context). */
export type TokenPost<C> = (url: URL, body: Buffer, headers: Record<string, string>, context: C) => Promise<TokenReply>;

/** The token is renewed once this share of its lifetime has passed. */
const RENEW_AT_SHARE = 0.8;
/** Assumed when a token answer gives no usable expires_in. */
const DEFAULT_TOKEN_SECONDS = 300;

export class OAuthTokenCache<C = void> {
  readonly #creds: ClientCredentials;
  readonly #tokenUrl: URL;
  readonly #post: TokenPost<C>;
  #token: { value: string; renewAt: number } | undefined;
  #refreshing: Promise<string | Unavailable> | undefined;

  constructor(creds: ClientCredentials, post: TokenPost<C>) {
    this.#creds = creds;
    this.#tokenUrl = new URL(creds.tokenUrl);
    this.#post = post;
  }

  /** The token in hand, or a new one; never throws: a refused or failed token request is `unavailable`. */
  current(context: C): Promise<string | Unavailable> {
    if (this.#token && Date.now() < this.#token.renewAt) return Promise.resolve(this.#token.value);
    this.#refreshing ??= this.#request(context).finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  /** After a 401: drops the token that met it, unless a concurrent call has already replaced it. */
  forget(token: string): void {
    if (this.#token?.value === token) this.#token = undefined;
  }

  /** The token held now, if any: a secret that must never appear in a stored message. */
  get held(): string | undefined {
    return this.#token?.value;
  }

  async #request(context: C): Promise<string | Unavailable> {
    const startedAt = Date.now();
    const basic = Buffer.from(`${this.#creds.clientId}:${this.#creds.clientSecret}`).toString('base64');
    const reply = await this.#post(
      this.#tokenUrl,
      Buffer.from('grant_type=client_credentials'),
      { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
      context,
    );
    if (reply.kind === 'unavailable') return { kind: 'unavailable', reason: `token request failed: ${reply.reason}` };
    const token = reply.body.access_token;
    if (reply.status >= 300 || typeof token !== 'string' || token === '') {
      // Wrong credentials are a configuration problem, not a fault of the work waiting: it waits and retries.
      const said = sanitizePortalMessage(reply.body.error_description ?? reply.body.error ?? reply.body.message, { secrets: [this.#creds.clientSecret] });
      return { kind: 'unavailable', reason: `token refused (HTTP ${reply.status})${said ? `: ${said}` : ''}` };
    }
    const seconds = typeof reply.body.expires_in === 'number' && reply.body.expires_in > 0 ? reply.body.expires_in : DEFAULT_TOKEN_SECONDS;
    this.#token = { value: token, renewAt: startedAt + seconds * 1000 * RENEW_AT_SHARE };
    return token;
  }
}
