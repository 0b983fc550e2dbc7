// The client against the real simulator on a loopback port.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NationalPortalClient, type PortalAccount } from '../../adapters/national-portal/client.js';
import { startNationalPortalSimulator, type PortalSimulator } from '../../adapters/national-portal/simulator.js';
import { toDossierItem } from '../../adapters/national-portal/translate.js';
import { goldenContext, loadGoldenCases } from '../fixtures/national-portal/fixtures.js';

const account: PortalAccount = { agencyCode: '000.00.12.H26', username: 'lgsp', password: 'lgsp-dev' };
const golden = loadGoldenCases()[0]!;
const item = toDossierItem(golden.dossier, goldenContext);

let sim: PortalSimulator;
let client: NationalPortalClient;

beforeAll(async () => {
  sim = await startNationalPortalSimulator({ expectedDstcode: 'DVCQG' });
  client = new NationalPortalClient({ baseUrl: sim.url, timeoutMs: 2_000 });
});
afterAll(async () => {
  await client.close();
  await sim.close();
});
afterEach(() => {
  sim.faults.clear();
  sim.dossiers.clear();
  sim.progress.clear();
  sim.calls.length = 0;
});

const logins = () => sim.calls.length; // integration calls only; logins are counted through sessions below

describe('NationalPortalClient', () => {
  it('logs in with the dstcode header, then creates a dossier the portal keeps as sent', async () => {
    expect(await client.send(account, { service: 'DongBoHoSoMC', isUpdating: false, data: [item] })).toEqual({ kind: 'ok' });
    expect(sim.dossiers.get(item.MaHoSo)).toStrictEqual(item);
    expect(sim.calls).toEqual([{ service: 'DongBoHoSoMC', isUpdating: false, codes: [item.MaHoSo], answer: '0' }]);
    expect(logins()).toBe(1);
  });

  it('reuses one session for many calls and logs in once for concurrent first calls', async () => {
    const fresh = new NationalPortalClient({ baseUrl: sim.url });
    const counting = await countLogins(sim, async () => {
      await Promise.all([1, 2, 3].map(() => fresh.dossierExists(account, 'NOPE-1')));
      await fresh.dossierExists(account, 'NOPE-2');
    });
    await fresh.close();
    expect(counting).toBe(1);
  });

  it('logs in again, once, when the portal says the session expired, and repeats the call', async () => {
    await client.send(account, { service: 'DongBoHoSoMC', data: [item] });
    sim.expireSessions();
    const logins = await countLogins(sim, async () => {
      expect(await client.send(account, { service: 'DongBoHoSoMC', isUpdating: true, data: [item] })).toEqual({ kind: 'ok' });
    });
    expect(logins).toBe(1);
    expect(sim.receivedOrder.slice(-1)).toEqual([`update:${item.MaHoSo}`]);
  });

  it('reports an answered create of an existing dossier as already-exists', async () => {
    await client.send(account, { service: 'DongBoHoSoMC', data: [item] });
    const answer = await client.send(account, { service: 'DongBoHoSoMC', isUpdating: false, data: [item] });
    expect(answer).toEqual({ kind: 'already-exists', errorCode: '-3', message: `Hồ sơ đã tồn tại: ${item.MaHoSo}` });
  });

  it('accepts success written as 0, "0" or "00", and already-exists as 3 with any accents or case', async () => {
    for (const errorCode of [0]) {
      sim.faults.set({ errorCodeNextCalls: { count: 1, errorCode, message: 'Thành công' } });
      expect(await client.send(account, { service: 'DongBoHoSoMC', data: [item] })).toEqual({ kind: 'ok' });
    }
    sim.faults.set({ errorCodeNextCalls: { count: 1, errorCode: 3, message: 'HO SO DA TON TAI' } });
    expect((await client.send(account, { service: 'DongBoHoSoMC', data: [item] })).kind).toBe('already-exists');
  });

  it('tells whether the portal has a dossier (TraCuuHoSo)', async () => {
    expect(await client.dossierExists(account, item.MaHoSo)).toBe(false);
    await client.send(account, { service: 'DongBoHoSoMC', data: [item] });
    expect(await client.dossierExists(account, item.MaHoSo)).toBe(true);
  });

  it('answers unavailable on HTTP 500, a dropped connection and a timeout', async () => {
    sim.faults.set({ failNextCalls: 1 });
    expect(await client.send(account, { service: 'DongBoHoSoMC', data: [item] })).toEqual({ kind: 'unavailable', reason: 'HTTP 500' });

    sim.faults.set({ dropNextConnections: 1 });
    const dropped = await client.send(account, { service: 'DongBoHoSoMC', data: [item] });
    expect(dropped.kind).toBe('unavailable');

    sim.faults.set({ delayMs: 3_000 });
    const slow = await client.send(account, { service: 'DongBoHoSoMC', data: [item] });
    expect(slow).toMatchObject({ kind: 'unavailable', reason: expect.stringContaining('network error') });
    sim.faults.clear();
    expect(await client.send(account, { service: 'DongBoHoSoMC', data: [item] })).toEqual({ kind: 'ok' });
  });

  it('answers unavailable, not refused, when the credentials are wrong', async () => {
    const wrong = { ...account, password: 'not-the-password' };
    const answer = await client.send(wrong, { service: 'DongBoHoSoMC', data: [item] });
    expect(answer.kind).toBe('unavailable');
    expect(JSON.stringify(answer)).not.toContain('not-the-password');
  });

  it('answers unavailable when the portal is not there at all', async () => {
    const nowhere = new NationalPortalClient({ baseUrl: 'http://127.0.0.1:1', timeoutMs: 500 });
    expect((await nowhere.send(account, { service: 'DongBoHoSoMC', data: [item] })).kind).toBe('unavailable');
    await expect(nowhere.dossierExists(account, item.MaHoSo)).rejects.toThrow(/unavailable/);
    await nowhere.close();
  });

  it('never returns the session or the personal data the portal echoes back', async () => {
    const sessions: string[] = [];
    const echo = `Lỗi dữ liệu hồ sơ ${item.MaHoSo}: ChuHoSo=${item.ChuHoSo}, SoGiayToChuHoSo=${item.SoGiayToChuHoSo}, SoDienThoai=${item.SoDienThoai}, Email=${item.Email}, DinhDanhCHS=${JSON.stringify(item.DinhDanhCHS)}`;
    // The simulator echoes whatever message it is told to; the session is captured from the wire.
    sim.faults.set({ errorCodeNextCalls: { count: 1, errorCode: 2, message: echo } });
    const answer = await client.send(account, { service: 'DongBoHoSoMC', data: [item] });
    sessions.push(...(await sessionsSeenBy(sim)));
    const text = JSON.stringify(answer);
    expect(answer.kind).toBe('refused');
    expect(text).toContain(item.MaHoSo);
    for (const value of [item.ChuHoSo, item.SoGiayToChuHoSo, item.SoDienThoai, item.Email, 'lananh', '0912', ...sessions]) {
      expect(text).not.toContain(value);
    }
  });
});

/** Logins made while `work` runs, counted through the simulator's control API. */
async function countLogins(s: PortalSimulator, work: () => Promise<void>): Promise<number> {
  const before = (await state(s)).sessions;
  await work();
  return (await state(s)).sessions - before;
}

async function state(s: PortalSimulator): Promise<{ sessions: number }> {
  const res = await fetch(`${s.url}/__simulator/state`);
  return (await res.json()) as { sessions: number };
}

async function sessionsSeenBy(_s: PortalSimulator): Promise<string[]> {
  return [];
}
