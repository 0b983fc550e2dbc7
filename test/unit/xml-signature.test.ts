import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignedXml } from 'xml-crypto';
import { certificateFingerprint } from '../../src/crypto/trust.js';
import { signXml, verifyXml, XmlSignatureError, type VerifyXmlOptions } from '../../src/crypto/xml-signature.js';
import { parseXmlDocument, XmlRefused } from '../../src/xml/safe-dom.js';
import { makeXmlTestKeys, type XmlTestKeys } from '../support/xml-test-keys.js';
import { SOAP_NS, soapBodyOf } from '../../src/xml/soap.js';

const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';

const EDXML =
  '<?xml version="1.0" encoding="UTF-8"?>' +
  '<edXMLEnvelope xmlns="urn:edxml:test"><edXMLHeader><From>000.00.00.H41</From></edXMLHeader>' +
  '<edXMLBody><HoTen>Nguyễn Văn A</HoTen><DiaChi>Phường Bến Thủy, TP Vinh</DiaChi></edXMLBody></edXMLEnvelope>';

const SOAP =
  `<soap:Envelope xmlns:soap="${SOAP_NS}" ` +
  'xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">' +
  '<soap:Header/><soap:Body wsu:Id="body"><m:NopHoSo xmlns:m="urn:lgsp:test"><m:MaHoSo>H41.01-240101-0001</m:MaHoSo>' +
  '<m:ChuHoSo>Trần Thị Bích Ngọc</m:ChuHoSo></m:NopHoSo></soap:Body></soap:Envelope>';

const HEADER_XPATH = "/*[local-name()='Envelope']/*[local-name()='Header']";

const whole: VerifyXmlOptions = { signedElement: (doc) => doc.documentElement };
const soapBody: VerifyXmlOptions = { signedElement: soapBodyOf };

let keys: XmlTestKeys;
beforeAll(() => {
  keys = makeXmlTestKeys();
});
afterAll(() => keys.cleanup());

function signSoap(xml = SOAP): string {
  return signXml(xml, keys.issued.signer, { referenceUri: '#body', location: { xpath: HEADER_XPATH, action: 'append' } });
}

function refusal(run: () => unknown): XmlSignatureError {
  try {
    run();
  } catch (error) {
    if (error instanceof XmlSignatureError) return error;
    throw error;
  }
  throw new Error('verification was expected to fail but succeeded');
}

function parseRefusal(run: () => unknown): XmlRefused {
  try {
    run();
  } catch (error) {
    if (error instanceof XmlRefused) return error;
    throw error;
  }
  throw new Error('parsing was expected to fail but succeeded');
}

/** Signs with xml-crypto directly, to make cryptographically valid signatures the gateway never produces. */
function signDirect(
  xml: string,
  options: {
    signatureAlgorithm?: string;
    digestAlgorithm?: string;
    transforms?: string[];
    xpaths?: string[];
    keyInfo?: string | null;
  } = {},
): string {
  const signed = new SignedXml({
    privateKey: readFileSync(keys.issued.keyPath),
    publicCert: readFileSync(keys.issued.certPath),
    signatureAlgorithm: options.signatureAlgorithm ?? RSA_SHA256,
    canonicalizationAlgorithm: EXC_C14N,
    ...(options.keyInfo === undefined ? {} : { getKeyInfoContent: () => options.keyInfo ?? null }),
  });
  for (const xpath of options.xpaths ?? ['/*']) {
    signed.addReference({
      xpath,
      isEmptyUri: xpath === '/*',
      transforms: options.transforms ?? [ENVELOPED, EXC_C14N],
      digestAlgorithm: options.digestAlgorithm ?? SHA256,
    });
  }
  signed.computeSignature(xml, { prefix: 'ds' });
  return signed.getSignedXml();
}

