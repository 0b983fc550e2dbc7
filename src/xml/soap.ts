// SOAP 1.1 envelopes: where a SOAP endpoint reads its business data from. Signature verification is
// told this element, so that a signed Body moved elsewhere (signature wrapping) is refused.
export const SOAP_NS = 'http://schemas.xmlsoap.org/soap/envelope/';

/** The Body that is a direct child of the document's soap:Envelope, or null. */
export function soapBodyOf(doc: Document): Element | null {
  const envelope = doc.documentElement;
  if (!envelope || envelope.namespaceURI !== SOAP_NS || envelope.localName !== 'Envelope') return null;
  for (let node = envelope.firstChild; node; node = node.nextSibling) {
    const element = node as Element;
    if (node.nodeType === 1 && element.namespaceURI === SOAP_NS && element.localName === 'Body') return element;
  }
  return null;
}
