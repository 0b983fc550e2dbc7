// Rate limits and load shedding: a partner over its budget gets 429 with Retry-After, other partners
// are unaffected, the budget is shared by two gateway instances on one Redis, unauthenticated
// callers have their own smaller budget per address, and an event loop that stalls sheds load with
// 503 while the health probes still answer.
import { once } from 'node:events';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYS, eventually, startTestGateway, type TestGateway } from '../support/gateway.js';

describe('rate limits', () => {
  let first: TestGateway;
  let second: TestGateway;
  beforeAll(async () => {
    // PostgreSQL: two PGlite instances starting one after the other can take most of a minute on a busy machine.
    const env = { RATE_LIMIT_PARTNER_PER_MINUTE: '5', RATE_LIMIT_ANONYMOUS_PER_MINUTE: '3' };
    first = await startTestGateway({ engine: 'postgres', roles: 'api', env });
    // The same Redis prefix: the second instance counts in the same place, as replicas do.
    second = await startTestGateway({ engine: 'postgres', roles: 'api', env: { ...env, REDIS_PREFIX: first.redisPrefix } });
  });
  afterAll(async () => {
    await second?.close();
    await first?.close();
  });

  it('answers 429 problem+json with Retry-After once a partner spends its budget across both instances', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await first.call('GET', '/v1/dossiers/NONE-1', { key: KEYS.oneStop })).status);
    for (let i = 0; i < 2; i++) statuses.push((await second.call('GET', '/v1/dossiers/NONE-1', { key: KEYS.oneStop })).status);
    expect(statuses).toEqual([404, 404, 404, 404, 404]);
    const limited = await second.call('GET', '/v1/dossiers/NONE-1', { key: KEYS.oneStop });
    expect(limited.status).toBe(429);
    expect(String(limited.headers['content-type'])).toMatch(/^application\/problem\+json/);
    expect(limited.body.code).toBe('rate-limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  });

  it("does not charge one partner's flood to another", async () => {
    expect((await first.call('GET', '/v1/dossiers/NONE-2', { key: KEYS.otherOneStop })).status).toBe(404);
  });

  it('gives unauthenticated callers a smaller budget per address, and never limits the health probes', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await first.call('GET', '/v1/dossiers/NONE-3')).status);
    expect(statuses).toEqual([401, 401, 401, 429]);
    for (let i = 0; i < 5; i++) expect((await first.call('GET', '/healthz')).status).toBe(200);
  });
});

describe('load shedding', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ engine: 'pglite', roles: 'api', env: { LOAD_SHED_EVENT_LOOP_DELAY_MS: '100', LOAD_SHED_RETRY_AFTER_SECONDS: '7' } });
  });
  afterAll(async () => gw?.close());

  it('answers 503 overloaded with Retry-After while the event loop stalls, keeps /healthz up, and recovers', async () => {
    // The gateway runs in this process: stall its event loop as a runaway computation would.
    const stall = () => {
      const until = Date.now() + 400;
      while (Date.now() < until) {
        // busy
      }
    };
    let shed: Awaited<ReturnType<TestGateway['call']>> | undefined;
    for (let attempt = 0; attempt < 10 && !shed; attempt++) {
      setTimeout(stall, 0);
      await new Promise((r) => setTimeout(r, 250));
      const response = await gw.call('GET', '/v1/dossiers/NONE-4', { key: KEYS.oneStop });
      if (response.status === 503) shed = response;
    }
    expect(shed?.body.code).toBe('overloaded');
    expect(shed?.headers['retry-after']).toBe('7');
    setTimeout(stall, 0);
    await new Promise((r) => setTimeout(r, 250));
    expect((await gw.call('GET', '/healthz')).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await gw.call('GET', '/v1/dossiers/NONE-4', { key: KEYS.oneStop })).status).toBe(404);
  });

  it('sheds load on the SOAP front door with a SOAP Fault, and on the portal-compatible endpoint with an error_code', async () => {
    const stall = () => {
      const until = Date.now() + 400;
      while (Date.now() < until) {
        // busy
      }
    };
    /** Sends while the event loop stalls, until one answer is shed (at most 10 tries). */
    const whileStalled = async (send: () => ReturnType<TestGateway['call']>, shed: (answer: Awaited<ReturnType<TestGateway['call']>>) => boolean) => {
      for (let attempt = 0; attempt < 10; attempt++) {
        setTimeout(stall, 0);
        await new Promise((r) => setTimeout(r, 250));
        const answer = await send();
        if (shed(answer)) return answer;
      }
      return undefined;
    };
    const soap = await whileStalled(
      () => gw.call('POST', '/soap/one-stop', { raw: '<x/>', headers: { 'content-type': 'text/xml; charset=utf-8' } }),
      (answer) => String(answer.body).includes('<code>overloaded</code>'),
    );
    expect(soap?.status).toBe(500);
    expect(String(soap?.headers['content-type'])).toMatch(/^text\/xml/);
    expect(String(soap?.body)).toContain('<faultcode>soap:Server</faultcode>');
    expect(soap?.headers['retry-after']).toBe('7');
    const portal = await whileStalled(
      () => gw.call('POST', '/portal-compatible/login', { body: { username: 'hanoi-one-stop', password: KEYS.oneStop }, headers: { dstcode: 'DVCQG' } }),
      (answer) => answer.status === 503,
    );
    expect(portal?.body).toMatchObject({ error_code: 503 });
    expect(portal?.headers['retry-after']).toBe('7');
  });
});

describe('closing', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ engine: 'postgres', roles: 'api' });
  });
  afterAll(async () => gw?.close());

  it("answers requests that reach a closing instance with problem+json 503, not Fastify's plain JSON", async () => {
    // Two requests pipelined on one connection: the first holds the instance open (its body is still
    // coming) while close() begins, so the second reaches a closing instance.
    const socket = connect(Number(new URL(gw.url).port), '127.0.0.1');
    await once(socket, 'connect');
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    const body = JSON.stringify({ nothing: true });
    socket.write(`POST /v1/dossiers HTTP/1.1\r\nHost: x\r\nx-api-key: ${KEYS.oneStop}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body.slice(0, 5)}`);
    await new Promise((r) => setTimeout(r, 200));
    const closing = gw.gateway.app!.close();
    // The listener stops once the preClose hooks ran: from then on the instance is closing.
    await eventually(() => !gw.gateway.app!.server.listening, 'the listener stopped');
    socket.write(`${body.slice(5)}GET /v1/dossiers/ANY-1 HTTP/1.1\r\nHost: x\r\nx-api-key: ${KEYS.oneStop}\r\n\r\n`);
    // The second answer says `connection: close`: the socket ends once both answers are written.
    await Promise.all([once(socket, 'close'), closing]);
    const answers = received.split(/(?=HTTP\/1\.1 )/);
    expect(answers).toHaveLength(2);
    expect(answers[1]).toMatch(/^HTTP\/1\.1 503/);
    expect(answers[1]).toMatch(/content-type: application\/problem\+json/i);
    expect(answers[1]).toContain('"code":"unavailable"');
    socket.destroy();
  });
});
