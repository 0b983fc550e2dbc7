import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateRsaKeyPair, issueCertificate } from '../../src/crypto/dev-pki.js';
import { loadPemSigner, loadPkcs12Signer, readSecret } from '../../src/crypto/file-signer.js';
import type { Signer } from '../../src/crypto/signer.js';
import { disposeTestPki, testPki, type TestPki } from '../support/pki.js';

const OPENSSL = '/usr/bin/openssl';

describe('file signer', () => {
  let pki: TestPki;
  let dir: string;
  const file = (name: string, content: string | Buffer) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };

  /** Signs with the signer, then has the openssl CLI verify with the certificate's public key. */
  const verifiedByOpenssl = (signer: Signer) => {
    const data = Buffer.from(`bản ghi ${Math.random()}`);
    const dataFile = file('data.bin', data);
    const signatureFile = file('data.sig', signer.sign(data));
    const publicKeyFile = file('public.pem', signer.certificateChain[0]!.publicKey.export({ type: 'spki', format: 'pem' }));
    return execFileSync(OPENSSL, ['dgst', '-sha256', '-verify', publicKeyFile, '-signature', signatureFile, dataFile], { encoding: 'utf8' }).trim();
  };

  beforeAll(async () => {
    pki = await testPki();
    dir = mkdtempSync(join(tmpdir(), 'lgsp-signer-test-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    disposeTestPki();
  });

  it('loads a PEM certificate chain and PKCS#8 key; keyId is the certificate fingerprint; openssl verifies the signature', async () => {
    const signer = await loadPemSigner({ certificateFile: pki.gateway.certificateFile, keyFile: pki.gateway.keyFile });
    expect(signer.keyId).toBe(pki.gateway.fingerprint);
    expect(signer.certificateChain.map((c) => c.subject.split('\n').pop())).toEqual(['CN=LGSP Gateway Signing', 'CN=Province CA']);
    expect(verifiedByOpenssl(signer)).toBe('Verified OK');
  });

  it('drops a self-signed root included in the certificate file', async () => {
    const certificateFile = file('with-root.pem', pki.gateway.chainPem + pki.rootCa.certificate.toString());
    const signer = await loadPemSigner({ certificateFile, keyFile: pki.gateway.keyFile });
    expect(signer.certificateChain).toHaveLength(2);
  });

  it('loads an encrypted PKCS#8 key and a legacy encrypted PKCS#1 key with their password', async () => {
    const pkcs8 = file('enc8.key.pem', pki.gateway.key.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'mật khẩu' }));
    const pkcs1 = file('enc1.key.pem', pki.gateway.key.export({ type: 'pkcs1', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'mật khẩu' }));
    for (const keyFile of [pkcs8, pkcs1]) {
      const signer = await loadPemSigner({ certificateFile: pki.gateway.certificateFile, keyFile, passphrase: 'mật khẩu' });
      expect(verifiedByOpenssl(signer)).toBe('Verified OK');
    }
    await expect(loadPemSigner({ certificateFile: pki.gateway.certificateFile, keyFile: pkcs8, passphrase: 'sai' })).rejects.toThrow(/enc8\.key\.pem cannot be read \(wrong password\?\)/);
    await expect(loadPemSigner({ certificateFile: pki.gateway.certificateFile, keyFile: pkcs8 })).rejects.toThrow(/encrypted and no password was given/);
  });

  it('loads a PKCS#12 file made by `openssl pkcs12 -export` with its modern defaults (AES-256-CBC, PBKDF2)', async () => {
    const p12 = join(dir, 'gateway.p12');
    const caFile = file('ca.pem', pki.provinceCa.certificate.toString() + pki.rootCa.certificate.toString());
    execFileSync(OPENSSL, ['pkcs12', '-export', '-in', pki.gateway.certificateFile, '-inkey', pki.gateway.keyFile, '-certfile', caFile, '-out', p12, '-passout', 'pass:secret']);
    // openssl prints the PKCS#12 structure on stderr; make sure these are the modern defaults.
    const info = spawnSync(OPENSSL, ['pkcs12', '-in', p12, '-info', '-noout', '-passin', 'pass:secret'], { encoding: 'utf8' }).stderr;
    expect(info).toMatch(/Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC/);
    const signer = await loadPkcs12Signer({ file: p12, password: 'secret' });
    expect(signer.keyId).toBe(pki.gateway.fingerprint);
    expect(signer.certificateChain.map((c) => c.subject.split('\n').pop())).toEqual(['CN=LGSP Gateway Signing', 'CN=Province CA']);
    expect(verifiedByOpenssl(signer)).toBe('Verified OK');
    await expect(loadPkcs12Signer({ file: p12, password: 'wrong' })).rejects.toThrow(/gateway\.p12: wrong password/);
  });

  it('refuses a key that does not match the certificate', async () => {
    await expect(loadPemSigner({ certificateFile: pki.gateway.certificateFile, keyFile: pki.partners.postal.keyFile })).rejects.toThrow(/does not match the certificate "C=VN, O=LGSP Test, CN=LGSP Gateway Signing"/);
  });

  it('refuses an RSA key under 2048 bits', async () => {
    const { publicKey, privateKey } = generateRsaKeyPair(1024);
    const certificate = issueCertificate({
      subject: { commonName: 'Short key' },
      issuer: pki.provinceCa,
      publicKey,
      notBefore: new Date(),
      notAfter: new Date(Date.now() + 86_400_000),
      keyUsage: ['digitalSignature'],
    });
    const certificateFile = file('short.cert.pem', certificate.toString());
    const keyFile = file('short.key.pem', privateKey.export({ type: 'pkcs8', format: 'pem' }));
    await expect(loadPemSigner({ certificateFile, keyFile })).rejects.toThrow(/is RSA-1024; at least RSA-2048 is required/);
  });

  it('refuses missing files with the file named', async () => {
    await expect(loadPemSigner({ certificateFile: join(dir, 'nope.pem'), keyFile: pki.gateway.keyFile })).rejects.toThrow(/certificate file .*nope\.pem cannot be read: no such file/);
    await expect(loadPemSigner({ certificateFile: pki.gateway.certificateFile, keyFile: join(dir, 'nope.key') })).rejects.toThrow(/key file .*nope\.key cannot be read: no such file/);
    await expect(loadPkcs12Signer({ file: join(dir, 'nope.p12'), password: 'x' })).rejects.toThrow(/nope\.p12 cannot be read: no such file/);
  });

  it('reads a secret from a value or from a file without its trailing newline', async () => {
    expect(await readSecret({ value: 'từ biến' })).toBe('từ biến');
    expect(await readSecret({ file: file('password.txt', 'từ tệp \n') })).toBe('từ tệp ');
    expect(await readSecret({})).toBeUndefined();
    await expect(readSecret({ value: 'a', file: 'b' })).rejects.toThrow(/give one/);
  });
});
