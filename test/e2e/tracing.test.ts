// W3C trace context: the trace a partner starts with its request continues on the calls the gateway
// makes for it later (the national portal, the partner's webhook), each call a new span.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTraceparent } from '../../src/observability/trace-context.js';
import { sampleDossier } from '../support/dossiers.js';
import { KEYS, eventually, startTestGateway, type TestGateway } from '../support/gateway.js';

const CALLER_TRACE = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('trace context across the dossier path', () => {
  let gw: TestGateway;
  let receiver: Server;
  const webhookTraces: string[] = [];

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      webhookTraces.push(String(req.headers.traceparent));
      req.resume().on('end', () => res.writeHead(204).end());
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    gw = await startTestGateway({ engine: 'pglite', webhookUrl: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook` });
  });
  afterAll(async () => {
    await gw?.close();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  it("carries the caller's trace id to the portal call and the webhook, each with a span of its own", async () => {
    const response = await gw.call('POST', '/v1/dossiers', { key: KEYS.oneStop, body: sampleDossier('TRACE-1'), headers: { traceparent: CALLER_TRACE } });
    expect(response.status).toBe(202);
    await eventually(() => webhookTraces.length > 0, 'the webhook');
    const portalCall = gw.sim.calls.find((c) => c.service === 'DongBoHoSoMC');
    const portal = parseTraceparent(portalCall?.traceparent);
    const webhook = parseTraceparent(webhookTraces[0]);
    expect(portal?.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(webhook?.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(portal?.spanId).not.toBe('00f067aa0ba902b7');
    expect(webhook?.spanId).not.toBe(portal?.spanId);
    expect(portal?.flags).toBe('01');
  });

  it('starts a trace when the caller sent none or a malformed one', async () => {
    const before = gw.sim.calls.length;
    await gw.call('POST', '/v1/dossiers', { key: KEYS.oneStop, body: sampleDossier('TRACE-2'), headers: { traceparent: '00-zz-not-a-trace-01' } });
    await eventually(() => gw.sim.calls.slice(before).some((c) => c.service === 'DongBoHoSoMC'), 'the portal call');
    const call = gw.sim.calls.slice(before).find((c) => c.service === 'DongBoHoSoMC');
    const trace = parseTraceparent(call?.traceparent);
    expect(trace).toBeDefined();
    expect(trace?.traceId).not.toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });
});
