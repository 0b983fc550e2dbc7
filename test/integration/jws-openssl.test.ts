// Interoperability of the detached JWS with an independent implementation: /usr/bin/openssl verifies
// what the gateway signs, and the gateway verifies what openssl signs, byte for byte.
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JwsError, signDetachedJws, verifyDetachedJws } from '../../src/crypto/jws.js';
import { certificateFingerprint } from '../../src/crypto/trust.js';
import { JwsTestKeys, openssl, type TestKey } from '../support/jws-test-keys.js';

const execFileAsync = promisify(execFile);

const BODY = Buffer.from(
  `${JSON.stringify(
    {
      maHoSo: 'G22.99-250612-0042',
      thuTuc: 'Đăng ký khai sinh',
      nguoiYeuCau: { hoTen: 'Trần Văn Hưng', quanHe: 'Cha' },
      ghiChu: 'Hồ sơ nộp trực tuyến qua Cổng dịch vụ công tỉnh',
    },
    null,
    2,
  )}\n`,
  'utf8',
);

let keys: JwsTestKeys;
let root: TestKey;
let intermediate: TestKey;
let leaf: TestKey;

beforeAll(async () => {
  keys = await JwsTestKeys.create();
  root = await keys.selfSigned('root');
  intermediate = await keys.issued('intermediate', root, { ca: true });
  leaf = await keys.issued('leaf', intermediate);
});
afterAll(async () => {
  await keys?.cleanup();
});

/** A fresh folder under the keys' temp folder, removed with it. */
async function workDir(): Promise<string> {
  return mkdtemp(path.join(keys.dir, 'case-'));
}

// base64url as a shell would do it: standard base64 on one line, then the URL-safe alphabet, unpadded.
const B64U_FUNCTION = `b64u() { openssl base64 -A -in "$1" | tr '+/' '-_' | tr -d '='; }`;

/**
 * Runs a shell script with b64u FILE defined and stdin closed (a command left reading stdin fails
 * instead of hanging); a non-zero exit is returned, not thrown, so failures can be asserted.
 */
async function sh(script: string, cwd: string): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await execFileAsync('/bin/sh', ['-c', `exec < /dev/null; ${B64U_FUNCTION}; ${script}`], { cwd, encoding: 'utf8' });
    return { code: 0, stdout };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string };
    return { code: typeof failed.code === 'number' ? failed.code : -1, stdout: failed.stdout ?? '' };
  }
}

describe('openssl verifies a detached JWS made by the gateway', () => {
  async function prepare(body: Buffer): Promise<string> {
    const dir = await workDir();
    const [encodedHeader, payload, encodedSignature] = signDetachedJws(BODY, leaf.signer).split('.');
    expect(payload).toBe('');
    await writeFile(path.join(dir, 'header.b64u'), encodedHeader!);
    await writeFile(path.join(dir, 'body.json'), body);
    await writeFile(path.join(dir, 'sig.bin'), Buffer.from(encodedSignature!, 'base64url'));
    await openssl(['x509', '-in', leaf.certPath, '-pubkey', '-noout', '-out', path.join(dir, 'pub.pem')]);
    // The signing input is rebuilt by the shell from the body bytes, not taken from the gateway.
    const built = await sh(`{ cat header.b64u; printf '.'; b64u body.json; } > input.txt`, dir);
    expect(built.code).toBe(0);
    return dir;
  }

  it('accepts the signature over header.payload with the x5c[0] public key', async () => {
    const dir = await prepare(BODY);
    const result = await sh('openssl dgst -sha256 -verify pub.pem -signature sig.bin input.txt', dir);
    expect(result).toEqual({ code: 0, stdout: 'Verified OK\n' });
  });

  it('refuses the signature once one byte of the body is changed', async () => {
    const changed = Buffer.from(BODY);
    changed[changed.indexOf('0042') + 3] = 0x33; // ...-0042 -> ...-0043
    const dir = await prepare(changed);
    const result = await sh('openssl dgst -sha256 -verify pub.pem -signature sig.bin input.txt', dir);
    expect(result.code).not.toBe(0);
    expect(result.stdout).toContain('Verification failure');
  });

  it('reads x5c as standard base64 DER: leaf then intermediate, verifying to the root', async () => {
    const dir = await workDir();
    const [encodedHeader] = signDetachedJws(BODY, leaf.signer).split('.');
    const header = JSON.parse(Buffer.from(encodedHeader!, 'base64url').toString('utf8')) as { kid: string; x5c: string[] };
    expect(header.x5c).toHaveLength(2);
    await writeFile(path.join(dir, 'x5c0.b64'), header.x5c[0]!);
    await writeFile(path.join(dir, 'x5c1.b64'), header.x5c[1]!);
    const script = [
      'openssl base64 -d -A -in x5c0.b64 | openssl x509 -inform DER -out leaf.pem',
      'openssl base64 -d -A -in x5c1.b64 | openssl x509 -inform DER -out intermediate.pem',
      `openssl verify -CAfile '${root.certPath}' -untrusted intermediate.pem leaf.pem`,
      'openssl x509 -in leaf.pem -outform DER | openssl dgst -sha256 -r',
    ].join(' && ');
    const result = await sh(script, dir);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('leaf.pem: OK');
    // kid is the SHA-256 of the leaf DER, as openssl computes it.
    expect(result.stdout).toContain(`${header.kid} *stdin`);
  });
});

