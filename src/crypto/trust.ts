// What the gateway asks of a trust store: is this certificate chain, presented by a partner, good for
// this purpose at this moment? The answer is a verdict with one of the stable problem codes, never an
// exception, so that every refusal can be logged and answered the same way.
import { createHash, type X509Certificate } from 'node:crypto';

export type CertificatePurpose = 'signing' | 'tls-client';

export type TrustFailureCode = 'certificate-untrusted' | 'certificate-revoked';

export type TrustVerdict =
  | { ok: true; /** leaf first, ending in the trusted root */ path: X509Certificate[] }
  | { ok: false; code: TrustFailureCode; reason: string };

export interface TrustChecker {
  /**
   * `chain` is what the sender presented: leaf first, then any intermediates (order not trusted).
   * `at` is when the gateway received the message, not when it is checked.
   */
  check(chain: readonly X509Certificate[], options: { at: Date; purpose: CertificatePurpose }): TrustVerdict;
}

/** Lowercase hex SHA-256 of the certificate's DER: the key id and the registry's fingerprint form. */
export function certificateFingerprint(certificate: X509Certificate): string {
  return createHash('sha256').update(certificate.raw).digest('hex');
}
