// XML Signature (XMLDSig) for edXML packages and SOAP messages: one enveloped RSA-SHA256 signature
// with exclusive c14n and one Reference, the signer's chain in KeyInfo. Verification is deliberately
// narrower than the XMLDSig spec: everything the gateway does not produce itself is refused, because
// each optional feature (XPath/XSLT transforms, external URIs, several references, KeyInfo
// indirection) has been a signature-wrapping or forgery route in some implementation.
import { X509Certificate, constants, createHash, timingSafeEqual, verify, type BinaryLike } from 'node:crypto';
import { SignedXml, type SignatureAlgorithm } from 'xml-crypto';
import { parseXmlDocument } from '../xml/safe-dom.js';
import type { Signer } from './signer.js';

const DSIG_NS = 'http://www.w3.org/2000/09/xmldsig#';
const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';

/** Larger messages carry their files by reference (see DESIGN.md), so this is generous. */
const DEFAULT_MAX_BYTES = 10 * 1024 * 1024;
const MIN_RSA_BITS = 2048;
/** Leaf plus intermediates; more is not a chain a partner's CA would issue. */
const MAX_CERTIFICATES = 8;
/** Attribute local names an `#id` reference may point at, in any namespace (so `wsu:Id` too). */
const ID_ATTRIBUTES = new Set(['Id', 'ID', 'id']);
/** An NCName without `:`; anything else (`#xpointer(...)`, `#a'b`) is not a plain same-document id. */
const ID_PATTERN = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const ELEMENT_NODE = 1;
const TEXT_NODE = 3;
const ACCEPTED_TRANSFORMS = [[EXC_C14N], [ENVELOPED, EXC_C14N]];

export type XmlSignatureErrorCode = 'signature-missing' | 'signature-invalid';

export class XmlSignatureError extends Error {
  override readonly name = 'XmlSignatureError';
  constructor(
    readonly code: XmlSignatureErrorCode,
    /** One line, safe to log and to return to the sender. */
    readonly reason: string,
  ) {
    super(`${code}: ${reason}`);
  }
}

export interface SignXmlOptions {
  /** '' signs the whole document; `#id` signs the one element carrying that Id/ID/id/wsu:Id. */
  referenceUri?: '' | `#${string}`;
  /**
   * Where the Signature goes; default: appended to the document element. The XPath is evaluated
   * without namespace bindings, so name elements with local-name(), e.g.
   * `/*[local-name()='Envelope']/*[local-name()='Header']`.
   */
  location?: { xpath: string; action: 'append' | 'prepend' | 'before' | 'after' };
}

export interface VerifyXmlOptions {
  maxBytes?: number;
  /** The element the caller reads business data from; the one Reference must cover exactly it. */
  signedElement: (document: Document) => Element | null;
}

export interface VerifiedXml {
  /** The document whose signature was checked: read business data from this DOM only. */
  document: Document;
  signedElement: Element;
  /** From KeyInfo, leaf first; trust in it is the caller's TrustChecker's decision. */
  certificateChain: X509Certificate[];
}

