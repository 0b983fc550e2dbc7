// What the operator on call relies on: the bulk lane staying out of live traffic's way, health and
// readiness, the generated OpenAPI, logs without personal data, and a production start that refuses
// to run half-configured.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/logging/logger.js';
import { KEYS, eventually, startTestGateway, type TestGateway } from '../support/gateway.js';
import { sampleDossier } from '../support/dossiers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('operations (pglite)', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ engine: 'pglite', env: { BULK_CALLS_PER_SECOND: '4', DELIVERY_BATCH_SIZE: '1' } });
  });
  afterAll(async () => gw?.close());

  it('delivers a live dossier while a bulk re-sync is still crawling at its own rate', async () => {
    const bulk = Array.from({ length: 24 }, (_, i) => `BULK-${i}`);
    for (const code of bulk) {
      const r = await gw.call('POST', '/v1/dossiers', { key: KEYS.oneStop, body: sampleDossier(code), headers: { 'x-sync-lane': 'bulk' } });
      expect(r.status).toBe(202);
    }
    expect((await gw.call('POST', '/v1/dossiers', { key: KEYS.oneStop, body: sampleDossier('LIVE-1') })).status).toBe(202);
    await eventually(() => gw.sim.dossiers.has('LIVE-1'), 'the live dossier is delivered');
    const bulkDone = bulk.filter((c) => gw.sim.dossiers.has(c)).length;
    expect(bulkDone).toBeLessThan(bulk.length);
    const view = await gw.call('GET', '/v1/dossiers/BULK-0', { key: KEYS.oneStop });
    expect(view.body.deliveries[0].lane).toBe('bulk');
    await eventually(() => bulk.every((c) => gw.sim.dossiers.has(c)), 'the bulk lane finishes too', 30_000);
  });

  it('answers /healthz and /readyz', async () => {
    expect((await gw.call('GET', '/healthz')).body).toEqual({ status: 'ok' });
    expect((await gw.call('GET', '/readyz')).body).toEqual({ status: 'ready', checks: { database: 'ok', redis: 'ok' } });
  });

  it('serves Prometheus metrics to the admin role only', async () => {
    expect((await gw.call('GET', '/metrics')).status).toBe(401);
    expect((await gw.call('GET', '/metrics', { key: KEYS.oneStop })).status).toBe(403);
    const scrape = await gw.call('GET', '/metrics', { key: KEYS.admin });
    expect(scrape.status).toBe(200);
    expect(scrape.body).toMatch(/lgsp_delivery_attempts_total\{destination="national-portal",outcome="delivered"\} \d+/);
    expect(scrape.body).toMatch(/lgsp_http_request_duration_seconds_count\{route="\/v1\/dossiers",method="POST",status="202",partner="hanoi-one-stop"\} \d+/);
    expect(scrape.body).toMatch(/lgsp_queue_jobs\{lane="live",state="waiting"\} \d+/);
    expect(scrape.body).toMatch(/lgsp_message_log_records \d+/);
  });

  it('serves an OpenAPI document generated from the route schemas', async () => {
    const spec = (await gw.call('GET', '/docs/json')).body;
    expect(spec.openapi).toBe('3.0.3');
    expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(['/v1/dossiers', '/v1/dossiers/{code}/events', '/v1/dossiers/{code}', '/v1/files', '/v1/admin/messages/{id}/replay']));
    const body = spec.paths['/v1/dossiers'].post.requestBody.content['application/json'].schema;
    expect(body.required).toEqual(expect.arrayContaining(['code', 'procedure', 'agency', 'applicant', 'status']));
  });

  it("lists no schema keywords as query parameters of a provider's notification endpoint", async () => {
    const spec = (await gw.call('GET', '/docs/json')).body;
    for (const method of ['get', 'post']) {
      const parameters = (spec.paths['/v1/payments/notifications/{provider}'][method].parameters ?? []) as { in: string; name: string }[];
      expect(parameters.filter((p) => p.in === 'query').map((p) => p.name), method).toEqual([]);
      expect(parameters.filter((p) => p.in === 'path').map((p) => p.name), method).toEqual(['provider']);
    }
  });

  it('refuses an expired or forged attachment link', async () => {
    const id = '3b1f6c2e-9d4a-4e57-8a61-0c2f9e7b5d13';
    const r = await gw.call('GET', `/files/${id}?expires=1&signature=${'A'.repeat(43)}`);
    expect(r.status).toBe(403);
    expect(r.body.code).toBe('invalid-file-link');
  });

  it('refuses an upload whose bytes contradict its declared type', async () => {
    const r = await gw.call('POST', '/v1/files', {
      key: KEYS.oneStop,
      raw: '<script>alert(1)</script>',
      headers: { 'content-type': 'application/pdf', 'x-file-name': 'to-khai.pdf' },
    });
    expect(r.status).toBe(415);
    expect(await gw.gateway.db.query('SELECT id FROM files')).toHaveLength(0);
  });
});

describe('logs', () => {
  it('redact personal data wherever an object carrying it is logged', () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', destination: new Writable({ write: (chunk, _e, cb) => (lines.push(String(chunk)), cb()) }) as never });
    const dossier = sampleDossier('LOG-1');
    logger.info({ dossier, item: { ChuHoSo: 'Phạm Văn Bình', SoGiayToChuHoSo: '001090009999', SoDienThoai: '0987654321' }, req: { headers: { 'x-api-key': 'secret-key' } } }, 'oops');
    const out = lines.join('');
    for (const secret of ['Phạm Văn Bình', '001090009999', '0987654321', 'binh.pham@example.vn', 'secret-key']) expect(out).not.toContain(secret);
    expect(out).toContain('LOG-1');
  });
});

describe('a production start', () => {
  it('refuses to start with a fresh data folder and no keys, saying what is missing', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'lgsp-prod-'));
    try {
      const env = { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, LGSP_MODE: 'production' };
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (c) => (stderr += c));
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      expect(code).toBe(78);
      expect(stderr).toMatch(/PARTNERS_FILE is required in production/);
      expect(stderr).toMatch(/FILE_URL_SECRET is required in production/);
      expect(stderr).toMatch(/NATIONAL_PORTAL_URL is required in production/);
      expect(() => loadConfig(env)).toThrow();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
