// A small, self-contained PKI for the XML signature tests, made with the openssl CLI so that xmlsec1
// can read the same files: a CA, a signer it issued (RSA-2048), an unrelated self-signed signer, and
// an RSA-1024 signer that verification must refuse.
import { execFileSync } from 'node:child_process';
import { X509Certificate, createPrivateKey, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { certificateFingerprint } from '../../src/crypto/trust.js';
import type { Signer } from '../../src/crypto/signer.js';

export interface XmlTestSigner {
  signer: Signer;
  keyPath: string;
  certPath: string;
}

export interface XmlTestKeys {
  dir: string;
  caCertPath: string;
  ca: X509Certificate;
  /** RSA-2048, issued by the CA; its chain is the leaf alone, as the Signer contract leaves out the root. */
  issued: XmlTestSigner;
  /** RSA-2048, self-signed, unrelated to the CA. */
  unrelated: XmlTestSigner;
  /** RSA-1024, self-signed: under the minimum key size. */
  weak: XmlTestSigner;
  cleanup(): void;
}

const LEAF_EXTENSIONS = 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\n';

export function makeXmlTestKeys(): XmlTestKeys {
  const dir = mkdtempSync(join(tmpdir(), 'xml-test-keys-'));
  const path = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });

  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path('ca.key'), '-out', path('ca.pem'),
    '-days', '2', '-subj', '/C=VN/O=LGSP Test/CN=XML Test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');

  writeFileSync(path('leaf.ext'), LEAF_EXTENSIONS);
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', path('issued.key'), '-out', path('issued.csr'),
    '-subj', '/C=VN/O=LGSP Test/CN=Gateway XML Signer');
  openssl('x509', '-req', '-in', path('issued.csr'), '-CA', path('ca.pem'), '-CAkey', path('ca.key'),
    '-CAcreateserial', '-days', '2', '-sha256', '-extfile', path('leaf.ext'), '-out', path('issued.pem'));

  const selfSigned = (name: string, bits: number) =>
    openssl('req', '-x509', '-newkey', `rsa:${bits}`, '-nodes', '-keyout', path(`${name}.key`),
      '-out', path(`${name}.pem`), '-days', '2', '-subj', `/C=VN/O=Elsewhere/CN=${name}`);
  selfSigned('unrelated', 2048);
  selfSigned('weak', 1024);

  const ca = new X509Certificate(readFileSync(path('ca.pem')));
  const load = (name: string): XmlTestSigner => {
    const key = createPrivateKey(readFileSync(path(`${name}.key`)));
    const leaf = new X509Certificate(readFileSync(path(`${name}.pem`)));
    return {
      signer: {
        keyId: certificateFingerprint(leaf),
        certificateChain: [leaf],
        sign: (data) => sign('sha256', data, key),
      },
      keyPath: path(`${name}.key`),
      certPath: path(`${name}.pem`),
    };
  };
  return {
    dir,
    caCertPath: path('ca.pem'),
    ca,
    issued: load('issued'),
    unrelated: load('unrelated'),
    weak: load('weak'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
