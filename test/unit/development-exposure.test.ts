// Issue 14, findings 9 and 10: a development gateway listens on loopback unless told otherwise, its
// simulators' secrets are random per DATA_DIR (kept there, like the file-link secret), and request
// bodies have a time limit by default.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import type { OutboundSigner } from '../../src/crypto/outbound-signer.js';
import { createLogger } from '../../src/logging/logger.js';
import * as paymentsWing from '../../src/payments/setup.js';
import * as postalWing from '../../src/postal/setup.js';
import type { Db } from '../../src/store/db.js';

const dirs: string[] = [];
const tempDir = async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'lgsp-dev-secrets-'));
  dirs.push(dir);
  return dir;
};
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

const SECRET_FILES = ['dev-payment-national-secret', 'dev-payment-national-token', 'dev-payment-vnpay-hash-secret', 'dev-postal-consumer-secret'];
const KNOWN_CONSTANTS = ['lgsp-dev-payment-secret', 'lgsp-dev-payment-token', 'LGSPDEVHASHSECRET0123456789ABCDEF', 'lgsp-dev-secret'];

/** Starts the development payment and postal simulators on dataDir and reads the secrets they were given. */
async function devSecretsOf(dataDir: string): Promise<string[]> {
  const config = loadConfig({ LGSP_MODE: 'development', DATA_DIR: dataDir, PORT: '0' });
  const logger = createLogger({ level: 'silent' });
  const outbound = {} as OutboundSigner;
  const payments = await paymentsWing.setUp({ config, outbound, logger });
  const postal = await postalWing.setUp({ config, db: {} as Db, outbound, logger, signing: { devPkiDir: dataDir } });
  await payments.close();
  await postal?.close();
  expect(payments.providers.size).toBe(2);
  expect(postal?.simulator).toBeDefined();
  return Promise.all(SECRET_FILES.map(async (name) => (await readFile(path.join(dataDir, name), 'utf8')).trim()));
}

describe('development exposure', () => {
  it('listens on 127.0.0.1 in development unless HOST says otherwise', () => {
    expect(loadConfig({ LGSP_MODE: 'development' }).host).toBe('127.0.0.1');
    expect(loadConfig({ LGSP_MODE: 'development', HOST: '0.0.0.0' }).host).toBe('0.0.0.0');
  });

  it('gives request bodies 60 s by default, REQUEST_TIMEOUT_MS otherwise', () => {
    expect(loadConfig({ LGSP_MODE: 'development' }).protection.requestTimeoutMs).toBe(60_000);
    expect(loadConfig({ LGSP_MODE: 'development', REQUEST_TIMEOUT_MS: '5000' }).protection.requestTimeoutMs).toBe(5_000);
  });

  it("makes the simulators' secrets random per DATA_DIR, keeps them across restarts, and never uses a constant", async () => {
    const [a, b] = [await tempDir(), await tempDir()];
    const first = await devSecretsOf(a);
    expect(await devSecretsOf(a)).toEqual(first);
    const other = await devSecretsOf(b);
    for (const [i, secret] of first.entries()) {
      expect(secret.length).toBeGreaterThanOrEqual(32);
      expect(secret).not.toBe(other[i]);
      expect(KNOWN_CONSTANTS).not.toContain(secret);
    }
  });
});
