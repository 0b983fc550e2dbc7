// The client against the real simulator on a loopback port.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NationalPortalClient, type PortalAccount } from '../../adapters/national-portal/client.js';
import { startNationalPortalSimulator, type PortalSimulator } from '../../adapters/national-portal/simulator.js';
import { toDossierItem } from '../../adapters/national-portal/translate.js';
import { goldenContext, loadGoldenCases } from '../fixtures/national-portal/fixtures.js';

const account: PortalAccount = { agencyCode: '000.00.12.H26', username: 'lgsp', password: 'lgsp-dev' };
const item = toDossierItem(loadGoldenCases()[0]!.dossier, goldenContext);
const create = { service: 'DongBoHoSoMC', isUpdating: false, data: [item] } as const;

let sim: PortalSimulator;
let client: NationalPortalClient;

beforeAll(async () => {
  sim = await startNationalPortalSimulator({ expectedDstcode: 'DVCQG' });
  client = new NationalPortalClient({ baseUrl: sim.url, timeoutMs: 1_000 });
});
afterAll(async () => {
  await client.close();
  await sim.close();
});
afterEach(() => {
  sim.faults.clear();
  sim.dossiers.clear();
  sim.calls.length = 0;
});

const logins = () => sim.calls.filter((c) => c.service === 'login').length;

describe('NationalPortalClient', () => {
  it('logs in with the dstcode header, then creates a dossier the portal keeps exactly as sent', async () => {
    const fresh = new NationalPortalClient({ baseUrl: sim.url });
    expect(await fresh.send(account, create)).toEqual({ kind: 'ok' });
    await fresh.close();
    expect(sim.dossiers.get(item.MaHoSo)).toStrictEqual(item);
    expect(sim.calls.map(({ signature: _signature, ...call }) => call)).toEqual([
      { service: 'login', codes: [], answer: '0' },
      { service: 'DongBoHoSoMC', isUpdating: false, codes: [item.MaHoSo], answer: '0' },
    ]);
  });

  it('shares one login between concurrent first calls and keeps the session for later ones', async () => {
    const fresh = new NationalPortalClient({ baseUrl: sim.url });
    await Promise.all(['A-1', 'A-2', 'A-3'].map((code) => fresh.dossierExists(account, code)));
    await fresh.dossierExists(account, 'A-4');
    await fresh.close();
    expect(logins()).toBe(1);
    expect(sim.calls.length).toBe(5);
  });

  it('keeps one session per account', async () => {
    const multi = await startNationalPortalSimulator({ accounts: [{ username: 'lgsp', password: 'lgsp-dev' }, { username: 'hue', password: 'hue-dev' }] });
    const fresh = new NationalPortalClient({ baseUrl: multi.url });
    await fresh.dossierExists(account, 'A-1');
    await fresh.dossierExists({ agencyCode: '000.00.01.H46', username: 'hue', password: 'hue-dev' }, 'A-1');
    await fresh.dossierExists(account, 'A-2');
    await fresh.close();
    await multi.close();
    expect(multi.calls.filter((c) => c.service === 'login').length).toBe(2);
  });

  it('logs in again, once, when the portal says the session expired, and repeats the call', async () => {
    await client.send(account, create);
    sim.expireSessions();
    sim.calls.length = 0;
    expect(await client.send(account, { service: 'DongBoHoSoMC', isUpdating: true, data: [item] })).toEqual({ kind: 'ok' });
    expect(sim.calls.map((c) => `${c.service}:${c.answer}`)).toEqual(['DongBoHoSoMC:-1', 'login:0', 'DongBoHoSoMC:0']);
    expect(sim.receivedOrder.at(-1)).toBe(`update:${item.MaHoSo}`);
  });

  it('gives up as unavailable when even a fresh session is refused', async () => {
    sim.faults.set({ errorCodeNextCalls: { count: 2, errorCode: -1, message: 'Session đã hết hạn' } });
    expect(await client.send(account, create)).toEqual({ kind: 'unavailable', reason: 'the portal rejected a freshly issued session' });
  });

  it('reports a create of an existing dossier as already-exists', async () => {
    await client.send(account, create);
    expect(await client.send(account, create)).toEqual({
      kind: 'already-exists',
      errorCode: '-3',
      message: `Hồ sơ đã tồn tại: ${item.MaHoSo}`,
    });
  });

  it('reads success written 0, "0" or "00", and "already exists" as 3 without accents', async () => {
    for (const errorCode of [0, '0', '00']) {
      sim.faults.set({ errorCodeNextCalls: { count: 1, errorCode, message: 'Thành công' } });
      expect(await client.send(account, create)).toEqual({ kind: 'ok' });
    }
    sim.faults.set({ errorCodeNextCalls: { count: 1, errorCode: 3, message: 'HO SO DA TON TAI' } });
    expect((await client.send(account, create)).kind).toBe('already-exists');
    sim.faults.set({ errorCodeNextCalls: { count: 1, errorCode: 3, message: 'Mã TTHC sai' } });
    expect((await client.send(account, create)).kind).toBe('refused');
  });

  it('tells whether the portal has a dossier (TraCuuHoSo)', async () => {
    expect(await client.dossierExists(account, item.MaHoSo)).toBe(false);
    await client.send(account, create);
    expect(await client.dossierExists(account, item.MaHoSo)).toBe(true);
  });

  it('answers unavailable on HTTP 500, on a dropped connection and on a timeout, then recovers', async () => {
    sim.faults.set({ failNextCalls: 1 });
    expect(await client.send(account, create)).toEqual({ kind: 'unavailable', reason: 'HTTP 500' });
    sim.faults.set({ dropNextConnections: 1 });
    expect(await client.send(account, create)).toMatchObject({ kind: 'unavailable', reason: expect.stringMatching(/^network error/) });
    sim.faults.set({ delayMs: 1_500 });
    expect(await client.send(account, create)).toMatchObject({ kind: 'unavailable', reason: expect.stringMatching(/^network error/) });
    sim.faults.clear();
    expect(await client.send(account, create)).toEqual({ kind: 'ok' });
  });

  it('answers unavailable, not refused, when the credentials are wrong, and never repeats the password', async () => {
    const answer = await client.send({ ...account, username: 'other', password: 'Secret-Password-123' }, create);
    expect(answer).toMatchObject({ kind: 'unavailable', reason: expect.stringMatching(/^login refused/) });
    expect(JSON.stringify(answer)).not.toContain('Secret-Password-123');
  });

  it('answers unavailable when nothing listens, and dossierExists throws', async () => {
    const nowhere = new NationalPortalClient({ baseUrl: 'http://127.0.0.1:9/portal', timeoutMs: 500 });
    expect((await nowhere.send(account, create)).kind).toBe('unavailable');
    await expect(nowhere.dossierExists(account, item.MaHoSo)).rejects.toThrow(/unavailable/);
    await nowhere.close();
  });

  it('never returns the session or personal data, even when the portal quotes the whole request', async () => {
    sim.faults.set({ poisonCodes: [item.MaHoSo], echoRequestInErrors: true });
    const answer = await client.send(account, create);
    expect(answer.kind).toBe('refused');
    const text = JSON.stringify(answer);
    expect(text).toContain(item.MaHoSo);
    for (const value of [item.ChuHoSo, item.SoGiayToChuHoSo, item.SoDienThoai, item.Email, 'lananh', '0912']) {
      expect(text).not.toContain(value);
    }
    expect(text).not.toMatch(/[0-9a-f]{16}/); // the simulator's sessions are 48 hex digits
  });
});