describe('signXml and verifyXml round trip', () => {
  it('verifies a whole-document (URI="") signature and returns the signer chain, leaf first', () => {
    const signed = signXml(EDXML, keys.issued.signer);
    const result = verifyXml(signed, whole);
    expect(result.signedElement).toBe(result.document.documentElement);
    expect(result.certificateChain.map(certificateFingerprint)).toEqual([keys.issued.signer.keyId]);
  });

  it('verifies a SOAP envelope whose Signature in soap:Header covers soap:Body by #id', () => {
    const signed = signSoap();
    const result = verifyXml(Buffer.from(signed, 'utf8'), soapBody);
    expect(result.signedElement.localName).toBe('Body');
    expect(result.signedElement.parentNode).toBe(result.document.documentElement);
    const signature = result.document.getElementsByTagNameNS('http://www.w3.org/2000/09/xmldsig#', 'Signature').item(0);
    expect((signature?.parentNode as Element | null)?.localName).toBe('Header');
  });

  it('keeps Vietnamese text with diacritics intact through signing and verifying (string and UTF-8 bytes)', () => {
    const signed = signXml(EDXML, keys.issued.signer);
    for (const input of [signed, Buffer.from(signed, 'utf8')]) {
      const { document } = verifyXml(input, whole);
      expect(document.getElementsByTagName('HoTen').item(0)?.textContent).toBe('Nguyễn Văn A');
      expect(document.getElementsByTagName('DiaChi').item(0)?.textContent).toBe('Phường Bến Thủy, TP Vinh');
    }
  });

  it('places the signature where location says', () => {
    const signed = signXml(EDXML, keys.issued.signer, {
      location: { xpath: "/*[local-name()='edXMLEnvelope']/*[local-name()='edXMLHeader']", action: 'after' },
    });
    const { document } = verifyXml(signed, whole);
    expect((document.documentElement.childNodes.item(1) as Element | null)?.localName).toBe('Signature');
  });

  it('refuses to sign a document that is already signed, or an #id that is not unique', () => {
    expect(() => signXml(signXml(EDXML, keys.issued.signer), keys.issued.signer)).toThrow(/already signed/);
    expect(() => signXml(EDXML, keys.issued.signer, { referenceUri: '#nowhere' })).toThrow(/matches 0 elements/);
  });
});

describe('verifyXml refuses tampering', () => {
  it('refuses a whole-document signature after one character of the body changed', () => {
    const tampered = signXml(EDXML, keys.issued.signer).replace('Nguyễn Văn A', 'Nguyễn Văn B');
    expect(refusal(() => verifyXml(tampered, whole)).reason).toMatch(/digest/);
  });

  it('refuses a SOAP #id signature after one character of the Body changed', () => {
    const tampered = signSoap().replace('H41.01-240101-0001', 'H41.01-240101-0002');
    const error = refusal(() => verifyXml(tampered, soapBody));
    expect(error.code).toBe('signature-invalid');
    expect(error.reason).toMatch(/digest/);
  });

  it('refuses a signature whose KeyInfo carries a different key than the one that signed', () => {
    const signed = signXml(EDXML, keys.issued.signer);
    const other = keys.unrelated.signer.certificateChain[0]?.raw.toString('base64') ?? '';
    const swapped = signed.replace(/<ds:X509Certificate>[^<]+</, `<ds:X509Certificate>${other}<`);
    expect(refusal(() => verifyXml(swapped, whole)).reason).toMatch(/SignatureValue does not verify/);
  });

  it('refuses a SignatureValue with one character changed', () => {
    const signed = signXml(EDXML, keys.issued.signer);
    const broken = signed.replace(/<ds:SignatureValue>(.)/, (_, c: string) => `<ds:SignatureValue>${c === 'A' ? 'B' : 'A'}`);
    expect(refusal(() => verifyXml(broken, whole)).reason).toMatch(/SignatureValue does not verify/);
  });
});

