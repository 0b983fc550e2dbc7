// xmlsec1, an XML Signature implementation independent of xml-crypto, verifies the gateway's
// signature on an edXML envelope against the test PKI's CAs, and refuses it once one character changed.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSignedEnvelope } from '../../adapters/edxml/index.js';
import { testPki, type TestPki } from '../support/pki.js';
import { documentEnvelope, statusEnvelope, DEPARTMENT } from '../support/edxml-samples.js';

let pki: TestPki;
let dir: string;
beforeAll(async () => {
  pki = await testPki();
  dir = await mkdtemp(path.join(os.tmpdir(), 'edxml-xmlsec1-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function xmlsec1Verify(name: string, xml: string) {
  const file = path.join(dir, name);
  await writeFile(file, xml);
  const run = spawnSync(
    '/usr/bin/xmlsec1',
    ['--verify', '--trusted-pem', path.join(pki.trustDir, 'root-ca.pem'), '--untrusted-pem', path.join(pki.trustDir, 'province-ca.pem'), '--enabled-key-data', 'x509', '--enabled-reference-uris', 'empty', file],
    { encoding: 'utf8' },
  );
  return { ok: run.status === 0, output: `${run.stdout}${run.stderr}` };
}

describe("xmlsec1 verifies the gateway's edXML signature", () => {
  it('accepts a document envelope signed with the gateway key, and refuses it after its subject changed', async () => {
    const signed = writeSignedEnvelope(documentEnvelope(), pki.gateway.signer);
    const accepted = await xmlsec1Verify('envelope.xml', signed);
    expect(accepted.output).toContain('OK');
    expect(accepted.ok).toBe(true);
    const tampered = await xmlsec1Verify('envelope-tampered.xml', signed.replace('Nguyễn Văn Đức', 'Nguyễn Văn Đúc'));
    expect(tampered.ok).toBe(false);
  });

  it('accepts a status message signed with the gateway key', async () => {
    const signed = writeSignedEnvelope(statusEnvelope(documentEnvelope(), DEPARTMENT, '03', 'Đã tiếp nhận hồ sơ'), pki.gateway.signer);
    expect((await xmlsec1Verify('status.xml', signed)).ok).toBe(true);
  });
});
