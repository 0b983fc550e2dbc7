// deliverBatch and the simulator's checks, over real HTTP on a loopback port.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NationalPortalClient, type PortalAccount } from '../../adapters/national-portal/client.js';
import { deliverBatch, type BatchItem } from '../../adapters/national-portal/deliver.js';
import { startNationalPortalSimulator, type PortalSimulator } from '../../adapters/national-portal/simulator.js';
import { toDossierItem, toProgressItem } from '../../adapters/national-portal/translate.js';
import type { PortalDossierItem } from '../../adapters/national-portal/wire.js';
import { goldenContext, loadGoldenCases } from '../fixtures/national-portal/fixtures.js';

const account: PortalAccount = { agencyCode: '000.00.12.H26', username: 'lgsp', password: 'lgsp-dev' };
const golden = loadGoldenCases();
const template = toDossierItem(golden[0]!.dossier, goldenContext);

let sim: PortalSimulator;
let client: NationalPortalClient;

beforeAll(async () => {
  sim = await startNationalPortalSimulator();
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
  sim.receivedOrder.length = 0;
});

/** `count` distinct dossiers built on the first golden item. */
function dossiers(count: number, prefix = 'T'): BatchItem[] {
  return Array.from({ length: count }, (_, i) => {
    const code = `${prefix}-${String(i + 1).padStart(3, '0')}`;
    return { id: `msg-${code}`, code, item: { ...template, MaHoSo: code } };
  });
}

const create = (items: BatchItem[]) => deliverBatch(client, account, 'DongBoHoSoMC', false, items);
const results = (outcomes: Map<string, unknown>) => [...outcomes.values()];

