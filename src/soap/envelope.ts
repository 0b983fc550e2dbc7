// SOAP 1.1 envelopes of the front door: what a request holds (the operation element, the WS-Security
// UsernameToken, whether it is signed) and the two answers, a response signed over its Body and a
// Fault. Requests are parsed only by src/xml/safe-dom.ts, which refuses DOCTYPEs, entities, comments
// and oversized input before the parser runs.
import { Problem } from '../core/problems.js';
import type { Signer } from '../crypto/signer.js';
import { signXml } from '../crypto/xml-signature.js';
import { SOAP_NS, soapBodyOf } from '../xml/soap.js';
import { GatewayFault, OPERATIONS, SOAP_SERVICE_NS, type OperationName } from './messages.js';
import { writeXml } from './xml-model.js';

export const WSSE_NS = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd';
export const WSU_NS = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd';
const DSIG_NS = 'http://www.w3.org/2000/09/xmldsig#';
const SOAP12_NS = 'http://www.w3.org/2003/05/soap-envelope';
const PASSWORD_TEXT = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText';
const ELEMENT_NODE = 1;

/** A refusal whose SOAP faultcode is not Client or Server (SOAP 1.1 §4.4.1). */
export class EnvelopeFault extends Problem {
  constructor(
    readonly faultcode: 'VersionMismatch' | 'MustUnderstand',
    detail: string,
  ) {
    super('invalid-request', detail);
  }
}

export interface SoapCall {
  operation: OperationName;
  /** The operation element in the Body of `document`. */
  payload: Element;
  usernameToken: { username: string; password: string; nonce?: string; created?: string } | undefined;
  /** The wsu:Timestamp of wsse:Security, as sent (checked by freshness.ts). */
  timestamp: { created?: string; expires?: string } | undefined;
  signed: boolean;
}

function elements(parent: Element): Element[] {
  const children: Element[] = [];
  for (let node = parent.firstChild; node; node = node.nextSibling) if (node.nodeType === ELEMENT_NODE) children.push(node as Element);
  return children;
}

/** Reads the envelope of a parsed request; throws a Problem for anything the front door does not serve. */
export function readSoapCall(document: Document): SoapCall {
  const envelope = document.documentElement;
  if (envelope.localName === 'Envelope' && envelope.namespaceURI === SOAP12_NS) {
    throw new EnvelopeFault('VersionMismatch', 'This service speaks SOAP 1.1 (http://schemas.xmlsoap.org/soap/envelope/)');
  }
  if (envelope.localName !== 'Envelope' || envelope.namespaceURI !== SOAP_NS) throw new Problem('invalid-request', 'The body is not a SOAP 1.1 Envelope');
  const headers = elements(envelope).filter((e) => e.namespaceURI === SOAP_NS && e.localName === 'Header');
  if (headers.length > 1) throw new Problem('invalid-request', 'The Envelope has more than one Header');
  const blocks = headers[0] ? elements(headers[0]) : [];
  for (const block of blocks) {
    const understood = block.namespaceURI === WSSE_NS && block.localName === 'Security';
    if (!understood && block.getAttributeNS(SOAP_NS, 'mustUnderstand') === '1') {
      throw new EnvelopeFault('MustUnderstand', `The header ${block.localName} (${block.namespaceURI ?? 'no namespace'}) is not understood here`);
    }
  }
  const security = blocks.filter((b) => b.namespaceURI === WSSE_NS && b.localName === 'Security');
  if (security.length > 1) throw new Problem('invalid-request', 'The Header has more than one wsse:Security');

  const body = soapBodyOf(document);
  if (!body) throw new Problem('invalid-request', 'The Envelope has no Body');
  // Only the first Body is read and signed: a second one would be a place for content nobody checks.
  if (elements(envelope).filter((e) => e.namespaceURI === SOAP_NS && e.localName === 'Body').length > 1) {
    throw new Problem('invalid-request', 'The Envelope has more than one Body');
  }
  const [payload, ...rest] = elements(body);
  if (!payload || rest.length > 0) throw new Problem('invalid-request', 'The Body must hold exactly one operation element');
  const operation = payload.localName as OperationName;
  if (payload.namespaceURI !== SOAP_SERVICE_NS || !Object.hasOwn(OPERATIONS, operation)) {
    throw new Problem('invalid-request', `No operation {${payload.namespaceURI ?? ''}}${payload.localName}; see the WSDL at ?wsdl`);
  }
  return {
    operation,
    payload,
    usernameToken: security[0] ? usernameToken(security[0]) : undefined,
    timestamp: security[0] ? timestamp(security[0]) : undefined,
    signed: document.getElementsByTagNameNS(DSIG_NS, 'Signature').length > 0,
  };
}

/** The operation element of a document whose envelope readSoapCall already accepted. */
export function payloadOf(document: Document): Element {
  return elements(soapBodyOf(document)!)[0]!;
}