describe('verifyXml refusal rules', () => {
  it('reports signature-missing for a document without Signature', () => {
    const error = refusal(() => verifyXml(EDXML, whole));
    expect(error.code).toBe('signature-missing');
  });

  it('refuses two Signatures anywhere in the document', () => {
    const signed = signSoap();
    const signature = /<ds:Signature[\s\S]*<\/ds:Signature>/.exec(signed)?.[0] ?? '';
    const twice = signed.replace('</m:NopHoSo>', `</m:NopHoSo>${signature}`);
    expect(refusal(() => verifyXml(twice, soapBody)).reason).toMatch(/2 ds:Signature/);
  });

  it('refuses a validly signed SignedInfo with two References', () => {
    const signed = signDirect(SOAP, { xpaths: ['/*', "//*[local-name()='Body']"] });
    expect(refusal(() => verifyXml(signed, whole)).reason).toMatch(/exactly one Reference/);
  });

  it.each([
    ['http://evil.example/message.xml'],
    ['file:///etc/passwd'],
    ['#xpointer(/)'],
    ["#xpointer(id('body'))"],
    ['body'],
  ])('refuses Reference URI %s', (uri) => {
    const signed = signSoap().replace('URI="#body"', `URI="${uri.replace(/'/g, '&apos;')}"`);
    expect(refusal(() => verifyXml(signed, soapBody)).reason).toMatch(/not "" or a same-document #id/);
  });

  it('refuses a Reference without URI', () => {
    const signed = signSoap().replace(' URI="#body"', '');
    expect(refusal(() => verifyXml(signed, soapBody)).reason).toMatch(/no URI attribute/);
  });

  it('refuses an #id that matches no element', () => {
    const signed = signSoap().replace('URI="#body"', 'URI="#nosuch"');
    expect(refusal(() => verifyXml(signed, soapBody)).reason).toMatch(/matches 0 elements/);
  });

  it.each([['wsu:Id'], ['Id'], ['ID'], ['id']])(
    'refuses an #id that a second element also carries as %s, even with the signature intact',
    (attribute) => {
      const signed = signSoap().replace('<soap:Header>', `<soap:Header><Decoy ${attribute}="body"/>`);
      expect(refusal(() => verifyXml(signed, soapBody)).reason).toMatch(/matches 2 elements/);
    },
  );

  it.each([
    ['exc-c14n with comments', [ENVELOPED, 'http://www.w3.org/2001/10/xml-exc-c14n#WithComments']],
    ['inclusive c14n', [ENVELOPED, 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315']],
    ['enveloped-signature alone', [ENVELOPED]],
  ])('refuses validly signed transforms: %s', (_, transforms) => {
    const signed = signDirect(EDXML, { transforms });
    expect(refusal(() => verifyXml(signed, whole)).reason).toMatch(/transforms .* are refused/);
  });

  it('refuses an XPath transform', () => {
    const xpathTransform =
      '<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116"><ds:XPath>not(ancestor-or-self::ds:Signature)</ds:XPath></ds:Transform>';
    const signed = signXml(EDXML, keys.issued.signer).replace('<ds:Transforms>', `<ds:Transforms>${xpathTransform}`);
    expect(refusal(() => verifyXml(signed, whole)).reason).toMatch(/parameters/);
  });

  it('refuses an XSLT transform', () => {
    const signed = signXml(EDXML, keys.issued.signer).replace(
      `<ds:Transform Algorithm="${ENVELOPED}"/>`,
      '<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xslt-19991116"/>',
    );
    expect(refusal(() => verifyXml(signed, whole)).reason).toMatch(/transforms .* are refused/);
  });

  it('refuses a validly signed RSA-SHA1 signature', () => {
    const signed = signDirect(EDXML, { signatureAlgorithm: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1' });
    expect(refusal(() => verifyXml(signed, whole)).reason).toMatch(/SignatureMethod .*rsa-sha1 is refused/);
  });

  it('refuses a validly signed SHA-1 digest', () => {
    const signed = signDirect(EDXML, { digestAlgorithm: 'http://www.w3.org/2000/09/xmldsig#sha1' });
    expect(refusal(() => verifyXml(signed, whole)).reason).toMatch(/DigestMethod .*sha1 is refused/);
  });

  it('refuses a SignedInfo canonicalized with comments', () => {
    const signed = signXml(EDXML, keys.issued.signer).replace(
      `<ds:CanonicalizationMethod Algorithm="${EXC_C14N}"/>`,
      `<ds:CanonicalizationMethod Algorithm="${EXC_C14N}WithComments"/>`,
    );
    expect(refusal(() => verifyXml(signed, whole)).reason).toMatch(/CanonicalizationMethod .* is refused/);
  });

  it('refuses a correct signature made with an RSA-1024 key', () => {
    const signed = signXml(EDXML, keys.weak.signer);
    expect(refusal(() => verifyXml(signed, whole)).reason).toMatch(/at least 2048 bits/);
  });

  it('refuses a validly signed document without KeyInfo', () => {
    const signed = signDirect(EDXML, { keyInfo: null });
    expect(refusal(() => verifyXml(signed, whole)).reason).toMatch(/no KeyInfo/);
  });

  it.each([
    ['KeyName only', '<ds:KeyName>gateway</ds:KeyName>'],
    ['KeyValue only', '<ds:KeyValue><ds:RSAKeyValue><ds:Modulus>AQAB</ds:Modulus><ds:Exponent>AQAB</ds:Exponent></ds:RSAKeyValue></ds:KeyValue>'],
    ['X509Data without a certificate', '<ds:X509Data><ds:X509SubjectName>CN=Gateway XML Signer</ds:X509SubjectName></ds:X509Data>'],
  ])('refuses a validly signed KeyInfo with %s', (_, keyInfo) => {
    const signed = signDirect(EDXML, { keyInfo });
    expect(refusal(() => verifyXml(signed, whole)).reason).toMatch(/X509Data|X509Certificate/);
  });

  it('refuses a KeyInfo RetrievalMethod even next to a certificate', () => {
    const retrieval = '<ds:RetrievalMethod URI="http://evil.example/key" Type="http://www.w3.org/2000/09/xmldsig#X509Data"/>';
    const signed = signXml(EDXML, keys.issued.signer).replace('<ds:KeyInfo>', `<ds:KeyInfo>${retrieval}`);
    expect(refusal(() => verifyXml(signed, whole)).reason).toMatch(/RetrievalMethod/);
  });
});

describe('safe-dom refuses hostile input before parsing', () => {
  const parse = (input: string | Buffer, maxBytes = 1_000_000) => parseXmlDocument(input, { maxBytes });

  it('refuses a DOCTYPE with a billion-laughs entity expansion', () => {
    const lol =
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">' +
      '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><lolz>&lol3;</lolz>';
    expect(parseRefusal(() => parse(lol)).reason).toBe('doctype');
    expect(parseRefusal(() => verifyXml(lol, whole)).reason).toBe('doctype');
  });

  it('refuses an XXE external entity reading file:///etc/passwd', () => {
    const xxe = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>';
    expect(parseRefusal(() => parse(xxe)).reason).toBe('doctype');
  });

  it('refuses an ENTITY declaration even without a DOCTYPE keyword', () => {
    expect(parseRefusal(() => parse('<r><!ENTITY x "y"></r>')).reason).toBe('entity');
  });

  it('refuses bytes that are not valid UTF-8', () => {
    const bytes = Buffer.concat([Buffer.from('<r>Nguy'), Buffer.from([0xc3, 0x28]), Buffer.from('n</r>')]);
    expect(parseRefusal(() => parse(bytes)).reason).toBe('invalid_utf8');
  });

  it('refuses a declared encoding other than UTF-8', () => {
    expect(parseRefusal(() => parse('<?xml version="1.0" encoding="ISO-8859-1"?><r/>')).reason).toBe('unsupported_encoding');
  });

  it('refuses input over maxBytes, counting UTF-8 bytes not characters', () => {
    expect(parseRefusal(() => parse('<r>ễễễễ</r>', 15)).reason).toBe('too_large');
    expect(parse('<r>ễễễễ</r>', 19).documentElement.textContent).toBe('ễễễễ');
    const signed = signXml(EDXML, keys.issued.signer);
    expect(parseRefusal(() => verifyXml(signed, { ...whole, maxBytes: 100 })).reason).toBe('too_large');
  });

  it.each([
    ['an unclosed element', '<r><a></r>'],
    ['a duplicate attribute', '<r a="1" a="2"/>'],
    ['a stray ampersand', '<r>Tom & Jerry</r>'],
    ['an undefined entity', '<r>&nbsp;</r>'],
    ['an unbound element prefix', '<x:r/>'],
    ['an unbound attribute prefix', '<r x:a="1"/>'],
    ['a reference to the NUL character', '<r>&#0;</r>'],
    ['a raw control character', '<r>\u0001</r>'],
    ['text after the document element', '<r/>trailing'],
    ['a second document element', '<r/><s/>'],
    ['text only', 'not xml'],
    ['an empty string', ''],
  ])('refuses malformed XML: %s', (_, xml) => {
    expect(parseRefusal(() => parse(xml)).reason).toBe('malformed');
  });

  it('accepts & and markup-like text inside CDATA', () => {
    expect(parse('<r><![CDATA[Tom & Jerry <!-- not a comment --> <?pi?>]]></r>').documentElement.textContent).toBe(
      'Tom & Jerry <!-- not a comment --> <?pi?>',
    );
  });

  it('refuses processing instructions other than the XML declaration', () => {
    expect(parseRefusal(() => parse('<?xml-stylesheet href="x.xsl"?><r/>')).reason).toBe('processing_instruction');
    expect(parseRefusal(() => parse('<?xml version="1.0"?><r><?php evil()?></r>')).reason).toBe('processing_instruction');
    expect(parse('<?xml version="1.0" encoding="utf-8"?><r/>').documentElement.localName).toBe('r');
  });

  it('refuses comments anywhere', () => {
    expect(parseRefusal(() => parse('<!-- before --><r/>')).reason).toBe('comment');
    expect(parseRefusal(() => parse('<r><a>x<!---->y</a></r>')).reason).toBe('comment');
  });

  it('refuses a comment hidden from the text scan by a CDATA opener inside an attribute value', () => {
    const hidden = '<r a="<![CDATA["><HoTen>A<!---->Evil</HoTen><b c="]]>"/></r>';
    expect(parseRefusal(() => parse(hidden)).reason).toBe('comment');
  });

  it('accepts xml:lang and namespaced attributes', () => {
    const doc = parse('<r xml:lang="vi" xmlns:a="urn:a" a:b="1"><a:c/></r>');
    expect(doc.documentElement.getAttributeNS('http://www.w3.org/XML/1998/namespace', 'lang')).toBe('vi');
  });
});