export function signXml(xml: string, signer: Signer, options: SignXmlOptions = {}): string {
  const referenceUri = options.referenceUri ?? '';
  if (signer.certificateChain.length === 0) {
    throw new Error(`signer ${signer.keyId} has no certificate to put in KeyInfo`);
  }
  // Sign only what verifyXml would accept, so a refusal shows up here and not at the partner.
  const document = parseXmlDocument(xml, { maxBytes: DEFAULT_MAX_BYTES });
  if (document.getElementsByTagNameNS(DSIG_NS, 'Signature').length > 0) {
    throw new Error('the document is already signed');
  }
  let targetXpath = '/*';
  if (referenceUri !== '') {
    const id = referenceUri.slice(1);
    if (!ID_PATTERN.test(id)) throw new Error(`reference ${referenceUri} is not a plain id`);
    const count = elementsWithId(document, id).length;
    if (count !== 1) throw new Error(`reference ${referenceUri} matches ${count} elements, not one`);
    targetXpath = `//*[@*[(local-name()='Id' or local-name()='ID' or local-name()='id') and .='${id}']]`;
  }

  const signedXml = new SignedXml({
    // xml-crypto refuses to sign without a private key even when the algorithm ignores it; the
    // key stays behind `signer` (possibly an HSM) and this placeholder never reaches any crypto.
    privateKey: 'held-by-signer',
    signatureAlgorithm: RSA_SHA256,
    canonicalizationAlgorithm: EXC_C14N,
    getKeyInfoContent: (args) => x509Data(signer.certificateChain, args?.prefix),
  });
  signedXml.SignatureAlgorithms = { [RSA_SHA256]: signerAlgorithm(signer) };
  signedXml.addReference({
    xpath: targetXpath,
    isEmptyUri: referenceUri === '',
    // Enveloped first in both forms: harmless when the Signature lies outside the target.
    transforms: [ENVELOPED, EXC_C14N],
    digestAlgorithm: SHA256,
  });
  signedXml.computeSignature(xml, {
    prefix: 'ds',
    location: { reference: options.location?.xpath ?? '/*', action: options.location?.action ?? 'append' },
  });
  return signedXml.getSignedXml();
}

/**
 * Proves that the one Signature in `input` covers exactly `options.signedElement(document)` and was
 * made with the key of the first certificate in KeyInfo. Throws XmlSignatureError; input that is not
 * acceptable XML at all throws XmlRefused from the parser first.
 */
export function verifyXml(input: string | Buffer, options: VerifyXmlOptions): VerifiedXml {
  const document = parseXmlDocument(input, { maxBytes: options.maxBytes ?? DEFAULT_MAX_BYTES });
  const signatures = document.getElementsByTagNameNS(DSIG_NS, 'Signature');
  if (signatures.length === 0) throw new XmlSignatureError('signature-missing', 'no ds:Signature in the document');
  if (signatures.length > 1) throw invalid(`${signatures.length} ds:Signature elements; exactly one is accepted`);
  const signature = signatures.item(0) as Element;

  const [signedInfo, signatureValue, keyInfo, ...rest] = dsigChildren(signature);
  if (signedInfo?.localName !== 'SignedInfo' || signatureValue?.localName !== 'SignatureValue') {
    throw invalid('Signature must start with SignedInfo and SignatureValue');
  }
  if (keyInfo?.localName !== 'KeyInfo') throw invalid('Signature has no KeyInfo');
  if (rest.length > 0) throw invalid(`unexpected ${rest[0]?.localName} in Signature`);

  const reference = checkSignedInfo(signedInfo);
  const transforms = checkReference(reference);
  const target = resolveReference(document, requiredAttribute(reference, 'URI'));
  const expected = options.signedElement(document);
  if (expected == null || target !== expected) {
    throw invalid('the Reference does not cover the element the message is read from');
  }
  const certificateChain = readCertificates(keyInfo);
  const leaf = certificateChain[0] as X509Certificate;
  const bits = leaf.publicKey.asymmetricKeyDetails?.modulusLength ?? 0;
  if (leaf.publicKey.asymmetricKeyType !== 'rsa' || bits < MIN_RSA_BITS) {
    throw invalid(`signing key is not RSA of at least ${MIN_RSA_BITS} bits`);
  }

  const canonical = canonicalize(signature, signedInfo, transforms, target);
  const digest = createHash('sha256').update(canonical.reference, 'utf8').digest();
  if (!equalBytes(digest, base64Content(dsigChild(reference, 'DigestValue')))) {
    throw invalid('digest of the signed element does not match: the content was changed');
  }
  const signatureValid = verify(
    'sha256',
    Buffer.from(canonical.signedInfo, 'utf8'),
    { key: leaf.publicKey, padding: constants.RSA_PKCS1_PADDING },
    base64Content(signatureValue),
  );
  if (!signatureValid) throw invalid('SignatureValue does not verify with the KeyInfo certificate');
  return { document, signedElement: target, certificateChain };
}

