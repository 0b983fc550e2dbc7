// Replay rules of the WS-Security header, as OASIS WSS 1.1 describes them: a wsu:Timestamp whose
// Created is not in the future and whose Expires has not passed (SOAP Message Security 1.1 §10), and
// a UsernameToken Nonce refused when seen again while its Created is still fresh (Username Token
// Profile 1.1 §3.1: a freshness limit on Created, used nonces cached at least that long). Nonces
// are remembered in Redis (SET NX with expiry), so every API instance sees them.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { Problem } from '../core/problems.js';
import type { SoapCall } from './envelope.js';

export interface FreshnessRules {
  clockSkewSeconds: number;
  freshnessSeconds: number;
}

/** xs:dateTime with a zone (WSS asks for UTC); a time without one would be read in the gateway's zone. */
const DATE_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/;
const MAX_NONCE_CHARS = 256;

function instant(value: string, what: string): number {
  const ms = DATE_TIME.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) throw new Problem('message-expired', `${what} is not an xs:dateTime with a zone: ${value.slice(0, 40)}`);
  return ms;
}

/**
 * Checks the times of the call's security header against `now`: a Created (Timestamp or UsernameToken)
 * more than the skew ahead, or older than the freshness limit plus the skew, and an Expires that has
 * passed, are refused. Returns the Created the nonce's freshness is judged by, if any.
 */
export function checkTimes(call: SoapCall, now: Date, rules: FreshnessRules): number | undefined {
  const skew = rules.clockSkewSeconds * 1000;
  const oldest = now.getTime() - rules.freshnessSeconds * 1000 - skew;
  const judgeCreated = (value: string, what: string) => {
    const created = instant(value, what);
    if (created > now.getTime() + skew) throw new Problem('message-expired', `${what} is in the future beyond the allowed clock skew of ${rules.clockSkewSeconds} s`);
    if (created < oldest) throw new Problem('message-expired', `${what} is older than ${rules.freshnessSeconds} s (plus ${rules.clockSkewSeconds} s of skew)`);
    return created;
  };
  let created: number | undefined;
  if (call.timestamp?.created !== undefined) created = judgeCreated(call.timestamp.created, 'Timestamp/Created');
  if (call.timestamp?.expires !== undefined) {
    const expires = instant(call.timestamp.expires, 'Timestamp/Expires');
    if (created !== undefined && expires <= created) throw new Problem('message-expired', 'Timestamp/Expires is not after its Created');
    if (expires < now.getTime() - skew) throw new Problem('message-expired', 'Timestamp/Expires has passed: the message has expired');
  }
  if (call.usernameToken?.created !== undefined) created = judgeCreated(call.usernameToken.created, 'UsernameToken/Created');
  return created;
}

/** The nonces partners have used, shared by every API instance. */
export class NonceMemory {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly rules: FreshnessRules,
  ) {}

  /**
   * Remembers the call's Nonce for `partnerId`; refuses one already remembered. A nonce without a
   * Created could be replayed as soon as it is forgotten, so it is refused too.
   */
  async remember(partnerId: string, call: SoapCall, created: number | undefined): Promise<void> {
    const nonce = call.usernameToken?.nonce;
    if (nonce === undefined) return;
    if (nonce.length === 0 || nonce.length > MAX_NONCE_CHARS) throw new Problem('unauthenticated', `A Nonce has 1 to ${MAX_NONCE_CHARS} characters`);
    if (created === undefined) throw new Problem('unauthenticated', 'A Nonce needs a Created (in the UsernameToken or a Timestamp) to be judged fresh');
    // Kept from the earliest a Created may be accepted until the latest: freshness plus skew on either side.
    const seconds = this.rules.freshnessSeconds + 2 * this.rules.clockSkewSeconds;
    const key = `${this.prefix}:soap-nonce:${partnerId}:${createHash('sha256').update(nonce).digest('hex')}`;
    let stored: string | null;
    try {
      stored = await this.redis.set(key, '1', 'EX', seconds, 'NX');
    } catch (error) {
      throw new Problem('unavailable', `The nonce memory (Redis) is unavailable: ${(error as Error).message}`);
    }
    if (stored === null) throw new Problem('nonce-replayed', 'This Nonce was already used; send a new one with each request');
  }
}