/** The text of the one child `namespace:name` of `parent`, undefined when there is none; more than one is refused. */
function optionalText(parent: Element, namespace: string, name: string, refuse: (detail: string) => Problem): string | undefined {
  const found = elements(parent).filter((e) => e.namespaceURI === namespace && e.localName === name);
  if (found.length > 1) throw refuse(`More than one ${name} in ${parent.localName}`);
  return found[0] ? (found[0].textContent ?? '').trim() : undefined;
}

function usernameToken(security: Element): SoapCall['usernameToken'] {
  const tokens = elements(security).filter((e) => e.namespaceURI === WSSE_NS && e.localName === 'UsernameToken');
  if (tokens.length === 0) return undefined;
  if (tokens.length > 1) throw new Problem('unauthenticated', 'More than one UsernameToken');
  const token = tokens[0]!;
  const field = (name: string) => {
    const found = elements(token).filter((e) => e.namespaceURI === WSSE_NS && e.localName === name);
    if (found.length !== 1) throw new Problem('unauthenticated', `The UsernameToken needs exactly one ${name}`);
    return found[0]!;
  };
  const password = field('Password');
  const type = password.getAttribute('Type');
  // A digest needs the key in clear on the gateway's side; the registry keeps only its SHA-256.
  if (type && type !== PASSWORD_TEXT) throw new Problem('unauthenticated', 'Only a PasswordText UsernameToken is accepted (the password is an API key)');
  const refuse = (detail: string) => new Problem('unauthenticated', detail);
  const nonce = optionalText(token, WSSE_NS, 'Nonce', refuse);
  const created = optionalText(token, WSU_NS, 'Created', refuse);
  return {
    username: (field('Username').textContent ?? '').trim(),
    password: (password.textContent ?? '').trim(),
    ...(nonce !== undefined ? { nonce } : {}),
    ...(created !== undefined ? { created } : {}),
  };
}

/** WSS SOAP Message Security 1.1 §10: at most one Timestamp, with at most one Created and one Expires. */
function timestamp(security: Element): SoapCall['timestamp'] {
  const stamps = elements(security).filter((e) => e.namespaceURI === WSU_NS && e.localName === 'Timestamp');
  if (stamps.length === 0) return undefined;
  const refuse = (detail: string) => new Problem('message-expired', detail);
  if (stamps.length > 1) throw refuse('More than one wsu:Timestamp in wsse:Security');
  const created = optionalText(stamps[0]!, WSU_NS, 'Created', refuse);
  const expires = optionalText(stamps[0]!, WSU_NS, 'Expires', refuse);
  return { ...(created !== undefined ? { created } : {}), ...(expires !== undefined ? { expires } : {}) };
}

/** The operation's answer, signed by the gateway: ds:Signature in wsse:Security over soap:Body#body. */
export function signedResponse(operation: OperationName, value: unknown, signer: Signer): string {
  const content = writeXml(`${operation}Response`, value, OPERATIONS[operation].response, SOAP_SERVICE_NS);
  const envelope =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<soap:Envelope xmlns:soap="${SOAP_NS}" xmlns:wsu="${WSU_NS}"><soap:Header><wsse:Security xmlns:wsse="${WSSE_NS}"/></soap:Header>` +
    `<soap:Body wsu:Id="body">${content}</soap:Body></soap:Envelope>`;
  return signXml(envelope, signer, {
    referenceUri: '#body',
    location: { xpath: "/*[local-name()='Envelope']/*[local-name()='Header']/*[local-name()='Security']", action: 'append' },
  });
}

/**
 * A SOAP 1.1 Fault with the problem's stable code in its detail. Faults are not signed: they change
 * nothing, and signing them would let anyone make the gateway spend an RSA signature per bad request.
 */
export function faultEnvelope(problem: Problem): string {
  const faultcode = problem instanceof EnvelopeFault ? problem.faultcode : problem.status >= 500 ? 'Server' : 'Client';
  const extensions = problem.extensions as { reason?: string; errors?: { path: string; message: string }[] };
  const detail = writeXml(
    'gatewayFault',
    {
      code: problem.code,
      message: problem.detail ?? problem.title,
      reason: extensions.reason,
      errors: extensions.errors?.map((e) => ({ path: e.path, message: e.message })),
    },
    GatewayFault,
    SOAP_SERVICE_NS,
  );
  const faultstring = writeXml('faultstring', problem.detail ?? problem.title, GatewayFault.properties.message);
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<soap:Envelope xmlns:soap="${SOAP_NS}"><soap:Body><soap:Fault><faultcode>soap:${faultcode}</faultcode>${faultstring}` +
    `<detail>${detail}</detail></soap:Fault></soap:Body></soap:Envelope>`
  );
}
