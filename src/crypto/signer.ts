// The one signing interface. Callers never see key material: a file-backed key (PEM, PKCS#12) is the
// first implementation, and a token or HSM (PKCS#11) can be plugged in behind the same interface.
import type { X509Certificate } from 'node:crypto';

export interface Signer {
  /** Identifies the key in signatures (JWS `kid`) and in audit records; stable across restarts. */
  readonly keyId: string;
  /** The signer's certificate first, then intermediates up to (not including) the root. */
  readonly certificateChain: readonly X509Certificate[];
  /**
   * RSASSA-PKCS1-v1_5 with SHA-256 (RS256 / rsa-sha256) over `data`. Synchronous because
   * xml-crypto's signature hook is; a PKCS#11 binding may block for the token's round trip.
   */
  sign(data: Buffer): Buffer;
}
