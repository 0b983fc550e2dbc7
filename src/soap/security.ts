// Who is calling the SOAP front door, and whether they signed: the credentials partners already have
// (an API key, as a WS-Security UsernameToken or the x-api-key header) and, for a signed request, an
// XML Signature over soap:Body made with a certificate the trust store accepts and the registry binds
// to that same partner. The verified document is the one the business data is then read from.
import { X509Certificate } from 'node:crypto';
import type { CertificateCatalog } from '../audit/certificates.js';
import { Problem } from '../core/problems.js';
import { checkPartnerCertificate, type SignatureRecord } from '../crypto/partner-signature.js';
import { certificateFingerprint, type TrustChecker } from '../crypto/trust.js';
import { XmlSignatureError, verifyXml } from '../crypto/xml-signature.js';
import type { Partner, PartnerRegistry } from '../partners/registry.js';
import { parseXmlDocument, XmlRefused } from '../xml/safe-dom.js';
import { soapBodyOf } from '../xml/soap.js';
import type { SoapCall } from './envelope.js';

const DSIG_NS = 'http://www.w3.org/2000/09/xmldsig#';

/** Parses a request with the hostile-XML-safe parser; a refusal becomes the malformed-xml problem. */
export function parseSoap(raw: Buffer, maxBytes: number): Document {
  return refusingXml(() => parseXmlDocument(raw, { maxBytes }));
}

function refusingXml<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof XmlRefused) throw new Problem('malformed-xml', error.message, { reason: error.reason });
    if (error instanceof XmlSignatureError) throw new Problem(error.code, error.reason);
    throw error;
  }
}

/**
 * The partner named by the request's credentials. Both forms may be present, but must name the same
 * partner; the UsernameToken's Username must be the id of the partner whose key is its Password.
 */
export function soapPartner(call: SoapCall, header: { partner: Partner | undefined; apiKeySent: boolean }, registry: PartnerRegistry): Partner {
  if (header.apiKeySent && !header.partner) throw new Problem('unauthenticated', 'The x-api-key header names no partner');
  let partner = header.partner;
  if (call.usernameToken) {
    const byToken = registry.authenticate(call.usernameToken.password);
    if (!byToken || byToken.id !== call.usernameToken.username) throw new Problem('unauthenticated', 'The UsernameToken does not name a partner and one of its API keys');
    if (partner && partner.id !== byToken.id) throw new Problem('unauthenticated', 'The x-api-key header and the UsernameToken belong to different partners');
    partner = byToken;
  }
  if (!partner) throw new Problem('unauthenticated', 'Authenticate with a WS-Security UsernameToken (partner id, API key) or the x-api-key header');
  return partner;
}

export interface VerifiedSoap {
  document: Document;
  signature: SignatureRecord;
}

/** Verifies the request's one signature over soap:Body and binds its certificate to `partner`. */
export async function verifySoapSignature(
  raw: Buffer,
  partner: Partner,
  receivedAt: Date,
  deps: { trust: TrustChecker; registry: PartnerRegistry; catalog: CertificateCatalog; maxBytes: number },
): Promise<VerifiedSoap> {
  const verified = refusingXml(() => verifyXml(raw, { maxBytes: deps.maxBytes, signedElement: soapBodyOf }));
  const chain: X509Certificate[] = verified.certificateChain;
  checkPartnerCertificate(chain, partner, receivedAt, deps);
  const value = (verified.document.getElementsByTagNameNS(DSIG_NS, 'SignatureValue').item(0)?.textContent ?? '').replace(/\s+/g, '');
  return {
    document: verified.document,
    signature: { format: 'xmldsig', value, keyId: certificateFingerprint(chain[0]!), chain: await deps.catalog.remember(chain) },
  };
}
