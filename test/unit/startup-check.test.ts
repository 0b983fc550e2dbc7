// Configuration that fails early and clearly: every setting (LOG_LEVEL too) and the partner registry
// checked together before anything starts, production kept off the embedded stores unless told, and
// the allowed values named.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { checkStartup } from '../../src/config/startup-check.js';
import { COMPLETE_PRODUCTION } from '../support/production-env.js';


async function problemsOf(env: Record<string, string>): Promise<string[]> {
  try {
    await checkStartup(env);
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'lgsp-startup-check-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

async function registryFile(doc: unknown): Promise<string> {
  const file = path.join(dir, `partners-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(file, JSON.stringify(doc));
  return file;
}

describe('settings checked before anything starts', () => {
  it('reports an unknown LOG_LEVEL with the allowed levels', async () => {
    expect(await problemsOf({ LGSP_MODE: 'development', LOG_LEVEL: 'loud' })).toEqual([
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent; got "loud"',
    ]);
    expect(loadConfig({ LGSP_MODE: 'development', LOG_LEVEL: 'debug' }).logLevel).toBe('debug');
  });

  it('refuses production on PGlite and a private redis-server unless told so explicitly', async () => {
    const { DATABASE_URL: _db, REDIS_URL: _redis, ...embedded } = COMPLETE_PRODUCTION;
    const file = await registryFile({ partners: [] });
    const problems = await problemsOf({ ...embedded, PARTNERS_FILE: file });
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^DATABASE_URL is required in production; set ALLOW_EMBEDDED_IN_PRODUCTION=true/);
    expect(problems[1]).toMatch(/^REDIS_URL is required in production; set ALLOW_EMBEDDED_IN_PRODUCTION=true/);
    expect(await problemsOf({ ...embedded, PARTNERS_FILE: file, ALLOW_EMBEDDED_IN_PRODUCTION: 'true' })).toEqual([]);
    expect(await problemsOf({ ...embedded, PARTNERS_FILE: file, ALLOW_EMBEDDED_IN_PRODUCTION: 'yes' })).toContain(
      'ALLOW_EMBEDDED_IN_PRODUCTION must be "true" or "false", got "yes"',
    );
  });

  it('bounds the wait for the database and Redis, configurably', () => {
    expect(loadConfig({ LGSP_MODE: 'development' }).connectTimeoutMs).toBe(60_000);
    expect(loadConfig({ LGSP_MODE: 'development', STARTUP_CONNECT_TIMEOUT_SECONDS: '5' }).connectTimeoutMs).toBe(5_000);
    expect(() => loadConfig({ LGSP_MODE: 'development', STARTUP_CONNECT_TIMEOUT_SECONDS: '0' })).toThrow(/STARTUP_CONNECT_TIMEOUT_SECONDS must be an integer from 1 to 3600/);
  });
});

describe('the partner registry, checked with the other settings', () => {
  it('names the allowed roles instead of "Expected union value", once, next to the settings problems', async () => {
    const file = await registryFile({ partners: [{ id: 'hanoi-one-stop', name: 'Một cửa', roles: ['one_stop'], apiKeys: [] }] });
    const problems = await problemsOf({ ...COMPLETE_PRODUCTION, PARTNERS_FILE: file, LOG_LEVEL: 'loud' });
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^LOG_LEVEL must be one of/);
    expect(problems[1]).toBe(
      `PARTNERS_FILE ${file}: Partner registry is invalid: /partners/0/roles/0 must be one of one-stop, agency-system, postal-operator, payment-provider, auditor, admin; got "one_stop"`,
    );
    expect(problems.join('\n')).not.toMatch(/Expected union value/);
  });

  it('reports a registry that cannot be read, and accepts a good one', async () => {
    expect(await problemsOf({ ...COMPLETE_PRODUCTION, PARTNERS_FILE: path.join(dir, 'absent.json') })).toEqual([
      expect.stringMatching(/^PARTNERS_FILE .*absent\.json: Cannot read the partner registry/),
    ]);
    const file = await registryFile({ partners: [{ id: 'hanoi-one-stop', name: 'Một cửa', roles: ['one-stop'], apiKeys: [] }] });
    const { registry } = await checkStartup({ ...COMPLETE_PRODUCTION, PARTNERS_FILE: file });
    expect(registry?.all().map((p) => p.id)).toEqual(['hanoi-one-stop']);
  });
});
