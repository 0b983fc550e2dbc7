// The checks every partner signature goes through once its bytes verify, whatever the format (JWS,
// XML Signature): a chain to a trusted CA valid when the message arrived, and a certificate that
// belongs to the partner who authenticated. A valid signature by somebody else is still a refusal.
import type { X509Certificate } from 'node:crypto';
import { Problem } from '../core/problems.js';
import type { Partner, PartnerRegistry } from '../partners/registry.js';
import { certificateFingerprint, type TrustChecker } from './trust.js';

export interface SignatureRecord {
  format: 'jws-detached' | 'xmldsig';
  /** The detached JWS, or the base64 SignatureValue of an XML Signature. */
  value: string;
  keyId: string;
  /** Fingerprints of the signer's chain, leaf first, as kept in the `certificates` table. */
  chain: string[];
}

export function checkPartnerCertificate(
  chain: readonly X509Certificate[],
  partner: Partner,
  receivedAt: Date,
  deps: { trust: TrustChecker; registry: PartnerRegistry },
): void {
  const verdict = deps.trust.check(chain, { at: receivedAt, purpose: 'signing' });
  if (!verdict.ok) throw new Problem(verdict.code, verdict.reason);
  const owner = deps.registry.partnerForCertificate(chain[0]!);
  if (!owner) throw new Problem('certificate-untrusted', `The certificate ${certificateFingerprint(chain[0]!)} is not registered for any partner`);
  if (owner.id !== partner.id) throw new Problem('certificate-untrusted', 'The certificate belongs to another partner');
}
