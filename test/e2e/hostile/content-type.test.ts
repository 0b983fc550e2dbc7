// A body the route does not read is refused with 415 before any parser runs, whatever the body
// holds: text/plain that happens to be JSON, form bodies, multipart, XML, a missing content type.
import { afterAll, beforeAll, describe, it } from 'vitest';
import { KEYS, startTestGateway, type TestGateway } from '../../support/gateway.js';
import { rawRequest } from '../../support/raw-http.js';
import { sampleDossier } from '../../support/dossiers.js';
import { expectProblem, leavesNoTrace } from './support.js';

describe('content types a route does not accept (pglite)', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ engine: 'pglite' });
  });
  afterAll(async () => gw?.close());

  const dossier = JSON.stringify(sampleDossier('HOSTILE-CT-1'));
  const cases: [string, string, Record<string, string>, string][] = [
    ['a valid dossier sent as text/plain', '/v1/dossiers', { 'content-type': 'text/plain' }, dossier],
    ['a dossier as a form (application/x-www-form-urlencoded)', '/v1/dossiers', { 'content-type': 'application/x-www-form-urlencoded' }, 'code=HOSTILE-CT-2'],
    ['a dossier as multipart/form-data', '/v1/dossiers', { 'content-type': 'multipart/form-data; boundary=b' }, '--b\r\nContent-Disposition: form-data; name="code"\r\n\r\nHOSTILE-CT-3\r\n--b--\r\n'],
    ['a dossier as XML', '/v1/dossiers', { 'content-type': 'application/xml' }, '<dossier><code>HOSTILE-CT-4</code></dossier>'],
    ['a dossier with no content type at all', '/v1/dossiers', {}, dossier],
    ['a look-alike type (application/jsonx)', '/v1/dossiers', { 'content-type': 'application/jsonx' }, dossier],
    ['an upload of an executable as application/octet-stream', '/v1/files', { 'content-type': 'application/octet-stream', 'x-file-name': 'a.exe' }, 'MZ\x90\x00'],
    ['an upload of HTML (a stored XSS vector)', '/v1/files', { 'content-type': 'text/html', 'x-file-name': 'a.html' }, '<script>alert(1)</script>'],
    ['JSON to the shipment route as text/plain', '/v1/postal/shipments', { 'content-type': 'text/plain' }, '{"kind":"pickup"}'],
  ];
  it.each(cases)('refuses %s with 415', async (_what, path, headers, body) => {
    const response = await leavesNoTrace(gw, () => rawRequest(gw.url, { method: 'POST', target: path, headers: { 'x-api-key': KEYS.oneStop, ...headers }, body }));
    expectProblem(response, 415, 'unsupported-media-type');
  });

  it('refuses a file whose bytes are not what its content type says (an HTML page as image/png)', async () => {
    const response = await leavesNoTrace(gw, () =>
      rawRequest(gw.url, { method: 'POST', target: '/v1/files', headers: { 'x-api-key': KEYS.oneStop, 'content-type': 'image/png', 'x-file-name': 'anh.png' }, body: '<html><script>alert(1)</script></html>' }),
    );
    expectProblem(response, 415, 'unsupported-media-type');
  });
});
