// The edXML Signature: an enveloped XML Signature (src/crypto/xml-signature.ts: exclusive c14n,
// RSA-SHA256, the signer's chain in X509Data) over the envelope taken as a document of its own,
// placed last in edXMLHeader. Attachments are covered by digest: each manifest Reference carries the
// SHA-256 of its attachment, and the manifest is inside what is signed.
import type { X509Certificate } from 'node:crypto';
import { XMLSerializer } from '@xmldom/xmldom';
import type { Signer } from '../../src/crypto/signer.js';
import type { TrustChecker } from '../../src/crypto/trust.js';
import { signXml, verifyXml, XmlSignatureError } from '../../src/crypto/xml-signature.js';
import { XmlRefused } from '../../src/xml/safe-dom.js';
import { EDXML_NS, type Envelope, type ManifestReference } from './model.js';
import { EdxmlRefused, MAX_ENVELOPE_BYTES, parseEnvelope } from './reader.js';
import { writeEnvelope } from './writer.js';

const HEADER_XPATH = "/*[local-name()='edXMLEnvelope']/*[local-name()='edXMLHeader']";

export function signEnvelope(envelopeXml: string, signer: Signer): string {
  return signXml(envelopeXml, signer, { location: { xpath: HEADER_XPATH, action: 'append' } });
}

/** Writes and signs in one step. */
export function writeSignedEnvelope(envelope: Envelope, signer: Signer): string {
  return signEnvelope(writeEnvelope(envelope), signer);
}

export interface VerifiedEnvelope {
  envelope: Envelope;
  certificateChain: X509Certificate[];
  /** The base64 SignatureValue, for the message log. */
  signatureValue: string;
}

/** Why a package was refused: a stable code the trail shows, and one line of detail. */
export class EdxmlSignatureRefused extends Error {
  override readonly name = 'EdxmlSignatureRefused';
  constructor(
    readonly code: 'signature-missing' | 'signature-invalid' | 'certificate-untrusted' | 'certificate-revoked',
    readonly reason: string,
  ) {
    super(`${code}: ${reason}`);
  }
}

/**
 * Verifies the envelope's signature and reads the envelope from the verified DOM only (serialised
 * from it, then read by the strict reader), so that what is read is what was signed. With `trust`
 * the chain must also be trusted for signing at `at`.
 */
export async function verifyEnvelope(envelopeXml: string, options: { trust?: TrustChecker; at?: Date } = {}): Promise<VerifiedEnvelope> {
  let verified;
  try {
    verified = verifyXml(envelopeXml, {
      maxBytes: MAX_ENVELOPE_BYTES,
      signedElement: (doc) => (doc.documentElement.namespaceURI === EDXML_NS && doc.documentElement.localName === 'edXMLEnvelope' ? doc.documentElement : null),
    });
  } catch (error) {
    if (error instanceof XmlSignatureError) throw new EdxmlSignatureRefused(error.code, error.reason);
    if (error instanceof XmlRefused) throw new EdxmlRefused(`envelope refused: ${error.message}`);
    throw error;
  }
  if (options.trust) {
    const verdict = options.trust.check(verified.certificateChain, { at: options.at ?? new Date(), purpose: 'signing' });
    if (!verdict.ok) throw new EdxmlSignatureRefused(verdict.code, verdict.reason);
  }
  const signatureValue = verified.document.getElementsByTagNameNS('http://www.w3.org/2000/09/xmldsig#', 'SignatureValue').item(0)?.textContent?.replace(/\s+/g, '') ?? '';
  const envelope = await parseEnvelope(new XMLSerializer().serializeToString(verified.signedElement));
  return { envelope, certificateChain: verified.certificateChain, signatureValue };
}

/** The attachments received must be exactly those of the signed manifest, byte for byte. */
export function checkAttachments(manifest: ManifestReference[], attachments: { contentId: string; sha256: string; contentType: string; attachmentName: string }[]): void {
  if (attachments.length !== manifest.length) {
    throw new EdxmlSignatureRefused('signature-invalid', `the manifest lists ${manifest.length} attachments, the package carries ${attachments.length}`);
  }
  for (const reference of manifest) {
    const attachment = attachments.find((a) => a.contentId === reference.contentId);
    if (!attachment) throw new EdxmlSignatureRefused('signature-invalid', `attachment cid:${reference.contentId} of the signed manifest is missing`);
    if (attachment.sha256 !== reference.sha256) {
      throw new EdxmlSignatureRefused('signature-invalid', `attachment cid:${reference.contentId} does not match its digest in the signed manifest: it was changed`);
    }
    if (attachment.contentType !== reference.contentType || attachment.attachmentName !== reference.attachmentName) {
      throw new EdxmlSignatureRefused('signature-invalid', `attachment cid:${reference.contentId} has another name or type than the signed manifest says`);
    }
  }
}
