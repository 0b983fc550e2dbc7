// Reading SOAP messages into the canonical model and writing answers back, by the TypeBox schema:
// structure is decided here (unknown, repeated or foreign elements refused with their path), values
// are left for the canonical validator; envelopes the front door does not serve are refused.
import { describe, expect, it } from 'vitest';
import { Problem } from '../../src/core/problems.js';
import { EnvelopeFault, WSSE_NS, readSoapCall } from '../../src/soap/envelope.js';
import { OPERATIONS, SOAP_SERVICE_NS } from '../../src/soap/messages.js';
import { readXml, writeXml } from '../../src/soap/xml-model.js';
import { parseXmlDocument } from '../../src/xml/safe-dom.js';
import { SOAP_NS } from '../../src/xml/soap.js';
import { sampleDossier } from '../support/dossiers.js';

const parse = (xml: string) => parseXmlDocument(xml, { maxBytes: 1 << 20 }).documentElement;
const request = OPERATIONS.SubmitDossier.request;

function refusal(fn: () => unknown): Problem {
  try {
    fn();
  } catch (error) {
    if (error instanceof Problem) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('readXml and writeXml', () => {
  it('round-trips a dossier with lists, numbers, booleans and Vietnamese text', () => {
    const dossier = sampleDossier('RT-1', {
      summary: 'Đăng ký kết hôn <có yếu tố nước ngoài> & ghi chú',
      documents: [{ id: 'a', name: 'Tờ khai', digitised: true }, { id: 'b', name: 'Hộ chiếu', reused: false }],
      fees: [{ code: 'LP', name: 'Lệ phí', amount: 1_500_000 }],
    });
    const xml = writeXml('SubmitDossier', { dossier, lane: 'bulk' }, request, SOAP_SERVICE_NS);
    expect(xml).toContain('<documents><document><id>a</id>');
    expect(readXml(parse(xml), request)).toEqual({ dossier, lane: 'bulk' });
  });

  // Issue 15: booleans as .NET and Java write them, and pass-through portal fields as JSON text.
  it('reads True/False as booleans and carries pass-through portal fields as a JSON object', () => {
    const dossier = sampleDossier('RT-3', {
      documents: [{ id: 'a', name: 'Tờ khai', deleted: false, portalFields: { DuocLayTuKhoDMQG: '1', MaKetQuaThayThe: 'KQ <1> & 2' } }],
      portalFields: { DSKetNoiCSDL: [{ MaCSDL: '7' }] },
    });
    const xml = writeXml('SubmitDossier', { dossier }, request, SOAP_SERVICE_NS);
    expect(xml).toContain('<portalFields>{"DSKetNoiCSDL":[{"MaCSDL":"7"}]}</portalFields>');
    expect(readXml(parse(xml), request)).toEqual({ dossier });
    const dotNet = readXml(parse(xml.replace('<deleted>false</deleted>', '<deleted>True</deleted>')), request) as { dossier: { documents: { deleted: unknown }[] } };
    expect(dotNet.dossier.documents[0]!.deleted).toBe(true);
    expect(refusal(() => readXml(parse(xml.replace('{"DSKetNoiCSDL":[{"MaCSDL":"7"}]}', 'not json')), request)).extensions.errors).toEqual([
      { path: '/dossier/portalFields', message: 'holds no JSON object' },
    ]);
  });

  it('leaves a value of the wrong type as text, for the validator to name', () => {
    const xml = writeXml('SubmitDossier', { dossier: sampleDossier('RT-2', { fees: [{ code: 'X', name: 'Phí', amount: 5 }] }) }, request, SOAP_SERVICE_NS);
    const read = readXml(parse(xml.replace('<amount>5</amount>', '<amount>năm</amount>')), request) as { dossier: { fees: { amount: unknown }[] } };
    expect(read.dossier.fees[0]!.amount).toBe('năm');
  });

  it('treats xsi:nil as absent', () => {
    const xml = `<SubmitDossier xmlns="${SOAP_SERVICE_NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><lane xsi:nil="true"/></SubmitDossier>`;
    expect(readXml(parse(xml), request)).toEqual({});
  });

  it.each([
    ['an unknown element', `<SubmitDossier xmlns="${SOAP_SERVICE_NS}"><dossier><secret>x</secret></dossier></SubmitDossier>`, '/dossier/secret'],
    ['a repeated element', `<SubmitDossier xmlns="${SOAP_SERVICE_NS}"><lane>live</lane><lane>bulk</lane></SubmitDossier>`, '/lane'],
    ['an element in another namespace', `<SubmitDossier xmlns="${SOAP_SERVICE_NS}"><x:lane xmlns:x="urn:other">live</x:lane></SubmitDossier>`, '/lane'],
    ['a foreign item in a list', `<SubmitDossier xmlns="${SOAP_SERVICE_NS}"><dossier><fees><document/></fees></dossier></SubmitDossier>`, '/dossier/fees/document'],
    ['elements inside a value', `<SubmitDossier xmlns="${SOAP_SERVICE_NS}"><lane><b>live</b></lane></SubmitDossier>`, '/lane'],
  ])('refuses %s, naming its path', (_what, xml, path) => {
    const problem = refusal(() => readXml(parse(xml), request));
    expect(problem.code).toBe('invalid-request');
    expect((problem.extensions.errors as { path: string }[])[0]!.path).toBe(path);
  });
});

describe('readSoapCall', () => {
  const envelope = (header: string, body: string) => `<s:Envelope xmlns:s="${SOAP_NS}"><s:Header>${header}</s:Header><s:Body>${body}</s:Body></s:Envelope>`;
  const call = `<GetDossierState xmlns="${SOAP_SERVICE_NS}"><dossierCode>A-1</dossierCode></GetDossierState>`;
  const token = (type: string) =>
    `<w:Security xmlns:w="${WSSE_NS}"><w:UsernameToken><w:Username>p</w:Username><w:Password Type="${type}">k</w:Password></w:UsernameToken></w:Security>`;

  it('finds the operation and a PasswordText UsernameToken', () => {
    const read = readSoapCall(parseXmlDocument(envelope(token('http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText'), call), { maxBytes: 1 << 20 }));
    expect(read).toMatchObject({ operation: 'GetDossierState', usernameToken: { username: 'p', password: 'k' }, signed: false });
  });

  it.each([
    ['a header it must understand but does not', envelope(`<t:Tx xmlns:t="urn:tx" s:mustUnderstand="1"/>`, call), 'MustUnderstand'],
    ['a PasswordDigest', envelope(token('http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest'), call), 'unauthenticated'],
    ['two operations in one Body', envelope('', call + call), 'invalid-request'],
    ['an unknown operation', envelope('', `<DeleteDossier xmlns="${SOAP_SERVICE_NS}"/>`), 'invalid-request'],
    ['a SOAP 1.2 envelope', `<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body>${call}</e:Body></e:Envelope>`, 'VersionMismatch'],
  ])('refuses %s', (_what, xml, expected) => {
    const problem = refusal(() => readSoapCall(parseXmlDocument(xml, { maxBytes: 1 << 20 })));
    expect(problem instanceof EnvelopeFault ? problem.faultcode : problem.code).toBe(expected);
  });
});
