// A start that cannot work fails early, once and clearly, with a non-zero exit: a bad setting is the
// configuration report (not a pino stack trace), an unreachable database or Redis is named by its
// address without the password and given up after STARTUP_CONNECT_TIMEOUT_SECONDS, and
// `lgsp check-config` checks the same without starting anything.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayEnvironment } from '../support/gateway.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// Each case starts a Node process (and PGlite before Redis): generous on a slow, shared machine.
const START = { timeout: 180_000 };

async function run(script: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (out += c));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, out };
}

let dataDir: string;
let env: Record<string, string>;
beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'lgsp-startup-'));
  // A complete production environment whose servers are all unreachable (port 1).
  ({ env } = await gatewayEnvironment({ dataDir, portalUrl: 'http://127.0.0.1:1', redisUrl: 'redis://:redis-s3cret@127.0.0.1:1', redisPrefix: 'startup', databaseUrl: undefined }));
  env.STARTUP_CONNECT_TIMEOUT_SECONDS = '1';
});
afterAll(async () => rm(dataDir, { recursive: true, force: true }));

describe('a start that cannot work', () => {
  it('reports LOG_LEVEL=loud as a configuration problem with exit code 78, no stack trace', START, async () => {
    const { code, out } = await run('src/server.ts', [], { LGSP_MODE: 'development', DATA_DIR: dataDir, LOG_LEVEL: 'loud' });
    expect(code).toBe(78);
    expect(out).toContain('LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent; got "loud"');
    expect(out).not.toMatch(/\n\s+at /);
  });

  it('gives up on an unreachable PostgreSQL, naming it without the password', START, async () => {
    const { code, out } = await run('src/server.ts', [], { ...env, DATABASE_URL: 'postgres://lgsp:pg-s3cret@127.0.0.1:1/lgsp' });
    expect(code).toBe(1);
    expect(out).toMatch(/PostgreSQL at postgres:\/\/127\.0\.0\.1:1\/lgsp is unreachable after 1 s \(.*ECONNREFUSED/);
    expect(out.match(/could not start/g)).toHaveLength(1);
    expect(out).not.toContain('pg-s3cret');
  });

  it('gives up on an unreachable Redis, naming it without the password', START, async () => {
    const { code, out } = await run('src/server.ts', [], env);
    expect(code).toBe(1);
    expect(out).toMatch(/Redis at redis:\/\/127\.0\.0\.1:1 is unreachable after 1 s \(.*ECONNREFUSED/);
    expect(out).not.toContain('redis-s3cret');
  });
});

describe('lgsp check-config', () => {
  it('checks the settings and the registry without starting anything', START, async () => {
    const ok = await run('src/cli/lgsp.ts', ['check-config'], env);
    expect(ok.out).toMatch(/^Configuration OK: production mode, roles api,worker,simulators; partner registry .*partners\.json: \d+ partner\(s\)\n$/);
    expect(ok.code).toBe(0);
    const bad = await run('src/cli/lgsp.ts', ['check-config'], { ...env, LOG_LEVEL: 'loud', PARTNERS_FILE: path.join(dataDir, 'absent.json') });
    expect(bad.code).toBe(78);
    expect(bad.out).toContain('LOG_LEVEL must be one of');
    expect(bad.out).toContain('Cannot read the partner registry');
    expect((await run('src/cli/lgsp.ts', [], env)).code).toBe(2);
  });
});