describe('deliverBatch', () => {
  it('delivers a batch in one call', async () => {
    const outcomes = await create(dossiers(10));
    expect(results(outcomes)).toEqual(Array(10).fill({ result: 'delivered' }));
    expect(sim.calls.filter((c) => c.service === 'DongBoHoSoMC')).toHaveLength(1);
    expect(sim.dossiers.size).toBe(10);
    // The simulator's state shows the translated items it received, for a developer to read.
    const state = (await (await fetch(`${sim.url}/__simulator/state`)).json()) as { lastItems: { service: string; item: { MaHoSo: string } }[] };
    expect(state.lastItems.map((i) => i.item.MaHoSo)).toEqual([...sim.dossiers.keys()]);
    expect(state.lastItems.every((i) => i.service === 'DongBoHoSoMC')).toBe(true);
  });

  it('delivers every golden dossier and its events exactly as the fixtures say', async () => {
    const items = golden.map((c) => ({ id: c.name, code: c.dossier.code, item: c.portal }));
    expect(results(await create(items)).every((o) => (o as { result: string }).result === 'delivered')).toBe(true);
    const progress = golden.flatMap((c) => c.events.map((e, i) => ({ id: `${c.name}#${i}`, code: c.dossier.code, item: toProgressItem(c.dossier.code, e) })));
    const outcomes = await deliverBatch(client, account, 'CapNhatTienDoHoSoMC', undefined, progress);
    expect(results(outcomes)).toEqual(Array(progress.length).fill({ result: 'delivered' }));
    for (const c of golden) {
      expect(sim.dossiers.get(c.dossier.code)).toStrictEqual(c.portal);
      if (c.progress.length > 0) expect(sim.progress.get(c.dossier.code)).toStrictEqual(c.progress);
    }
    expect(sim.receivedOrder.filter((r) => r.startsWith(`progress:${golden[0]!.dossier.code}`))).toEqual([
      `progress:${golden[0]!.dossier.code}:4`,
      `progress:${golden[0]!.dossier.code}:9`,
    ]);
  });

  it('resends a create the portal already has as an update, and counts it delivered', async () => {
    const batch = dossiers(6);
    await create(batch.slice(2, 3));
    const changed = batch.map((b) => ({ ...b, item: { ...(b.item as PortalDossierItem), TrangThaiHoSo: '4' } }));
    const outcomes = await create(changed);
    expect(outcomes.get('msg-T-003')).toEqual({ result: 'delivered', note: 'already-existed' });
    expect(results(outcomes).filter((o) => (o as { note?: string }).note !== 'already-existed')).toEqual(Array(5).fill({ result: 'delivered' }));
    expect(sim.dossiers.get('T-003')?.TrangThaiHoSo).toBe('4');
    expect(sim.receivedOrder).toContain('update:T-003');
  });

  it('turns HTTP 500 into a retry of every item of the call', async () => {
    sim.faults.set({ failNextCalls: 1 });
    const outcomes = await create(dossiers(3));
    expect(results(outcomes)).toEqual(Array(3).fill({ result: 'retry', error: 'portal unavailable: HTTP 500' }));
    expect(sim.dossiers.size).toBe(0);
  });

  it('turns a dropped connection into a retry of every item of the call', async () => {
    sim.faults.set({ dropNextConnections: 1 });
    const outcomes = await create(dossiers(3));
    for (const o of results(outcomes)) expect(o).toMatchObject({ result: 'retry', error: expect.stringMatching(/^portal unavailable: network error/) });
  });

  it('delivers the other 49 when one item of 50 is poison, and refuses only that one', async () => {
    const batch = dossiers(50);
    sim.faults.set({ poisonCodes: ['T-037'] });
    const outcomes = await create(batch);
    expect(outcomes.get('msg-T-037')).toEqual({
      result: 'refused',
      error: 'portal refused (error_code 2): Dữ liệu không hợp lệ: hồ sơ T-037 sai cấu trúc',
    });
    expect(results(outcomes).filter((o) => (o as { result: string }).result === 'delivered')).toHaveLength(49);
    expect(sim.dossiers.size).toBe(49);
    expect(sim.dossiers.has('T-037')).toBe(false);
    // Halving finds one item in about 2·log2(50) calls, not 50.
    expect(sim.calls.filter((c) => c.service === 'DongBoHoSoMC').length).toBeLessThanOrEqual(13);
  });

  it('retries, rather than refuses, an item the portal is too busy for', async () => {
    sim.faults.set({ errorCodeNextCalls: { count: 1, errorCode: 99, message: 'Hệ thống đang bận, vui lòng thử lại sau' } });
    const outcomes = await create(dossiers(1));
    expect(outcomes.get('msg-T-001')).toEqual({ result: 'retry', error: 'portal refused (error_code 99): Hệ thống đang bận, vui lòng thử lại sau' });
  });

  it('retries progress for a dossier the portal does not have yet', async () => {
    const progress = toProgressItem('UNKNOWN-1', golden[0]!.events[0]!);
    const outcomes = await deliverBatch(client, account, 'CapNhatTienDoHoSoMC', undefined, [{ id: 'p1', code: 'UNKNOWN-1', item: progress }]);
    expect(outcomes.get('p1')).toEqual({ result: 'retry', error: 'portal refused (error_code 4): Hồ sơ không tồn tại: UNKNOWN-1' });
  });

  it('sends an update of a dossier the portal does not have again as a create, once TraCuuHoSo confirms it is missing', async () => {
    const outcomes = await deliverBatch(client, account, 'DongBoHoSoMC', true, dossiers(1, 'U'));
    expect(outcomes.get('msg-U-001')).toEqual({ result: 'delivered' });
    expect(sim.calls.map((c) => c.service)).toEqual(expect.arrayContaining(['TraCuuHoSo']));
    expect(sim.receivedOrder).toEqual(['create:U-001']);
  });

  it('retries a progress event of a dossier the portal does not have yet', async () => {
    const outcomes = await deliverBatch(client, account, 'CapNhatTienDoHoSoMC', undefined, [
      { id: 'msg-P-001', code: 'P-001', item: { MaHoSo: 'P-001', NguoiXuLy: 'Lê Thị Hoa', ChucDanh: '', ThoiDiemXuLy: '20250902090100', PhongBanXuLy: '', NoiDungXuLy: '', TrangThai: '4', NgayBatDau: '20250902090100', NgayKetThucTheoQuyDinh: '' } },
    ]);
    expect(outcomes.get('msg-P-001')).toMatchObject({ result: 'retry', error: expect.stringContaining('không tồn tại') });
  });

  it('returns no outcome and makes no call for an empty batch', async () => {
    expect((await create([])).size).toBe(0);
    expect(sim.calls).toHaveLength(0);
  });
});