describe('the gateway verifies a detached JWS made entirely with openssl', () => {
  /** Header and signature by the openssl CLI and tr; returns the token `header..signature`. */
  async function opensslToken(headerJson: string, body: Buffer, keyPath: string): Promise<string> {
    const dir = await workDir();
    await writeFile(path.join(dir, 'header.json'), headerJson);
    await writeFile(path.join(dir, 'body.json'), body);
    const script = [
      'b64u header.json > header.b64u',
      `{ cat header.b64u; printf '.'; b64u body.json; } > input.txt`,
      `openssl dgst -sha256 -sign '${keyPath}' -out sig.bin input.txt`,
      `printf '%s..%s' "$(cat header.b64u)" "$(b64u sig.bin)"`,
    ].join(' && ');
    const result = await sh(script, dir);
    expect(result.code).toBe(0);
    return result.stdout;
  }

  /** kid and x5c as openssl derives them from the PEM certificates. */
  async function opensslHeader(...certPaths: string[]): Promise<string> {
    const x5c = await Promise.all(certPaths.map(async (certPath) => (await sh(`openssl x509 -in '${certPath}' -outform DER | openssl base64 -A`, keys.dir)).stdout));
    const kid = (await sh(`openssl x509 -in '${certPaths[0]}' -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1`, keys.dir)).stdout.trim();
    return JSON.stringify({ alg: 'RS256', kid, x5c });
  }

  it('accepts it and returns the chain openssl put in x5c', async () => {
    const headerJson = await opensslHeader(leaf.certPath, intermediate.certPath);
    const token = await opensslToken(headerJson, BODY, leaf.keyPath);
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.\.[A-Za-z0-9_-]+$/);

    const verified = verifyDetachedJws(token, BODY);
    expect(verified.keyId).toBe(certificateFingerprint(leaf.certificate));
    expect(verified.certificateChain.map(certificateFingerprint)).toEqual([leaf, intermediate].map((key) => certificateFingerprint(key.certificate)));
    expect(verified.header).toEqual(JSON.parse(headerJson));
  });

  it('accepts a header with other whitespace and key order: the header is verified as sent', async () => {
    const header = JSON.parse(await opensslHeader(leaf.certPath)) as { kid: string; x5c: string[] };
    const headerJson = `{\n  "x5c": ${JSON.stringify(header.x5c)},\n  "kid": "${header.kid}",\n  "alg": "RS256"\n}\n`;
    const token = await opensslToken(headerJson, BODY, leaf.keyPath);
    expect(verifyDetachedJws(token, BODY).keyId).toBe(leaf.signer.keyId);
  });

  it('refuses it for a body other than the one openssl signed', async () => {
    const token = await opensslToken(await opensslHeader(leaf.certPath), BODY, leaf.keyPath);
    const reserialised = Buffer.from(JSON.stringify(JSON.parse(BODY.toString('utf8'))), 'utf8');
    expect(() => verifyDetachedJws(token, reserialised)).toThrow(JwsError);
  });

  it('refuses it when signed by a key other than the x5c[0] certificate', async () => {
    const token = await opensslToken(await opensslHeader(leaf.certPath), BODY, intermediate.keyPath);
    expect(() => verifyDetachedJws(token, BODY)).toThrow(/does not verify/);
  });

  it('matches the gateway byte for byte (RS256 is deterministic)', async () => {
    const headerJson = await opensslHeader(leaf.certPath, intermediate.certPath);
    const fromOpenssl = await opensslToken(headerJson, BODY, leaf.keyPath);
    // The gateway serialises {alg, kid, x5c} compactly, the same JSON as built here.
    expect(signDetachedJws(BODY, leaf.signer)).toBe(fromOpenssl);
  });
});
