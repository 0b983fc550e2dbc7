// Redis stopped under a running gateway: API requests do not wait for it. A write whose data is
// committed is accepted (202) and reaches the queue through the sweeper once Redis is back; what
// needs Redis to decide answers 503 in its road's terms (problem+json on /readyz, a SOAP Fault, an
// error_code) instead of hanging; a Redis that hangs (stopped with SIGSTOP) is bounded by the
// command timeout. Every request here carries a generous client timeout, so that a
// request waiting for Redis fails the test instead of hanging it; nothing asserts a duration.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { WSSE_NS, WSU_NS } from '../../../src/soap/envelope.js';
import { OPERATIONS, SOAP_SERVICE_NS } from '../../../src/soap/messages.js';
import { writeXml } from '../../../src/soap/xml-model.js';
import { SOAP_NS } from '../../../src/xml/soap.js';
import { sampleDossier } from '../../support/dossiers.js';
import { KEYS, eventually, startTestGateway, type TestGateway } from '../../support/gateway.js';
import { startOwnRedis, type OwnRedis } from '../../support/services.js';

/** Far above any answer that does not wait for Redis, far below Redis's absence in this test. */
const CLIENT_TIMEOUT_MS = 20_000;

describe('Redis down under a running gateway', () => {
  let redis: OwnRedis;
  let gw: TestGateway;
  beforeAll(async () => {
    redis = await startOwnRedis();
    gw = await startTestGateway({ engine: 'postgres', env: { REDIS_URL: redis.url, REDIS_COMMAND_TIMEOUT_MS: '1000' } });
  }, 60_000);
  afterAll(async () => {
    await gw?.close();
    await redis?.dispose();
  });

  async function call(method: 'GET' | 'POST', path: string, options: { body?: string; headers?: Record<string, string> } = {}) {
    const response = await request(`${gw.url}${path}`, {
      method,
      headers: options.headers ?? {},
      ...(options.body !== undefined ? { body: options.body } : {}),
      headersTimeout: CLIENT_TIMEOUT_MS,
      bodyTimeout: CLIENT_TIMEOUT_MS,
    });
    return { status: response.statusCode, type: String(response.headers['content-type']), text: await response.body.text() };
  }
  const json = (body: unknown, key?: string) => ({ body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...(key ? { 'x-api-key': key } : {}) } });

  it('answers without waiting: writes committed and queued later by the sweeper, 503 in each road’s terms where Redis decides', { timeout: 120_000 }, async () => {
    const login = JSON.parse((await call('POST', '/portal-compatible/login', { ...json({ username: 'hanoi-one-stop', password: KEYS.oneStop }), headers: { 'content-type': 'application/json', dstcode: 'DVCQG' } })).text);
    expect(login.error_code).toBe(0);

    // Redis hanging (the process stopped, its socket open): commands time out instead of waiting.
    const admin = new Redis(redis.url);
    const pid = Number(/process_id:(\d+)/.exec(await admin.info('server'))![1]);
    admin.disconnect();
    process.kill(pid, 'SIGSTOP');
    try {
      const hung = await call('POST', '/v1/dossiers', json(sampleDossier('REDIS-HUNG-0001'), KEYS.oneStop));
      expect(hung.status, hung.text).toBe(202);
    } finally {
      process.kill(pid, 'SIGCONT');
    }

    await redis.stop();

    // Accepted means committed: the answer does not depend on the queue.
    const code = 'REDIS-DOWN-0001';
    const created = await call('POST', '/v1/dossiers', json(sampleDossier(code), KEYS.oneStop));
    expect(created.status, created.text).toBe(202);
    expect(await gw.gateway.db.query('SELECT 1 FROM dossiers WHERE code = $1', [code])).toHaveLength(1);

    const ready = await call('GET', '/readyz');
    expect(ready.status).toBe(503);
    expect(ready.type).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(ready.text)).toMatchObject({ code: 'unavailable', checks: { redis: 'unreachable' } });

    // Metrics are scraped while Redis is away: the queue gauges are left out, the rest answers.
    const metrics = await call('GET', '/metrics', { headers: { 'x-api-key': KEYS.admin } });
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain('lgsp_messages');

    // The portal-compatible session lives in Redis: the call is refused in the protocol's terms.
    const session = await call('POST', '/portal-compatible/integration', json({ session: login.session, madonvi: '000.00.12.H26', service: 'TraCuuHoSo', MaHoSo: code }));
    expect(session.status).toBe(503);
    expect(JSON.parse(session.text)).toMatchObject({ error_code: 503 });

    // A SOAP Nonce must be remembered before the call is served: a Fault, not a call let through.
    const now = new Date().toISOString();
    const soap =
      `<soap:Envelope xmlns:soap="${SOAP_NS}" xmlns:wsu="${WSU_NS}"><soap:Header><wsse:Security xmlns:wsse="${WSSE_NS}"><wsse:UsernameToken>` +
      `<wsse:Username>hanoi-one-stop</wsse:Username><wsse:Password>${KEYS.oneStop}</wsse:Password><wsse:Nonce>cmVkaXMtZG93bg==</wsse:Nonce><wsu:Created>${now}</wsu:Created>` +
      `</wsse:UsernameToken></wsse:Security></soap:Header><soap:Body>${writeXml('GetDossierState', { dossierCode: code }, OPERATIONS.GetDossierState.request, SOAP_SERVICE_NS)}</soap:Body></soap:Envelope>`;
    const fault = await call('POST', '/soap/one-stop', { body: soap, headers: { 'content-type': 'text/xml; charset=utf-8' } });
    expect(fault.status).toBe(500);
    expect(fault.text).toContain('<faultcode>soap:Server</faultcode>');
    expect(fault.text).toContain('<code>unavailable</code>');

    // Back up, empty (no AOF was kept for this dossier's job): the sweeper queues what was committed.
    await redis.restart();
    await eventually(() => gw.sim.dossiers.has(code) && gw.sim.dossiers.has('REDIS-HUNG-0001'), 'both dossiers delivered after Redis came back', 60_000);
    expect((await call('GET', '/readyz')).status).toBe(200);
  });
});
