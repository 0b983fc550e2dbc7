// The one XML parser for signed messages. Everything a signature cannot protect, or that lets the
// bytes a verifier digests differ from the values a reader sees, is refused: entity tricks (billion
// laughs, XXE), processing instructions, comments, and anything xmldom would otherwise "repair"
// silently. A text scan refuses before xmldom runs; a walk over the parsed tree is the final word,
// because a text scan cannot tell markup from CDATA content in every malformed case.
import { DOMParser } from '@xmldom/xmldom';

export type XmlRefusalReason =
  | 'too_large'
  | 'invalid_utf8'
  | 'unsupported_encoding'
  | 'doctype'
  | 'entity'
  | 'processing_instruction'
  | 'comment'
  | 'too_deep'
  | 'malformed';

export class XmlRefused extends Error {
  override readonly name = 'XmlRefused';
  constructor(
    readonly reason: XmlRefusalReason,
    message: string,
  ) {
    super(message);
  }
}

export interface ParseXmlOptions {
  /** Refuse input over this many bytes (UTF-8) before decoding or parsing it. */
  maxBytes: number;
  /** Refuse elements nested deeper than this (default 64), counted in the text before xmldom runs. */
  maxDepth?: number;
}

/** Deeper than any envelope the gateway reads (SOAP, edXML, signatures nest about 10 levels). */
export const DEFAULT_MAX_XML_DEPTH = 64;