// xml-crypto's checkSignature() only takes a string and parses it again; its canonicalizers take
// nodes, so verifyXml checks the digest and the signature on the very DOM it returns.
// loadSignature() tells the enveloped-signature transform which node to leave out; canonicalizing
// works on clones and leaves the document untouched.
function canonicalize(signature: Element, signedInfo: Element, transforms: string[], target: Element) {
  const canonicalizer = new SignedXml();
  try {
    canonicalizer.loadSignature(signature);
    return {
      reference: canonicalizer.getCanonXml(transforms, target),
      signedInfo: canonicalizer.getCanonXml([EXC_C14N], signedInfo),
    };
  } catch (error) {
    throw invalid(`Signature cannot be canonicalized: ${firstLine(error)}`);
  }
}

/** xml-crypto's hook for the signature step, routed to `signer` so the key never leaves it. */
function signerAlgorithm(signer: Signer): new () => SignatureAlgorithm {
  return class SignerRsaSha256 implements SignatureAlgorithm {
    getSignature(signedInfo: BinaryLike): string {
      const data =
        typeof signedInfo === 'string'
          ? Buffer.from(signedInfo, 'utf8')
          : Buffer.from(signedInfo.buffer, signedInfo.byteOffset, signedInfo.byteLength);
      return signer.sign(data).toString('base64');
    }
    verifySignature(): boolean {
      throw new Error('signing only; verifyXml checks signatures');
    }
    getAlgorithmName(): string {
      return RSA_SHA256;
    }
  };
}

function x509Data(chain: readonly X509Certificate[], prefix: string | null | undefined): string {
  const p = prefix ? `${prefix}:` : '';
  const certificates = chain.map((c) => `<${p}X509Certificate>${c.raw.toString('base64')}</${p}X509Certificate>`);
  return `<${p}X509Data>${certificates.join('')}</${p}X509Data>`;
}

function checkSignedInfo(signedInfo: Element): Element {
  const [c14n, method, ...references] = dsigChildren(signedInfo);
  if (c14n?.localName !== 'CanonicalizationMethod' || method?.localName !== 'SignatureMethod') {
    throw invalid('SignedInfo must start with CanonicalizationMethod and SignatureMethod');
  }
  checkAlgorithm(c14n, EXC_C14N);
  checkAlgorithm(method, RSA_SHA256);
  if (references.length !== 1 || references[0]?.localName !== 'Reference') {
    throw invalid(`SignedInfo must hold exactly one Reference, found ${references.length} elements`);
  }
  return references[0];
}

/** Returns the Reference's transforms once they are one of the accepted lists. */
function checkReference(reference: Element): string[] {
  const children = dsigChildren(reference);
  const names = children.map((c) => c.localName).join(',');
  if (names !== 'Transforms,DigestMethod,DigestValue') {
    throw invalid(`Reference must hold Transforms, DigestMethod and DigestValue, found ${names}`);
  }
  const [transformsElement, digestMethod] = children as [Element, Element, Element];
  checkAlgorithm(digestMethod, SHA256);
  const transforms = dsigChildren(transformsElement).map((t) => {
    if (t.localName !== 'Transform') throw invalid(`unexpected ${t.localName} in Transforms`);
    if (elementChildren(t).length > 0) throw invalid('Transform parameters (XPath, InclusiveNamespaces) are refused');
    return requiredAttribute(t, 'Algorithm');
  });
  if (!ACCEPTED_TRANSFORMS.some((accepted) => accepted.join(' ') === transforms.join(' '))) {
    throw invalid(`transforms ${transforms.join(', ') || '(none)'} are refused; only enveloped-signature and exc-c14n`);
  }
  return transforms;
}

