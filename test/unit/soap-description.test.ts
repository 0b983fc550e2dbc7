// The SOAP front door's service description: the XSD is rendered from the TypeBox messages (so it
// cannot drift from what the endpoint reads and writes), and the `soap` package, a WSDL reader that
// shares no code with the gateway, finds the three operations with the canonical model's element names.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import soap from 'soap';
import { describe, expect, it } from 'vitest';
import { renderXsd } from '../../src/soap/xsd.js';

const WSDL = fileURLToPath(new URL('../../schemas/soap/one-stop.wsdl', import.meta.url));

describe('the SOAP front door description', () => {
  it('schemas/soap/one-stop.xsd is up to date with the TypeBox messages (run npm run schemas)', async () => {
    expect(await readFile(new URL('../../schemas/soap/one-stop.xsd', import.meta.url), 'utf8')).toBe(renderXsd());
  });

  it('is read by the soap package: three operations, the English names of /v1, enumerations and dates typed', async () => {
    const client = await soap.createClientAsync(WSDL);
    const port = client.describe().OneStopService.OneStopSoap;
    expect(Object.keys(port)).toEqual(['SubmitDossier', 'SubmitProgressEvent', 'GetDossierState']);
    const dossier = port.SubmitDossier.input.dossier;
    expect(dossier.applicant.idNumber).toBe('xs:string');
    expect(dossier.receivedAt).toBe('xs:dateTime');
    expect(dossier.channel).toBe('xs:string|direct,online,postal');
    expect(dossier.documents['document[]']).toMatchObject({ name: 'xs:string', digitised: 'xs:boolean' });
    expect(port.SubmitProgressEvent.input.event.sequence).toBe('xs:long');
    expect(Object.keys(port.GetDossierState.output)).toEqual(expect.arrayContaining(['dossier', 'status', 'events', 'deliveries']));
  });
});
