// A receiver's whole check of a detached JWS, answered as a reason or undefined: the bytes verify and
// the chain leads to a trusted CA now. Used where the gateway plays the receiving partner (the
// simulators) and by tests acting as partners that check what the gateway sent them.
import { JwsError, verifyDetachedJws } from './jws.js';
import type { TrustChecker } from './trust.js';

export function jwsChecker(trust: TrustChecker): (body: Buffer, header: string | undefined) => string | undefined {
  return (body, header) => {
    try {
      const verified = verifyDetachedJws(header, body);
      const verdict = trust.check(verified.certificateChain, { at: new Date(), purpose: 'signing' });
      return verdict.ok ? undefined : `${verdict.code}: ${verdict.reason}`;
    } catch (error) {
      if (error instanceof JwsError) return `${error.code}: ${error.reason}`;
      throw error;
    }
  };
}