function checkAlgorithm(element: Element, expected: string): void {
  const algorithm = requiredAttribute(element, 'Algorithm');
  if (algorithm !== expected) throw invalid(`${element.localName} ${algorithm} is refused; only ${expected}`);
  if (elementChildren(element).length > 0) throw invalid(`${element.localName} parameters are refused`);
}

function resolveReference(document: Document, uri: string): Element {
  if (uri === '') return document.documentElement;
  const id = uri.startsWith('#') ? uri.slice(1) : undefined;
  if (id === undefined || !ID_PATTERN.test(id)) {
    throw invalid(`Reference URI ${JSON.stringify(uri.slice(0, 80))} is not "" or a same-document #id`);
  }
  const matches = elementsWithId(document, id);
  if (matches.length !== 1) throw invalid(`Reference URI #${id} matches ${matches.length} elements, not one`);
  return matches[0] as Element;
}

function elementsWithId(document: Document, id: string): Element[] {
  const all = document.getElementsByTagName('*');
  const matches: Element[] = [];
  for (let i = 0; i < all.length; i++) {
    const element = all.item(i) as Element;
    const attributes = element.attributes;
    for (let j = 0; j < attributes.length; j++) {
      const attribute = attributes.item(j) as Attr;
      if (ID_ATTRIBUTES.has(attribute.localName ?? attribute.name) && attribute.value === id) {
        matches.push(element);
        break;
      }
    }
  }
  return matches;
}

function readCertificates(keyInfo: Element): X509Certificate[] {
  // Only certificates carried in the message count: no RetrievalMethod fetches, and a bare
  // KeyValue or KeyName would leave the key unbound to anything a TrustChecker can judge.
  const children = dsigChildren(keyInfo);
  if (children.some((c) => c.localName === 'RetrievalMethod')) throw invalid('KeyInfo RetrievalMethod is refused');
  const x509Data = children.filter((c) => c.localName === 'X509Data');
  if (x509Data.length !== 1) throw invalid(`KeyInfo must hold exactly one X509Data, found ${x509Data.length}`);
  const encoded = dsigChildren(x509Data[0] as Element).filter((c) => c.localName === 'X509Certificate');
  if (encoded.length === 0) throw invalid('KeyInfo holds no X509Certificate');
  if (encoded.length > MAX_CERTIFICATES) {
    throw invalid(`KeyInfo holds ${encoded.length} certificates, over ${MAX_CERTIFICATES}`);
  }
  return encoded.map((element) => {
    try {
      return new X509Certificate(base64Content(element));
    } catch {
      throw invalid('KeyInfo X509Certificate is not a DER certificate');
    }
  });
}

function base64Content(element: Element): Buffer {
  const text = (element.textContent ?? '').replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) throw invalid(`${element.localName} is not base64`);
  return Buffer.from(text, 'base64');
}

function equalBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Element children; any element from outside the XMLDSig namespace is refused where these are read. */
function dsigChildren(parent: Element): Element[] {
  const children = elementChildren(parent);
  const foreign = children.find((c) => c.namespaceURI !== DSIG_NS);
  if (foreign) throw invalid(`unexpected ${foreign.tagName} in ${parent.localName}`);
  return children;
}

function dsigChild(parent: Element, localName: string): Element {
  const child = dsigChildren(parent).find((c) => c.localName === localName);
  if (!child) throw invalid(`${parent.localName} has no ${localName}`);
  return child;
}

function elementChildren(parent: Element): Element[] {
  const children: Element[] = [];
  for (let node = parent.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === ELEMENT_NODE) children.push(node as Element);
    else if (node.nodeType !== TEXT_NODE || (node.nodeValue ?? '').trim() !== '') {
      throw invalid(`unexpected content in ${parent.localName}`);
    }
  }
  return children;
}

function requiredAttribute(element: Element, name: string): string {
  if (!element.hasAttribute(name)) throw invalid(`${element.localName} has no ${name} attribute`);
  return element.getAttribute(name) ?? '';
}

function invalid(reason: string): XmlSignatureError {
  return new XmlSignatureError('signature-invalid', reason);
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}
