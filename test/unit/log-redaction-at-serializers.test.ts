// Issue 17: personal data is redacted at the serializers of the keys that may carry it, not by wildcard
// paths walked on every line. Pins both halves: no wildcard path is left, and the carriers (logged
// errors and the likely keys of a dossier or a partner's answer) lose their personal fields at any depth.
import { describe, expect, it } from 'vitest';
import { REDACT_PATHS } from '../../src/logging/logger.js';
import { CARRIER_KEYS } from '../../src/logging/personal-data.js';
import { capturedLog } from '../support/captured-log.js';

const CITIZEN = { name: 'Lê Thị Hoa', idNumber: '001190054321', phone: '0911222333', ChuHoSo: 'Lê Thị Hoa', SoGiayToChuHoSo: '001190054321' };

async function logged(write: (logger: ReturnType<typeof capturedLog>['logger']) => void): Promise<string> {
  const log = capturedLog();
  write(log.logger);
  await new Promise((resolve) => setImmediate(resolve));
  expect(log.lines).toHaveLength(1);
  return log.lines[0]!;
}

describe('log redaction at the serializers', () => {
  it('keeps no wildcard path: pino looks every remaining path up by key', () => {
    expect(REDACT_PATHS.filter((path) => path.includes('*'))).toEqual([]);
  });

  it('redacts what an error carries, at any depth, and keeps what says what went wrong', async () => {
    const error = Object.assign(new Error('partner refused the item'), {
      code: 'E_REFUSED',
      response: { status: 400, body: { result: { items: [{ detail: { owner: CITIZEN } }] } } },
    });
    const line = await logged((logger) => logger.error({ err: error }, 'delivery failed'));
    for (const value of Object.values(CITIZEN)) expect(line).not.toContain(value);
    const { err } = JSON.parse(line);
    expect(err).toMatchObject({ type: 'Error', message: 'partner refused the item', code: 'E_REFUSED', response: { status: 400 } });
  });

  it.each(CARRIER_KEYS)('redacts personal fields three levels down under %s', async (key) => {
    const line = await logged((logger) => logger.warn({ [key]: { a: { b: { c: CITIZEN, code: 'HS-1' } } } }, 'logged by mistake'));
    for (const value of Object.values(CITIZEN)) expect(line).not.toContain(value);
    expect(line).toContain('HS-1');
  });

  it('leaves the logger name and the lines without carriers as they were', async () => {
    const line = JSON.parse(await logged((logger) => logger.info({ messageId: 'm-1', attempt: 2 }, 'delivery delivered')));
    expect(line).toMatchObject({ name: 'lgsp-gateway', messageId: 'm-1', attempt: 2, msg: 'delivery delivered' });
  });

  it('survives a cycle in a carrier', async () => {
    const body: Record<string, unknown> = { phone: '0911222333' };
    body.self = body;
    const line = await logged((logger) => logger.info({ body }, 'cyclic'));
    expect(line).not.toContain('0911222333');
  });
});
