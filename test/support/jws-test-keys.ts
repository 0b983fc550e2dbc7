// RSA keys and certificates made by the openssl CLI in a temp folder, for the JWS tests: an
// implementation independent of node:crypto makes the keys, and a Signer over them signs with
// node:crypto as a file-backed key would. The project's full test PKI lives elsewhere.
import { execFile } from 'node:child_process';
import { createPrivateKey, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Signer } from '../../src/crypto/signer.js';
import { certificateFingerprint } from '../../src/crypto/trust.js';

const execFileAsync = promisify(execFile);

// Without extensions `openssl x509 -req` makes v1 certificates, which OpenSSL refuses as issuers.
const CA_EXTENSIONS = 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n';
const LEAF_EXTENSIONS = 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n';

export interface TestKey {
  keyPath: string;
  certPath: string;
  certificate: X509Certificate;
  privateKey: KeyObject;
  signer: Signer;
}

export async function openssl(args: readonly string[], cwd?: string): Promise<string> {
  const { stdout } = await execFileAsync('/usr/bin/openssl', args, { cwd, encoding: 'utf8' });
  return stdout;
}

export class JwsTestKeys {
  private constructor(readonly dir: string) {}

  static async create(): Promise<JwsTestKeys> {
    return new JwsTestKeys(await mkdtemp(path.join(os.tmpdir(), 'lgsp-jws-test-')));
  }

  /** A self-signed certificate; its signer's chain is just that certificate. */
  async selfSigned(name: string, bits = 2048): Promise<TestKey> {
    const { keyPath, certPath } = this.paths(name);
    await openssl(['req', '-x509', '-newkey', `rsa:${bits}`, '-nodes', '-sha256', '-days', '2', '-subj', `/CN=${name}`, '-keyout', keyPath, '-out', certPath]);
    return load(keyPath, certPath, []);
  }

  /**
   * A v3 certificate issued by `issuer`, a CA (intermediate) if `ca` is set, else a signing leaf. The
   * signer's chain carries the issuer's chain unless the issuer is a self-signed root.
   */
  async issued(name: string, issuer: TestKey, { ca = false } = {}): Promise<TestKey> {
    const { keyPath, certPath } = this.paths(name);
    const csrPath = path.join(this.dir, `${name}.csr`);
    const extPath = path.join(this.dir, `${name}.ext`);
    await writeFile(extPath, ca ? CA_EXTENSIONS : LEAF_EXTENSIONS);
    await openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}`, '-keyout', keyPath, '-out', csrPath]);
    await openssl(['x509', '-req', '-in', csrPath, '-CA', issuer.certPath, '-CAkey', issuer.keyPath, '-set_serial', `0x${randomBytes(8).toString('hex')}`, '-sha256', '-days', '2', '-extfile', extPath, '-out', certPath]);
    const issuerIsRoot = issuer.certificate.verify(issuer.certificate.publicKey) && issuer.certificate.checkIssued(issuer.certificate);
    return load(keyPath, certPath, issuerIsRoot ? [] : issuer.signer.certificateChain);
  }

  async cleanup(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }

  private paths(name: string): { keyPath: string; certPath: string } {
    return { keyPath: path.join(this.dir, `${name}.key.pem`), certPath: path.join(this.dir, `${name}.cert.pem`) };
  }
}

async function load(keyPath: string, certPath: string, issuerChain: readonly X509Certificate[]): Promise<TestKey> {
  const privateKey = createPrivateKey(await readFile(keyPath));
  const certificate = new X509Certificate(await readFile(certPath));
  const signer: Signer = {
    keyId: certificateFingerprint(certificate),
    certificateChain: [certificate, ...issuerChain],
    sign: (data) => sign('sha256', data, privateKey),
  };
  return { keyPath, certPath, certificate, privateKey, signer };
}
