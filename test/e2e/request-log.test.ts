// Issue 17: one log line per request at info (src/logging/request-log.ts), carrying what an operator
// follows a request by: method, URL, status, response time, partner, request id and trace id. Refusals
// get that same single line (the refusal log records them in the message log, not in pino).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capturedLog, type CapturedLog } from '../support/captured-log.js';
import { sampleDossier } from '../support/dossiers.js';
import { KEYS, eventually, startTestGateway, type TestGateway } from '../support/gateway.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

describe('the request log line', () => {
  let gw: TestGateway;
  let log: CapturedLog;
  beforeAll(async () => {
    log = capturedLog();
    gw = await startTestGateway({ engine: 'pglite', roles: 'api', logger: log.logger });
  });
  afterAll(async () => gw?.close());

  /** Every line the request with this id wrote, once its request line is there. */
  async function linesOf(requestId: string, mark: number): Promise<Record<string, unknown>[]> {
    const of = () => log.since(mark).map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.reqId === requestId);
    await eventually(() => of().some((line) => line.msg === 'request completed'), `the request line of ${requestId}`);
    return of();
  }

  it('is one line at info for an accepted dossier, with the partner, the status and the trace', async () => {
    const mark = log.lines.length;
    const headers = { 'x-request-id': 'req-log-accepted', traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01` };
    const response = await gw.call('POST', '/v1/dossiers', { key: KEYS.oneStop, body: sampleDossier('REQ-LOG-1'), headers });
    expect(response.status).toBe(202);
    const lines = await linesOf('req-log-accepted', mark);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'info', msg: 'request completed', method: 'POST', url: '/v1/dossiers', statusCode: 202, partner: 'hanoi-one-stop', traceId: TRACE_ID });
    expect(typeof lines[0]!.responseTime).toBe('number');
    expect(log.since(mark).filter((line) => line.includes('incoming request'))).toEqual([]);
  });

  it('is the only line of a refusal, without a partner when the caller is unknown', async () => {
    const mark = log.lines.length;
    const response = await gw.call('POST', '/v1/dossiers', { body: sampleDossier('REQ-LOG-2'), headers: { 'x-request-id': 'req-log-refused' } });
    expect(response.status).toBe(401);
    const lines = await linesOf('req-log-refused', mark);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'info', msg: 'request completed', method: 'POST', url: '/v1/dossiers', statusCode: 401 });
    expect(lines[0]).not.toHaveProperty('partner');
  });

  it('is the only line of a request refused by its schema', async () => {
    const mark = log.lines.length;
    const response = await gw.call('POST', '/v1/dossiers', { key: KEYS.oneStop, body: { code: 'REQ-LOG-3' }, headers: { 'x-request-id': 'req-log-invalid' } });
    expect(response.status).toBe(400);
    const lines = await linesOf('req-log-invalid', mark);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ statusCode: 400, partner: 'hanoi-one-stop' });
  });
});
