// Starts a whole gateway for a test: real HTTP on a random loopback port, real Redis (a private
// BullMQ prefix on the shared server), PostgreSQL (a fresh database) or PGlite (a temp folder),
// the real national portal simulator, and a partner registry with known keys.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { request } from 'undici';
import { startNationalPortalSimulator, type PortalSimulator } from '../../adapters/national-portal/index.js';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/logging/logger.js';
import { hashApiKey, type PartnersDocument } from '../../src/partners/registry.js';
import { generateNoteKey } from '../../src/audit/note.js';
import { serving, startGateway, type ServingGateway } from '../../src/compose/gateway.js';
import { testPki, type TestPki } from './pki.js';
import { freshDatabaseUrl, freshRedisPrefix, testRedisUrl } from './services.js';

export type Engine = 'postgres' | 'pglite';

export const KEYS = {
  oneStop: 'test-key-one-stop-hanoi-0000000000000000000000',
  otherOneStop: 'test-key-one-stop-other-000000000000000000000',
  admin: 'test-key-admin-00000000000000000000000000000000',
  auditor: 'test-key-auditor-000000000000000000000000000000',
  postal: 'test-key-postal-operator-0000000000000000000000',
};

/** The agencies the main test partner acts for: those of the golden fixtures, and one more. */
export const TEST_LOG_ORIGIN = 'lgsp.test/audit-log';

export const OWN_AGENCIES = ['000.00.12.H26', '000.00.07.H40', '000.00.15.H31', '000.22.19.H55', '000.00.03.H79', '000.00.20.H26'];
export const OTHER_AGENCY = '000.00.01.H99';

export interface TestGateway {
  gateway: ServingGateway;
  url: string;
  sim: PortalSimulator;
  dataDir: string;
  databaseUrl: string | undefined;
  redisUrl: string;
  redisPrefix: string;
  partnersFile: string;
  /** Environment for a second gateway process (e.g. a worker) sharing this one's database and queues. */
  env: Record<string, string>;
  call(method: string, pathname: string, options?: { key?: string; body?: unknown; headers?: Record<string, string>; raw?: string | Buffer }): Promise<{ status: number; headers: Record<string, unknown>; body: any }>;
  close(): Promise<void>;
}

export interface TestGatewayOptions {
  engine: Engine;
  roles?: string;
  env?: Record<string, string>;
  webhookUrl?: string;
  /** Reuse a simulator (e.g. one shared by several gateways). */
  sim?: PortalSimulator;
  /** Hà Nội must sign its writes. */
  mustSign?: boolean;
  /** Changes the partner registry before the gateway reads it (e.g. adds edXML systems). */
  editPartners?: (doc: PartnersDocument) => PartnersDocument;
  /** Collects every log line (info and up) here instead of writing warnings to stdout. */
  logLines?: string[];
  /** The gateway's logger, e.g. one whose lines the test reads (test/support/captured-log.ts). */
  logger?: Logger;
}

export const FAST_DELIVERY_ENV = {
  DELIVERY_BACKOFF_BASE_MS: '50',
  DELIVERY_BACKOFF_MAX_MS: '400',
  DELIVERY_MAX_ATTEMPTS: '6',
  DELIVERY_LEASE_MS: '3000',
  SWEEP_INTERVAL_MS: '300',
  BULK_CALLS_PER_SECOND: '20',
};

/**
 * The test partners. Every certificate the test PKI made for Hà Nội, the bad ones included, is
 * registered as Hà Nội's, so that a refusal of a bad one is the trust store's doing, not the binding's.
 */
export function partnersDocument(pki: TestPki, options: { webhookUrl?: string | undefined; mustSign?: boolean | undefined } = {}): PartnersDocument {
  const hanoiCertificates = [pki.partners['hanoi-one-stop'], ...Object.values(pki.hanoiOneStop)].map((c) => c.fingerprint);
  return {
    partners: [
      {
        id: 'hanoi-one-stop',
        name: 'Hà Nội one-stop system',
        roles: ['one-stop'],
        apiKeys: [{ id: 'k1', sha256: hashApiKey(KEYS.oneStop) }],
        ...(options.webhookUrl ? { webhookUrl: options.webhookUrl } : {}),
        agencies: OWN_AGENCIES.map((code) => ({ code })),
        certificates: { sha256: hanoiCertificates },
        ...(options.mustSign ? { mustSign: true } : {}),
      },
      {
        id: 'other-one-stop',
        name: 'Another one-stop system',
        roles: ['one-stop'],
        apiKeys: [{ id: 'k1', sha256: hashApiKey(KEYS.otherOneStop) }],
        agencies: [{ code: OTHER_AGENCY }],
        certificates: { sha256: [pki.partners['other-one-stop'].fingerprint] },
      },
      { id: 'ops', name: 'Operations', roles: ['admin'], apiKeys: [{ id: 'k1', sha256: hashApiKey(KEYS.admin) }], agencies: [] },
      { id: 'inspectorate', name: 'Inspectorate', roles: ['auditor'], apiKeys: [{ id: 'k1', sha256: hashApiKey(KEYS.auditor) }], agencies: [] },
      {
        id: 'postal',
        name: 'Bưu điện tỉnh',
        roles: ['postal-operator'],
        apiKeys: [{ id: 'k1', sha256: hashApiKey(KEYS.postal) }],
        agencies: [],
        certificates: { sha256: [pki.partners.postal.fingerprint] },
        mustSign: true,
      },
    ],
  };
}

