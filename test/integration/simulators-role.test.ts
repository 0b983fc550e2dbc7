// A process with only the simulators role starts the national portal's simulator and nothing of the
// gateway's own: what startGateway returns says so in its type (kind 'simulators'), with no database.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { serving, startGateway, type Gateway } from '../../src/compose/gateway.js';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/logging/logger.js';

describe('a simulators-only process', () => {
  let gateway: Gateway | undefined;
  let dataDir: string | undefined;
  afterAll(async () => {
    await gateway?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('runs the portal simulator and no gateway parts', async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'lgsp-sims-'));
    const config = loadConfig({ LGSP_MODE: 'development', DATA_DIR: dataDir, PROCESS_ROLES: 'simulators', NATIONAL_PORTAL_SIMULATOR_PORT: '0' });
    gateway = await startGateway(config, createLogger({ level: 'warn' }));
    expect(gateway.kind).toBe('simulators');
    expect(gateway.simulator?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect('db' in gateway).toBe(false);
    expect(() => serving(gateway!)).toThrow(/only the simulators role/);
    const answer = await fetch(`${gateway.simulator!.url}/`).catch((error: Error) => error);
    expect(answer).toBeInstanceOf(Response);
  });
});
