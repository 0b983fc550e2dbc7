// Known XMLDSig attacks against the gateway's verifier. Each starts from a message the gateway signed
// and rearranges it so that the signature itself still checks out somewhere in the document.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOMParser } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import { signXml, verifyXml, XmlSignatureError, type VerifyXmlOptions } from '../../src/crypto/xml-signature.js';
import { XmlRefused } from '../../src/xml/safe-dom.js';
import { makeXmlTestKeys, type XmlTestKeys } from '../support/xml-test-keys.js';
import { SOAP_NS, soapBodyOf } from '../../src/xml/soap.js';

const WSU_NS = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd';

const EDXML =
  '<edXMLEnvelope xmlns="urn:edxml:test"><edXMLBody><HoTen>Nguyễn Văn AEvil</HoTen><SoTien>150000</SoTien></edXMLBody></edXMLEnvelope>';
const EVIL_EDXML = '<edXMLEnvelope xmlns="urn:edxml:test"><edXMLBody><HoTen>Kẻ Gian</HoTen><SoTien>999999999</SoTien></edXMLBody>';

const SOAP =
  `<soap:Envelope xmlns:soap="${SOAP_NS}" xmlns:wsu="${WSU_NS}"><soap:Header/>` +
  '<soap:Body wsu:Id="body"><m:ThanhToan xmlns:m="urn:lgsp:test"><m:SoTien>150000</m:SoTien></m:ThanhToan></soap:Body></soap:Envelope>';
const EVIL_BODY = '<soap:Body><m:ThanhToan xmlns:m="urn:lgsp:test"><m:SoTien>999999999</m:SoTien></m:ThanhToan></soap:Body>';

const whole: VerifyXmlOptions = { signedElement: (doc) => doc.documentElement };
const soapBody: VerifyXmlOptions = { signedElement: soapBodyOf };

let keys: XmlTestKeys;
let signedEdxml: string;
let signedSoap: string;
beforeAll(() => {
  keys = makeXmlTestKeys();
  signedEdxml = signXml(EDXML, keys.issued.signer);
  signedSoap = signXml(SOAP, keys.issued.signer, {
    referenceUri: '#body',
    location: { xpath: "/*[local-name()='Envelope']/*[local-name()='Header']", action: 'append' },
  });
});
afterAll(() => keys.cleanup());

function refused(input: string, options: VerifyXmlOptions): XmlSignatureError | XmlRefused {
  try {
    verifyXml(input, options);
  } catch (error) {
    if (error instanceof XmlSignatureError || error instanceof XmlRefused) return error;
    throw error;
  }
  throw new Error('the attack was accepted');
}

/** xml-crypto's own verdict, to show the attack is digest- and signature-valid on its own terms. */
function xmlCryptoAccepts(xml: string): boolean {
  const checker = new SignedXml({ publicCert: readFileSync(keys.issued.certPath) });
  const signature = checker.findSignatures(new DOMParser().parseFromString(xml, 'text/xml'))[0];
  if (!signature) return false;
  checker.loadSignature(signature);
  return checker.checkSignature(xml);
}

const signatureOf = (xml: string) => /<ds:Signature[\s\S]*<\/ds:Signature>/.exec(xml)?.[0] ?? '';
const withoutSignature = (xml: string) => xml.replace(signatureOf(xml), '');

describe('signature wrapping, whole-document reference', () => {
  it('refuses the signed document moved into a wrapper under an unsigned twin root', () => {
    const signedRoot = signedEdxml.replace(/^<\?xml[^>]*\?>/, '');
    const attack = `${EVIL_EDXML}<Wrapper>${signedRoot}</Wrapper></edXMLEnvelope>`;
    expect(refused(attack, whole)).toMatchObject({ code: 'signature-invalid', reason: expect.stringMatching(/digest/) });
  });

  it('refuses the signed document moved into ds:Object of its own Signature, under an unsigned twin root', () => {
    const signature = signatureOf(signedEdxml);
    const original = withoutSignature(signedEdxml);
    const attack = `${EVIL_EDXML}${signature.replace('</ds:Signature>', `<ds:Object>${original}</ds:Object></ds:Signature>`)}</edXMLEnvelope>`;
    expect(refused(attack, whole)).toMatchObject({ code: 'signature-invalid', reason: expect.stringMatching(/unexpected Object/) });
  });
});