describe('the simulator refuses what the portal would', () => {
  const refusal = async (change: Partial<Record<keyof PortalDossierItem, unknown>>) => {
    const [only] = dossiers(1, 'V');
    const outcomes = await create([{ ...only!, item: { ...template, MaHoSo: 'V-001', ...change } }]);
    return outcomes.get('msg-V-001');
  };

  it.each([
    ['a date that is not 14 digits', { NgayHenTra: '2025-08-06 17:00' }, 'NgayHenTra phải có dạng yyyyMMddHHmmss'],
    ['a date that does not exist', { NgayTiepNhan: '20250230090000' }, 'NgayTiepNhan phải có dạng yyyyMMddHHmmss'],
    ['a status outside 1..10', { TrangThaiHoSo: '11' }, 'TrangThaiHoSo phải từ 1 đến 10'],
    ['a channel outside 1..3', { KenhThucHien: '4' }, 'KenhThucHien phải từ 1 đến 3'],
    ['a missing procedure code', { MaTTHC: '' }, 'thiếu MaTTHC'],
    ['neither a submission nor a reception date', { NgayNopHoSo: '', NgayTiepNhan: '' }, 'cần NgayTiepNhan hoặc NgayNopHoSo'],
    ['a flag that is not 0 or 1', { HoSoCoThanhPhanSoHoa: 'true' }, 'HoSoCoThanhPhanSoHoa phải từ 0 đến 1'],
    ['IsDeleted not as the public clients write it', { TaiLieuNop: [{ TenTepDinhKem: 'Tờ khai', IsDeleted: '0' }] }, 'TaiLieuNop: IsDeleted phải là "True" hoặc "False"'],
    ['a paper without a name', { TaiLieuNop: [{ TepDinhKemId: '1' }] }, 'thiếu TenTepDinhKem'],
  ])('refuses %s, permanently', async (_what, change, problem) => {
    expect(await refusal(change)).toEqual({
      result: 'refused',
      error: `portal refused (error_code 2): Dữ liệu không hợp lệ: hồ sơ V-001: ${problem}`,
    });
    expect(sim.dossiers.size).toBe(0);
  });

  // Issue 15: what the public clients send, the simulator takes, as they show the portal does.
  it('accepts what the public clients send: no KenhThucHien, SoGiayToChuHoSo or ChuHoSo, nulls, DuocThanhToanTrucTuyen 3, newer fields', async () => {
    const { KenhThucHien: _c, SoGiayToChuHoSo: _n, ChuHoSo: _o, ...rest } = template;
    const [only] = dossiers(1, 'P');
    const item = { ...rest, MaHoSo: 'P-001', MaDoiTuong: null, NgayTra: null, DuocThanhToanTrucTuyen: '3', DSKetNoiCSDL: [{ MaCSDL: '7' }] };
    const outcomes = await create([{ ...only!, item: item as unknown as PortalDossierItem }]);
    expect(outcomes.get('msg-P-001')).toEqual({ result: 'delivered' });
    expect(sim.received.at(-1)?.items).toEqual([item]);
  });

  it('refuses a progress item whose status is out of range', async () => {
    await create(dossiers(1));
    const progress = { ...toProgressItem('T-001', golden[0]!.events[0]!), TrangThai: '0' };
    const outcomes = await deliverBatch(client, account, 'CapNhatTienDoHoSoMC', undefined, [{ id: 'p', code: 'T-001', item: progress }]);
    expect(outcomes.get('p')).toEqual({ result: 'refused', error: 'portal refused (error_code 2): Dữ liệu không hợp lệ: hồ sơ T-001: TrangThai phải từ 1 đến 10' });
  });

  it('refuses a whole call for one bad item and keeps nothing of it', async () => {
    const batch = dossiers(2);
    const answer = await client.send(account, {
      service: 'DongBoHoSoMC',
      data: [batch[0]!.item, { ...(batch[1]!.item as PortalDossierItem), NgayHenTra: 'tomorrow' }],
    });
    expect(answer.kind).toBe('refused');
    expect(sim.dossiers.size).toBe(0);
  });

  it('answers its control API: state, faults and expired sessions', async () => {
    const post = (path: string, body?: unknown) =>
      fetch(`${sim.url}/__simulator/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) });
    expect((await post('faults', { failNextCalls: 2 })).status).toBe(200);
    expect(sim.faults.current.failNextCalls).toBe(2);
    expect((await fetch(`${sim.url}/__simulator/faults`, { method: 'DELETE' })).status).toBe(200);
    expect(sim.faults.current).toEqual({});
    expect(((await (await post('expire-sessions')).json()) as { sessions: number }).sessions).toBe(0);
    const state = (await (await fetch(`${sim.url}/__simulator/state`)).json()) as Record<string, unknown>;
    expect(state).toMatchObject({ dossiers: 0, sessions: 0, faults: {} });
  });
});
