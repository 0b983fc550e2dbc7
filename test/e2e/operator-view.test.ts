// The operator's view of a running gateway: every metric an on-call operator alerts on is scraped
// and seen to move after real dossiers (delivered, dead-lettered, refused for a bad signature), and
// the queue dashboard opens for the admin role only, from a browser (HTTP Basic) or a script.
import path from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYS, eventually, startTestGateway, type TestGateway } from '../support/gateway.js';
import { sampleDossier } from '../support/dossiers.js';

/** One scrape as sample → value, e.g. `lgsp_messages{destination="national-portal",state="dead"}` → 1. */
type Scrape = Map<string, number>;

const basic = (key: string, user = 'ops') => `Basic ${Buffer.from(`${user}:${key}`).toString('base64')}`;

describe('the operator view', () => {
  let gw: TestGateway;
  const scrape = async (): Promise<Scrape> => {
    const r = await gw.call('GET', '/metrics', { key: KEYS.admin });
    expect(r.status).toBe(200);
    const samples: Scrape = new Map();
    for (const line of String(r.body).split('\n')) {
      if (line === '' || line.startsWith('#')) continue;
      const at = line.lastIndexOf(' ');
      samples.set(line.slice(0, at), Number(line.slice(at + 1)));
    }
    return samples;
  };
  const value = (s: Scrape, sample: string) => s.get(sample) ?? 0;

  beforeAll(async () => {
    gw = await startTestGateway({ engine: 'postgres', env: { DELIVERY_MAX_ATTEMPTS: '3' } });
  });
  afterAll(async () => gw?.close());

  describe('metrics', () => {
    const ACCEPTED = 'lgsp_http_request_duration_seconds_count{route="/v1/dossiers",method="POST",status="202",partner="hanoi-one-stop"}';
    const DELIVERED = 'lgsp_delivery_attempts_total{destination="national-portal",outcome="delivered"}';
    const LATENCY = 'lgsp_delivery_latency_seconds_count{destination="national-portal"}';

    it('count a delivered dossier: request rate per route and partner, queue depth while it is in flight, attempts, delivery latency, the log and its checkpoint', async () => {
      const before = await scrape();
      // The portal answers slowly, so the dossier is seen in the queue before it is delivered.
      gw.sim.faults.set({ delayMs: 1_000 });
      expect((await gw.call('POST', '/v1/dossiers', { key: KEYS.oneStop, body: sampleDossier('METRICS-1') })).status).toBe(202);
      const inFlight = await eventually(async () => {
        const s = await scrape();
        return value(s, 'lgsp_queue_jobs{lane="live",state="active"}') + value(s, 'lgsp_queue_jobs{lane="live",state="waiting"}') >= 1 && s;
      }, 'the dossier shows in the live queue');
      expect(value(inFlight, 'lgsp_messages{destination="national-portal",state="pending"}')).toBeGreaterThanOrEqual(1);
      await eventually(() => gw.sim.dossiers.has('METRICS-1'), 'the dossier is delivered');
      gw.sim.faults.clear();

      const after = await eventually(async () => {
        const s = await scrape();
        const settled = value(s, DELIVERED) > value(before, DELIVERED) && value(s, 'lgsp_messages{destination="national-portal",state="pending"}') === 0;
        return settled && value(s, 'lgsp_audit_checkpoint_tree_size') > value(before, 'lgsp_audit_checkpoint_tree_size') && s;
      }, 'the delivery is counted, nothing is pending, and a checkpoint covers the new records');
      expect(value(after, ACCEPTED)).toBe(value(before, ACCEPTED) + 1);
      expect(after.get('lgsp_http_request_duration_seconds_bucket{le="+Inf",route="/v1/dossiers",method="POST",status="202",partner="hanoi-one-stop"}')).toBe(value(after, ACCEPTED));
      expect(value(after, LATENCY)).toBe(value(before, LATENCY) + 1);
      expect(value(after, 'lgsp_delivery_latency_seconds_sum{destination="national-portal"}')).toBeGreaterThan(0);
      expect(value(after, 'lgsp_message_log_records')).toBeGreaterThan(value(before, 'lgsp_message_log_records'));
      expect(value(after, 'lgsp_audit_log_tree_size')).toBeGreaterThan(value(before, 'lgsp_audit_log_tree_size'));
      expect(value(after, 'lgsp_audit_log_tree_size')).toBeGreaterThanOrEqual(value(after, 'lgsp_audit_checkpoint_tree_size'));
      const age = after.get('lgsp_audit_checkpoint_age_seconds');
      expect(age).toBeGreaterThanOrEqual(0);
      expect(age).toBeLessThan(3_600);
      expect(after.has('lgsp_process_resident_memory_bytes')).toBe(true);
    });

    it('count a dead letter: the dead gauge and the dead outcome move together', async () => {
      const before = await scrape();
      gw.sim.faults.set({ poisonCodes: ['METRICS-DEAD'] });
      try {
        expect((await gw.call('POST', '/v1/dossiers', { key: KEYS.oneStop, body: sampleDossier('METRICS-DEAD') })).status).toBe(202);
        const after = await eventually(async () => {
          const s = await scrape();
          return value(s, 'lgsp_messages{destination="national-portal",state="dead"}') === 1 && s;
        }, 'the poisoned dossier is dead-lettered');
        expect(value(after, 'lgsp_delivery_attempts_total{destination="national-portal",outcome="dead"}')).toBe(
          value(before, 'lgsp_delivery_attempts_total{destination="national-portal",outcome="dead"}') + 1,
        );
        const dead = await gw.call('GET', '/v1/admin/messages?state=dead', { key: KEYS.admin });
        expect(dead.body.messages.map((m: { dossierCode: string }) => m.dossierCode)).toEqual(['METRICS-DEAD']);
      } finally {
        gw.sim.faults.clear();
      }
    });

    it('count a refused signature by its problem code, and store nothing for it', async () => {
      const before = await scrape();
      const r = await gw.call('POST', '/v1/dossiers', { key: KEYS.oneStop, body: sampleDossier('METRICS-FORGED'), headers: { 'x-jws-signature': 'e30..AAAA' } });
      expect(r.status).toBe(401);
      const after = await scrape();
      const code = r.body.code as string;
      expect(value(after, `lgsp_signature_failures_total{code="${code}"}`)).toBe(value(before, `lgsp_signature_failures_total{code="${code}"}`) + 1);
      expect(await gw.gateway.db.query('SELECT code FROM dossiers WHERE code = $1', ['METRICS-FORGED'])).toHaveLength(0);
    });

    it('keeps the partner label to registered partners: an unknown key is counted as anonymous, never by its value', async () => {
      const forged = 'not-a-key-of-anyone-1234567890';
      expect((await gw.call('POST', '/v1/dossiers', { key: forged, body: sampleDossier('METRICS-ANON') })).status).toBe(401);
      const text = String((await gw.call('GET', '/metrics', { key: KEYS.admin })).body);
      expect(text).toMatch(/lgsp_http_request_duration_seconds_count\{route="\/v1\/dossiers",method="POST",status="401",partner="anonymous"\} \d+/);
      expect(text).not.toContain(forged);
      const partners = new Set([...text.matchAll(/partner="([^"]*)"/g)].map((m) => m[1]));
      expect([...partners].every((p) => ['anonymous', 'hanoi-one-stop', 'ops'].includes(p!))).toBe(true);
    });

    it('accepts the admin key as the HTTP Basic password (Prometheus basic_auth), and nothing less', async () => {
      expect((await gw.call('GET', '/metrics', { headers: { authorization: basic(KEYS.admin, 'prometheus') } })).status).toBe(200);
      expect((await gw.call('GET', '/metrics', { headers: { authorization: basic(KEYS.oneStop) } })).status).toBe(403);
      expect((await gw.call('GET', '/metrics', { headers: { authorization: basic('wrong') } })).status).toBe(401);
    });
  });

  describe('queue dashboard', () => {
    it('asks a browser for credentials: 401 with a Basic challenge, as problem+json', async () => {
      const r = await gw.call('GET', '/admin/queues');
      expect(r.status).toBe(401);
      expect(r.headers['www-authenticate']).toMatch(/^Basic realm="LGSP queue dashboard"/);
      expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(r.body.code).toBe('unauthenticated');
    });

    it('refuses a wrong key, a malformed Basic header and its JSON API without credentials', async () => {
      expect((await gw.call('GET', '/admin/queues', { headers: { authorization: basic('wrong-key') } })).status).toBe(401);
      expect((await gw.call('GET', '/admin/queues', { headers: { authorization: 'Basic !!!not-base64' } })).status).toBe(401);
      expect((await gw.call('GET', '/admin/queues', { headers: { authorization: `Basic ${Buffer.from(KEYS.admin).toString('base64')}` } })).status).toBe(401);
      const api = await gw.call('GET', '/admin/queues/api/queues');
      expect(api.status).toBe(401);
      expect(api.body.code).toBe('unauthenticated');
    });

    it('refuses a partner without the admin role, by Basic or by x-api-key: 403', async () => {
      const byBasic = await gw.call('GET', '/admin/queues', { headers: { authorization: basic(KEYS.oneStop) } });
      expect(byBasic.status).toBe(403);
      expect(byBasic.body.code).toBe('forbidden-role');
      expect((await gw.call('GET', '/admin/queues/api/queues', { key: KEYS.auditor })).status).toBe(403);
    });

    it('serves the dashboard page to the admin role', async () => {
      const r = await gw.call('GET', '/admin/queues', { headers: { authorization: basic(KEYS.admin) } });
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toMatch(/^text\/html/);
      expect(r.body).toContain('<base href="/admin/queues/" />');
      const script = /src="(static\/js\/main\.[^"]+\.js)"/.exec(r.body)?.[1];
      expect(script).toBeDefined();
      const asset = await gw.call('GET', `/admin/queues/${script}`, { headers: { authorization: basic(KEYS.admin) } });
      expect(asset.status).toBe(200);
      expect(asset.headers['content-type']).toMatch(/javascript/);
      expect((await gw.call('GET', `/admin/queues/${script}`)).status).toBe(401);
    });

    it('lists both delivery lanes in its JSON API', async () => {
      const r = await gw.call('GET', '/admin/queues/api/queues', { key: KEYS.admin });
      expect(r.status).toBe(200);
      const names = (r.body.queues as { name: string; readOnlyMode: boolean }[]).map((q) => q.name).sort();
      expect(names).toEqual(['deliveries-bulk', 'deliveries-live']);
      expect((r.body.queues as { readOnlyMode: boolean }[]).every((q) => q.readOnlyMode)).toBe(true);
      // The dashboard's own routes stay out of the partners' OpenAPI document; /metrics is in it.
      const paths = Object.keys((await gw.call('GET', '/docs/json')).body.paths);
      expect(paths.filter((p) => p.startsWith('/admin/queues'))).toEqual([]);
      expect(paths).toContain('/metrics');
    });

    it('is read-only: pausing a lane or cleaning it is refused and changes nothing', async () => {
      const auth = { authorization: basic(KEYS.admin) };
      expect((await gw.call('PUT', '/admin/queues/api/queues/deliveries-live/pause', { headers: auth })).status).toBe(405);
      expect((await gw.call('PUT', '/admin/queues/api/queues/deliveries-live/clean/delayed', { headers: auth })).status).toBe(405);
      expect(await gw.gateway.queues.queues.live.isPaused()).toBe(false);
      expect((await gw.call('POST', '/v1/dossiers', { key: KEYS.oneStop, body: sampleDossier('AFTER-DASHBOARD') })).status).toBe(202);
      await eventually(() => gw.sim.dossiers.has('AFTER-DASHBOARD'), 'the live lane still delivers');
    });
  });

  describe('a worker-only process', () => {
    let worker: TestGateway | undefined;
    afterAll(async () => worker?.close());

    it('serves its own delivery counts on METRICS_PORT (admin only), with health, and no API', async () => {
      // A second worker on the same database, queues, portal and log key: deliveries split between the two.
      worker = await startTestGateway({
        engine: 'postgres',
        roles: 'worker',
        sim: gw.sim,
        env: { DATABASE_URL: gw.databaseUrl!, REDIS_PREFIX: gw.redisPrefix, AUDIT_LOG_KEY_FILE: path.join(gw.dataDir, 'audit-log.key'), METRICS_PORT: '0' },
      });
      const base = worker.gateway.metricsUrl!;
      expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const get = async (pathname: string, authorization?: string) => {
        const r = await request(base + pathname, { headers: authorization ? { authorization } : {} });
        return { status: r.statusCode, text: await r.body.text() };
      };
      const delivered = (text: string) => Number(/^lgsp_delivery_attempts_total\{destination="national-portal",outcome="delivered"\} (\d+)$/m.exec(text)?.[1] ?? 0);
      const both = async () => delivered((await get('/metrics', basic(KEYS.admin))).text) + delivered(String((await gw.call('GET', '/metrics', { key: KEYS.admin })).body));

      expect((await get('/metrics')).status).toBe(401);
      expect((await get('/metrics', basic(KEYS.oneStop))).status).toBe(403);
      expect((await get('/healthz')).status).toBe(200);
      expect((await get('/v1/dossiers')).status).toBe(404);

      const start = await both();
      const codes = ['SPLIT-1', 'SPLIT-2', 'SPLIT-3', 'SPLIT-4'];
      for (const code of codes) expect((await gw.call('POST', '/v1/dossiers', { key: KEYS.oneStop, body: sampleDossier(code) })).status).toBe(202);
      await eventually(() => codes.every((c) => gw.sim.dossiers.has(c)), 'both workers deliver');
      await eventually(async () => (await both()) === start + codes.length, 'the two processes count every delivery once between them');
    });
  });
});