describe('signature wrapping, SOAP Body #id reference', () => {
  it('refuses the signed Body moved into a soap:Header wrapper and an unsigned Body read in its place', () => {
    const signedBody = /<soap:Body[\s\S]*<\/soap:Body>/.exec(signedSoap)?.[0] ?? '';
    const attack = signedSoap
      .replace(signedBody, EVIL_BODY)
      .replace('</soap:Header>', `<Wrapper>${signedBody}</Wrapper></soap:Header>`);
    // Digest and signature are intact: only the position check stands between this and acceptance.
    expect(xmlCryptoAccepts(attack)).toBe(true);
    expect(refused(attack, soapBody)).toMatchObject({
      code: 'signature-invalid',
      reason: expect.stringMatching(/does not cover the element the message is read from/),
    });
  });

  it('refuses the signed Body moved into ds:Object and an unsigned Body read in its place', () => {
    const signedBody = /<soap:Body[\s\S]*<\/soap:Body>/.exec(signedSoap)?.[0] ?? '';
    const attack = signedSoap
      .replace(signedBody, EVIL_BODY)
      .replace('</ds:Signature>', `<ds:Object>${signedBody}</ds:Object></ds:Signature>`);
    expect(refused(attack, soapBody)).toMatchObject({ code: 'signature-invalid' });
  });

  it('refuses an unsigned Body that copies the signed Body wsu:Id, with the signed one kept in a wrapper', () => {
    const signedBody = /<soap:Body[\s\S]*<\/soap:Body>/.exec(signedSoap)?.[0] ?? '';
    const attack = signedSoap
      .replace(signedBody, EVIL_BODY.replace('<soap:Body>', '<soap:Body wsu:Id="body">'))
      .replace('</soap:Header>', `<Wrapper>${signedBody}</Wrapper></soap:Header>`);
    expect(refused(attack, soapBody)).toMatchObject({ reason: expect.stringMatching(/matches 2 elements/) });
  });

  it('refuses a second soap:Body after the signed one', () => {
    const attack = signedSoap.replace('</soap:Body>', `</soap:Body>${EVIL_BODY}`);
    // Whichever Body the caller reads must be the one signed; here it reads the twin.
    const readsLast: VerifyXmlOptions = {
      signedElement: (doc) => doc.getElementsByTagNameNS(SOAP_NS, 'Body').item(1),
    };
    expect(refused(attack, readsLast)).toMatchObject({ reason: expect.stringMatching(/does not cover/) });
  });
});

describe('comments inside signed text', () => {
  it('refuses a comment splitting a signed text node, though it stays digest-valid after exc-c14n', () => {
    const attack = signedEdxml.replace('Nguyễn Văn AEvil', 'Nguyễn Văn A<!---->Evil');
    expect(xmlCryptoAccepts(attack)).toBe(true);
    expect(refused(attack, whole)).toMatchObject({ reason: 'comment' });
  });

  it('refuses a comment inside the signed SOAP Body', () => {
    const attack = signedSoap.replace('150000', '1<!-- -->50000');
    expect(refused(attack, soapBody)).toMatchObject({ reason: 'comment' });
  });
});

describe('more than one signature', () => {
  it('refuses a second, validly made Signature added next to the first', () => {
    const other = signXml(EVIL_EDXML + '</edXMLEnvelope>', keys.unrelated.signer);
    const attack = signedEdxml.replace('</edXMLEnvelope>', `${signatureOf(other)}</edXMLEnvelope>`);
    expect(refused(attack, whole)).toMatchObject({ reason: expect.stringMatching(/2 ds:Signature/) });
  });

  it('refuses a copy of the Signature hidden inside the signed Body', () => {
    const attack = signedSoap.replace('</m:ThanhToan>', `</m:ThanhToan>${signatureOf(signedSoap)}`);
    expect(refused(attack, soapBody)).toMatchObject({ reason: expect.stringMatching(/2 ds:Signature/) });
  });
});

describe('references to content outside the document', () => {
  it.each([
    ['an http URL', 'http://evil.example/ThanhToan.xml'],
    ['a file URL', 'file:///etc/passwd'],
    ['a relative file', 'body.xml'],
    ['an XPointer expression', '#xpointer(//*[local-name()=&apos;Body&apos;])'],
  ])('refuses a Reference to %s', (_, uri) => {
    const attack = signedSoap.replace('URI="#body"', `URI="${uri}"`);
    expect(refused(attack, soapBody)).toMatchObject({ reason: expect.stringMatching(/not "" or a same-document #id/) });
  });
});
