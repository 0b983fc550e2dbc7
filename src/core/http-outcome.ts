// Which answers of a partner's HTTP endpoint are worth another try. 408 Request Timeout, 429 Too Many
// Requests and every 5xx are the partner's passing trouble (RFC 9110 §15.5.9 and §15.6, RFC 6585 §4),
// and so are connection errors and timeouts; any other 4xx is its verdict on the request, and final.
import type { Dispatcher } from 'undici';
import { errorName } from './json-object.js';
import { retryAfterMs } from './retry-after.js';

/** Try again later; `retryAfterMs` when the partner said how long to wait. */
export interface Unavailable {
  kind: 'unavailable';
  reason: string;
  retryAfterMs?: number;
}

export type HttpOutcome = { kind: 'ok' } | Unavailable | { kind: 'refused'; reason: string };

export function isTransientStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

/** The failure a transient status names (with the partner's Retry-After, if given), or undefined when the status carries an answer. */
export function transientStatus(status: number, retryAfter?: string | string[]): Unavailable | undefined {
  if (!isTransientStatus(status)) return undefined;
  const asked = retryAfterMs(retryAfter);
  return { kind: 'unavailable', reason: `HTTP ${status}`, ...(asked !== undefined ? { retryAfterMs: asked } : {}) };
}

/** The whole verdict of a call whose body does not matter: 2xx ok, transient unavailable, anything else refused. */
export function httpOutcome(status: number, retryAfter?: string | string[]): HttpOutcome {
  if (status >= 200 && status < 300) return { kind: 'ok' };
  return transientStatus(status, retryAfter) ?? { kind: 'refused', reason: `HTTP ${status}` };
}

/** A connection error or timeout, named by its code only: its message may quote the request. */
export function connectionFailure(err: unknown): Unavailable {
  return { kind: 'unavailable', reason: `network error (${errorName(err)})` };
}

/** An answer whose status carries the partner's word: 2xx, 3xx, or a 4xx other than 408 and 429. */
export interface TextAnswer {
  kind: 'text';
  status: number;
  text: string;
}

/** One request, its answer read whole; a connection error, a timeout or a transient status comes back `unavailable`. */
export async function requestText(dispatcher: Dispatcher, options: Dispatcher.RequestOptions): Promise<TextAnswer | Unavailable> {
  let status: number;
  let retryAfter: string | string[] | undefined;
  let text: string;
  try {
    const res = await dispatcher.request(options);
    status = res.statusCode;
    retryAfter = res.headers['retry-after'];
    text = await res.body.text();
  } catch (err) {
    return connectionFailure(err);
  }
  return transientStatus(status, retryAfter) ?? { kind: 'text', status, text };
}
