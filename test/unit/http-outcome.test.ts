// One reading of a partner's HTTP answer for every client and destination: 408, 429 and 5xx are
// passing trouble to retry (with the partner's Retry-After), other 4xx are final, network errors retry.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { describe, expect, it } from 'vitest';
import { connectionFailure, httpOutcome, isTransientStatus, requestText, transientStatus } from '../../src/core/http-outcome.js';

describe('HTTP outcome', () => {
  it('counts 408, 429 and every 5xx as transient, and nothing else', () => {
    for (const status of [408, 429, 500, 502, 503, 504, 599]) expect(isTransientStatus(status), String(status)).toBe(true);
    for (const status of [200, 204, 301, 400, 401, 403, 404, 409, 422]) expect(isTransientStatus(status), String(status)).toBe(false);
  });

  it("carries the partner's Retry-After with a transient status only", () => {
    expect(transientStatus(503, '60')).toEqual({ kind: 'unavailable', reason: 'HTTP 503', retryAfterMs: 60_000 });
    expect(transientStatus(429)).toEqual({ kind: 'unavailable', reason: 'HTTP 429' });
    expect(transientStatus(500, 'soon')).toEqual({ kind: 'unavailable', reason: 'HTTP 500' });
    expect(transientStatus(400, '60')).toBeUndefined();
  });

  it('reads a whole call: 2xx ok, transient unavailable, any other status refused', () => {
    expect(httpOutcome(202)).toEqual({ kind: 'ok' });
    expect(httpOutcome(408, ['5'])).toEqual({ kind: 'unavailable', reason: 'HTTP 408', retryAfterMs: 5000 });
    expect(httpOutcome(404)).toEqual({ kind: 'refused', reason: 'HTTP 404' });
    expect(httpOutcome(302)).toEqual({ kind: 'refused', reason: 'HTTP 302' });
  });

  it('names a connection error by its code, never by its message', () => {
    const err = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443 body={"secret":1}'), { code: 'ECONNREFUSED' });
    expect(connectionFailure(err)).toEqual({ kind: 'unavailable', reason: 'network error (ECONNREFUSED)' });
    expect(connectionFailure(new TypeError('fetch failed'))).toEqual({ kind: 'unavailable', reason: 'network error (TypeError)' });
  });
});

describe('requestText', () => {
  it('reads a verdict whole, and turns a transient status or a closed port into unavailable', async () => {
    const server = createServer((req, res) => {
      if (req.url === '/busy') res.writeHead(503, { 'retry-after': '30' }).end('later');
      else res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"bad"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const agent = new Agent();
    try {
      expect(await requestText(agent, { origin, path: '/bad', method: 'GET' })).toEqual({ kind: 'text', status: 400, text: '{"error":"bad"}' });
      expect(await requestText(agent, { origin, path: '/busy', method: 'GET' })).toEqual({ kind: 'unavailable', reason: 'HTTP 503', retryAfterMs: 30_000 });
    } finally {
      await agent.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    const closed = new Agent();
    try {
      expect(await requestText(closed, { origin, path: '/', method: 'GET' })).toEqual({ kind: 'unavailable', reason: 'network error (ECONNREFUSED)' });
    } finally {
      await closed.close();
    }
  });
});
