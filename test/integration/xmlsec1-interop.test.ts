// Interoperability with xmlsec1 (libxmlsec1 on OpenSSL), an implementation independent of xml-crypto:
// what the gateway signs must verify there, and what xmlsec1 signs must verify here.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificateFingerprint } from '../../src/crypto/trust.js';
import { signXml, verifyXml } from '../../src/crypto/xml-signature.js';
import { makeXmlTestKeys, type XmlTestKeys } from '../support/xml-test-keys.js';
import { SOAP_NS, soapBodyOf } from '../../src/xml/soap.js';

const XMLSEC1 = '/usr/bin/xmlsec1';

const EDXML =
  '<?xml version="1.0" encoding="UTF-8"?>\n<edXMLEnvelope xmlns="urn:edxml:test"><edXMLBody>' +
  '<HoTen>Nguyễn Thị Hồng Nhung</HoTen><SoTien>150000</SoTien></edXMLBody></edXMLEnvelope>';
const SOAP =
  `<soap:Envelope xmlns:soap="${SOAP_NS}" ` +
  'xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"><soap:Header/>' +
  '<soap:Body wsu:Id="body"><m:TraCuuHoSo xmlns:m="urn:lgsp:test"><m:MaHoSo>H41.01-240101-0001</m:MaHoSo>' +
  '<m:NguoiNop>Lê Văn Đức</m:NguoiNop></m:TraCuuHoSo></soap:Body></soap:Envelope>';

// A template in the form xmlsec1 fills in: empty DigestValue and SignatureValue, and an empty
// X509Data where it writes the certificate.
const TEMPLATE = `<?xml version="1.0" encoding="UTF-8"?>
<edXMLEnvelope xmlns="urn:edxml:test">
  <edXMLBody><HoTen>Trần Thị Bích Ngọc</HoTen><DiaChi>Xã Hưng Lộc, Nghệ An</DiaChi></edXMLBody>
  <ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
    <ds:SignedInfo>
      <ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>
      <ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>
      <ds:Reference URI="">
        <ds:Transforms>
          <ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>
          <ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>
        </ds:Transforms>
        <ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>
        <ds:DigestValue/>
      </ds:Reference>
    </ds:SignedInfo>
    <ds:SignatureValue/>
    <ds:KeyInfo><ds:X509Data/></ds:KeyInfo>
  </ds:Signature>
</edXMLEnvelope>
`;

let keys: XmlTestKeys;
beforeAll(() => {
  keys = makeXmlTestKeys();
});
afterAll(() => keys.cleanup());

function writeMessage(name: string, xml: string): string {
  const file = join(keys.dir, name);
  writeFileSync(file, xml);
  return file;
}

/**
 * Verifies as a strict partner would: the certificate in KeyInfo must chain to the test CA, only
 * X509 key data is used, and only same-document references are followed. `--id-attr` tells xmlsec1
 * which attribute is an ID, as there is no DTD or schema to say so.
 */
function xmlsecVerify(file: string, idAttribute?: string) {
  const args = ['--verify', '--trusted-pem', keys.caCertPath, '--enabled-key-data', 'x509', '--enabled-reference-uris', 'empty,same-doc'];
  if (idAttribute) args.push('--id-attr:Id', idAttribute);
  const run = spawnSync(XMLSEC1, [...args, file], { encoding: 'utf8' });
  return { ok: run.status === 0, output: `${run.stdout}${run.stderr}` };
}

const soapBody = soapBodyOf;

describe('xmlsec1 verifies what the gateway signs', () => {
  it('accepts a whole-document signature, and refuses it after one character of the body changed', () => {
    const signed = signXml(EDXML, keys.issued.signer);
    const accepted = xmlsecVerify(writeMessage('edxml.xml', signed));
    expect(accepted.output).toContain('OK');
    expect(accepted.ok).toBe(true);

    const tampered = xmlsecVerify(writeMessage('edxml-tampered.xml', signed.replace('150000', '150001')));
    expect(tampered.ok).toBe(false);
    expect(tampered.output).toMatch(/FAIL|digest/i);
  });

  it('accepts a SOAP signature in soap:Header over soap:Body#body, and refuses it after one character changed', () => {
    const signed = signXml(SOAP, keys.issued.signer, {
      referenceUri: '#body',
      location: { xpath: "/*[local-name()='Envelope']/*[local-name()='Header']", action: 'append' },
    });
    const idAttribute = `${SOAP_NS}:Body`;
    const accepted = xmlsecVerify(writeMessage('soap.xml', signed), idAttribute);
    expect(accepted.output).toContain('OK');
    expect(accepted.ok).toBe(true);

    const tampered = xmlsecVerify(writeMessage('soap-tampered.xml', signed.replace('Lê Văn Đức', 'Lê Văn Đúc')), idAttribute);
    expect(tampered.ok).toBe(false);
  });

  it('refuses, in xmlsec1 too, a signature from a signer the trusted CA did not issue', () => {
    const signed = signXml(EDXML, keys.unrelated.signer);
    expect(xmlsecVerify(writeMessage('edxml-unrelated.xml', signed)).ok).toBe(false);
  });
});

describe('the gateway verifies what xmlsec1 signs', () => {
  it('accepts a message xmlsec1 --sign made from a template, with the signer certificate first', () => {
    const template = writeMessage('template.xml', TEMPLATE);
    const output = join(keys.dir, 'xmlsec-signed.xml');
    const run = spawnSync(
      XMLSEC1,
      ['--sign', '--privkey-pem', `${keys.issued.keyPath},${keys.issued.certPath}`, '--output', output, template],
      { encoding: 'utf8' },
    );
    expect(run.status, run.stderr).toBe(0);

    const signed = readFileSync(output);
    const result = verifyXml(signed, { signedElement: (doc) => doc.documentElement });
    expect(result.certificateChain.map(certificateFingerprint)).toEqual([keys.issued.signer.keyId]);
    expect(result.document.getElementsByTagName('HoTen').item(0)?.textContent).toBe('Trần Thị Bích Ngọc');

    const tampered = signed.toString('utf8').replace('Nghệ An', 'Nghệ Am');
    expect(() => verifyXml(tampered, { signedElement: (doc) => doc.documentElement })).toThrow(/digest/);
  });

  it('accepts a SOAP message xmlsec1 --sign made with a signature in soap:Header over soap:Body#body', () => {
    const signatureTemplate = /<ds:Signature[\s\S]*<\/ds:Signature>/.exec(TEMPLATE)?.[0] ?? '';
    const soapTemplate = SOAP.replace('<soap:Header/>', `<soap:Header>${signatureTemplate}</soap:Header>`).replace(
      '<ds:Reference URI="">',
      '<ds:Reference URI="#body">',
    );
    const template = writeMessage('soap-template.xml', soapTemplate);
    const output = join(keys.dir, 'xmlsec-signed-soap.xml');
    const run = spawnSync(
      XMLSEC1,
      ['--sign', '--privkey-pem', `${keys.issued.keyPath},${keys.issued.certPath}`, '--id-attr:Id', `${SOAP_NS}:Body`, '--output', output, template],
      { encoding: 'utf8' },
    );
    expect(run.status, run.stderr).toBe(0);

    const result = verifyXml(readFileSync(output), { signedElement: soapBody });
    expect(result.signedElement.getElementsByTagNameNS('urn:lgsp:test', 'NguoiNop').item(0)?.textContent).toBe('Lê Văn Đức');
  });
});