// Only the declaration may open the document; `<?` anywhere else is a processing instruction.
const XML_DECLARATION = /^<\?xml\s[^?]*\?>/;
const DECLARED_ENCODING = /\sencoding\s*=\s*["']([^"']*)["']/;
const CDATA_SECTION = /<!\[CDATA\[[\s\S]*?\]\]>/g;
/** An `&` that does not start a predefined entity or a character reference. */
const STRAY_AMPERSAND = /&(?!(?:lt|gt|amp|quot|apos|#[0-9]+|#x[0-9A-Fa-f]+);)/;
const CHARACTER_REFERENCE = /&#(x[0-9A-Fa-f]+|[0-9]+);/g;
/** Characters XML 1.0 forbids, raw or as references (xmldom lets `&#0;` through). */
const FORBIDDEN_CHARACTER = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

const ELEMENT_NODE = 1;
const TEXT_NODE = 3;
const CDATA_SECTION_NODE = 4;
const ENTITY_REFERENCE_NODE = 5;
const PROCESSING_INSTRUCTION_NODE = 7;
const COMMENT_NODE = 8;
const DOCUMENT_TYPE_NODE = 10;

export function parseXmlDocument(input: string | Buffer, options: ParseXmlOptions): Document {
  const size = typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.length;
  if (size > options.maxBytes) {
    throw new XmlRefused('too_large', `XML is ${size} bytes, over the limit of ${options.maxBytes}`);
  }
  const text = typeof input === 'string' ? input : decodeUtf8(input);
  refuseUnsafeText(text, options.maxDepth ?? DEFAULT_MAX_XML_DEPTH);

  const problems: string[] = [];
  const document = new DOMParser({
    // xmldom reports and carries on (unclosed tags, duplicate attributes, unknown entities); a
    // repaired tree is not what the sender signed, so every report is a refusal.
    errorHandler: (level: string, message: unknown) => {
      problems.push(`${level}: ${String(message).split('\n')[0]}`);
    },
  }).parseFromString(text, 'text/xml');
  if (problems.length > 0) {
    throw new XmlRefused('malformed', `XML is not well-formed (${problems[0]})`);
  }
  if (document.documentElement == null) {
    throw new XmlRefused('malformed', 'XML has no document element');
  }
  refuseUnsafeNodes(document);
  return document;
}

function decodeUtf8(bytes: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new XmlRefused('invalid_utf8', 'XML is not valid UTF-8');
  }
}

function refuseUnsafeText(text: string, maxDepth: number): void {
  const raw = text.startsWith('\uFEFF') ? text.slice(1) : text;
  // Searched in the raw text, CDATA included, so that no trick can get a DTD to the parser.
  if (/<!DOCTYPE/i.test(raw)) throw new XmlRefused('doctype', 'XML with a DOCTYPE is refused');
  if (/<!ENTITY/i.test(raw)) throw new XmlRefused('entity', 'XML with an entity declaration is refused');
  if (FORBIDDEN_CHARACTER.test(raw)) throw new XmlRefused('malformed', 'XML contains a character XML forbids');

  // With CDATA set aside, `<` only opens markup and `&` only starts a reference.
  const markup = raw.replace(CDATA_SECTION, '');
  // Comments are refused everywhere, not only inside signed content: exclusive c14n drops them, so
  // `<HoTen>A<!---->Evil</HoTen>` digests like `<HoTen>AEvil</HoTen>` while a reader taking the first
  // text node sees "A". Deciding what is "signed content" would need the signature first, and the
  // gateway's partners have no reason to send comments.
  if (markup.includes('<!--')) throw new XmlRefused('comment', 'XML with a comment is refused');
  const declaration = XML_DECLARATION.exec(markup)?.[0];
  if (markup.indexOf('<?', declaration?.length ?? 0) !== -1) {
    throw new XmlRefused('processing_instruction', 'XML with a processing instruction is refused');
  }
  const encoding = declaration === undefined ? undefined : DECLARED_ENCODING.exec(declaration)?.[1];
  if (encoding !== undefined && encoding.toLowerCase() !== 'utf-8') {
    // The text was decoded as UTF-8; a document claiming another encoding means something else.
    throw new XmlRefused('unsupported_encoding', `XML declares encoding ${encoding}; only UTF-8 is accepted`);
  }
  if (nestingExceeds(markup, maxDepth)) throw new XmlRefused('too_deep', `XML may nest elements at most ${maxDepth} levels`);
  if (STRAY_AMPERSAND.test(markup)) throw new XmlRefused('malformed', 'XML has an undefined entity or a stray &');
  for (const [, reference = ''] of markup.matchAll(CHARACTER_REFERENCE)) {
    const code = reference.startsWith('x') ? parseInt(reference.slice(1), 16) : Number(reference);
    const surrogate = code >= 0xd800 && code <= 0xdfff;
    if (!(code <= 0x10ffff) || surrogate || FORBIDDEN_CHARACTER.test(String.fromCodePoint(code))) {
      throw new XmlRefused('malformed', `XML refers to the forbidden character &#${reference};`);
    }
  }
}

/**
 * Whether elements nest deeper than `limit`, from the text with CDATA set aside. One pass: each tag
 * is read to its `>`, quoted attribute values skipped (they may hold `>`), so no input makes it slow.
 */
function nestingExceeds(markup: string, limit: number): boolean {
  let depth = 0;
  for (let start = markup.indexOf('<'); start !== -1; ) {
    let end = start + 1;
    let quote = '';
    for (; end < markup.length; end++) {
      const c = markup[end];
      if (quote) {
        if (c === quote) quote = '';
      } else if (c === '"' || c === "'") quote = c;
      else if (c === '>') break;
    }
    if (end >= markup.length) return false; // an unterminated tag: xmldom refuses it as malformed
    const kind = markup[start + 1];
    if (kind === '/') depth--;
    else if (kind !== '?' && kind !== '!' && markup[end - 1] !== '/' && ++depth > limit) return true;
    start = markup.indexOf('<', end);
  }
  return false;
}

// Also catches what xmldom 0.8 accepts without a report: text around the document element and
// prefixes bound to no namespace, which another parser would read differently.
function refuseUnsafeNodes(document: Document): void {
  for (let node = document.firstChild; node; node = node.nextSibling) {
    const declaration =
      node === document.firstChild && node.nodeType === PROCESSING_INSTRUCTION_NODE && node.nodeName === 'xml';
    const blank = node.nodeType === TEXT_NODE && (node.nodeValue ?? '').trim() === '';
    if (!declaration && !blank && node !== document.documentElement) refuseNode(node);
  }
  const pending: Node[] = [document.documentElement];
  for (let node = pending.pop(); node; node = pending.pop()) {
    if (node.nodeType === ELEMENT_NODE) {
      refuseUnboundPrefixes(node as Element);
      for (let child = node.firstChild; child; child = child.nextSibling) pending.push(child);
    } else if (node.nodeType !== TEXT_NODE && node.nodeType !== CDATA_SECTION_NODE) {
      refuseNode(node);
    }
  }
}

function refuseNode(node: Node): never {
  switch (node.nodeType) {
    case COMMENT_NODE:
      throw new XmlRefused('comment', 'XML with a comment is refused');
    case PROCESSING_INSTRUCTION_NODE:
      throw new XmlRefused('processing_instruction', 'XML with a processing instruction is refused');
    case DOCUMENT_TYPE_NODE:
      throw new XmlRefused('doctype', 'XML with a DOCTYPE is refused');
    case ENTITY_REFERENCE_NODE:
      throw new XmlRefused('entity', 'XML with an entity reference is refused');
    default:
      throw new XmlRefused('malformed', 'XML has content outside the document element');
  }
}

function refuseUnboundPrefixes(element: Element): void {
  if (element.prefix && !element.namespaceURI) {
    throw new XmlRefused('malformed', `XML uses the unbound prefix ${element.prefix}`);
  }
  for (let i = 0; i < element.attributes.length; i++) {
    const attribute = element.attributes.item(i) as Attr;
    if (attribute.prefix && attribute.prefix !== 'xmlns' && !attribute.namespaceURI) {
      throw new XmlRefused('malformed', `XML uses the unbound prefix ${attribute.prefix}`);
    }
  }
}