export interface GatewayEnvironmentOptions {
  dataDir: string;
  portalUrl: string;
  redisUrl: string;
  redisPrefix: string;
  databaseUrl: string | undefined;
  webhookUrl?: string | undefined;
  mustSign?: boolean | undefined;
  editPartners?: ((doc: PartnersDocument) => PartnersDocument) | undefined;
  env?: Record<string, string> | undefined;
}

/** The environment of a test gateway, in-process or in a process of its own: keys, partners and settings in dataDir. */
export async function gatewayEnvironment(options: GatewayEnvironmentOptions): Promise<{ env: Record<string, string>; partnersFile: string }> {
  const { dataDir, databaseUrl } = options;
  const partnersFile = path.join(dataDir, 'partners.json');
  const pki = await testPki();
  const logKey = generateNoteKey(TEST_LOG_ORIGIN);
  await writeFile(path.join(dataDir, 'audit-log.key'), logKey.signerKey + '\n');
  await writeFile(path.join(dataDir, 'audit-log.key.pub'), logKey.verifierKey + '\n');
  const partners = partnersDocument(pki, { webhookUrl: options.webhookUrl, mustSign: options.mustSign });
  await writeFile(partnersFile, JSON.stringify(options.editPartners ? options.editPartners(partners) : partners));
  const env: Record<string, string> = {
    LGSP_MODE: 'production',
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: dataDir,
    REDIS_URL: options.redisUrl,
    REDIS_PREFIX: options.redisPrefix,
    PARTNERS_FILE: partnersFile,
    NATIONAL_PORTAL_URL: options.portalUrl,
    NATIONAL_PORTAL_USERNAME: 'lgsp',
    NATIONAL_PORTAL_PASSWORD: 'lgsp-dev',
    NATIONAL_PORTAL_AGENCY_CODE: '000.00.00.H26',
    FILE_URL_SECRET: 'test-file-url-secret-0123456789abcdef',
    PUBLIC_BASE_URL: 'http://127.0.0.1:1',
    ATTACHMENT_URL_ALLOWLIST: 'https://motcua.hanoi.example.vn/files/,https://motcua.thainguyen.example.vn/dinhkem/',
    LOG_LEVEL: 'warn',
    SIGNING_CERT_FILE: pki.gateway.certificateFile,
    SIGNING_KEY_FILE: pki.gateway.keyFile,
    TRUST_STORE_DIR: pki.trustDir,
    AUDIT_LOG_ORIGIN: TEST_LOG_ORIGIN,
    AUDIT_LOG_KEY_FILE: path.join(dataDir, 'audit-log.key'),
    AUDIT_CHECKPOINT_INTERVAL_MS: '500',
    AUDIT_INTEGRATE_INTERVAL_MS: '100',
    // The gateway shares its event loop with the test (PGlite, key generation): shedding load on
    // that would fail tests at random. The load-shedding test turns it on for itself.
    LOAD_SHED_EVENT_LOOP_DELAY_MS: '0',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : { ALLOW_EMBEDDED_IN_PRODUCTION: 'true' }),
    ...FAST_DELIVERY_ENV,
    ...options.env,
  };
  return { env, partnersFile };
}

export async function startTestGateway(options: TestGatewayOptions): Promise<TestGateway> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'lgsp-gw-'));
  const ownSim = !options.sim;
  const sim = options.sim ?? (await startNationalPortalSimulator());
  const databaseUrl = options.engine === 'postgres' ? await freshDatabaseUrl() : undefined;
  const redisPrefix = freshRedisPrefix();
  const redisUrl = options.env?.REDIS_URL ?? testRedisUrl();
  const { env, partnersFile } = await gatewayEnvironment({ dataDir, portalUrl: sim.url, redisUrl, redisPrefix, databaseUrl, webhookUrl: options.webhookUrl, mustSign: options.mustSign, editPartners: options.editPartners, env: options.env });
  const config = loadConfig({ ...env, PROCESS_ROLES: options.roles ?? 'api,worker' });
  const lines = options.logLines;
  const logger = options.logger ?? (lines ? createLogger({ level: 'info', destination: { write: (line: string) => void lines.push(line) } }) : createLogger({ level: env.LOG_LEVEL! }));
  const gateway = serving(await startGateway(config, logger));
  const url = gateway.url ?? '';

  return {
    gateway,
    url,
    sim,
    dataDir,
    databaseUrl,
    redisUrl,
    redisPrefix,
    partnersFile,
    env,
    async call(method, pathname, { key, body, headers = {}, raw } = {}) {
      const response = await request(url + pathname, {
        method: method as 'GET',
        headers: {
          ...(key ? { 'x-api-key': key } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        ...(raw !== undefined ? { body: raw } : body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await response.body.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON: keep the text
      }
      return { status: response.statusCode, headers: response.headers, body: parsed };
    },
    async close() {
      await gateway.close();
      if (ownSim) await sim.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls until check() returns a truthy value, or fails with the message after timeoutMs. */
export async function eventually<T>(check: () => Promise<T> | T, message: string, timeoutMs = 20_000, intervalMs = 50): Promise<Exclude<T, undefined | null | false | 0 | ''>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value as Exclude<T, undefined | null | false | 0 | ''>;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`Timed out: ${message}${last ? ` (last error: ${(last as Error).message})` : ''}`);
}
