// Issue 15: the national-portal road against the items the public one-stop clients really build.
// The fixtures under test/fixtures/opencps and test/fixtures/paseto were written from OpenCPS's
// DVCQGIntegrationActionImpl and the Thanh Hóa client's SyncLocalDataToDVCQGService (each names its
// source). They are replayed through the portal-compatible endpoint, unchanged, against the portal
// simulator; every field a client sent must reach the portal as sent, unknown ones included, and
// come back from TraCuuHoSo. Real Redis, PostgreSQL and simulator.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYS, eventually, startTestGateway, type TestGateway } from '../support/gateway.js';

type Item = Record<string, unknown>;
type Call = { madonvi: string; service: string; isUpdating?: string; data: Item[] };

/** A fixture's call, without its `$source` note: the bytes the public client would send. */
function replay(path: string): Call {
  const { $source: source, ...call } = JSON.parse(readFileSync(new URL(`../fixtures/${path}`, import.meta.url), 'utf8')) as Call & { $source?: unknown };
  expect(source, `${path} names its public source`).toBeTruthy();
  return call;
}

const empty = (v: unknown) => v === undefined || v === null || v === '';

/**
 * Where what reached the portal differs from what the client sent, field by field and into lists.
 * A value the client sent as null or "" may arrive as "" (the portal's "not given"); any other
 * value must arrive exactly as sent. Fields the gateway adds (its own defaults) are not differences.
 */
function differences(sent: unknown, received: unknown, path = ''): string[] {
  if (empty(sent)) return empty(received) ? [] : [`${path}: sent ${JSON.stringify(sent)}, received ${JSON.stringify(received)}`];
  if (Array.isArray(sent)) {
    if (!Array.isArray(received) || received.length !== sent.length) return [`${path}: sent ${sent.length} entries, received ${JSON.stringify(received)}`];
    return sent.flatMap((entry, i) => differences(entry, received[i], `${path}[${i}]`));
  }
  if (typeof sent === 'object') {
    if (typeof received !== 'object' || received === null) return [`${path}: sent an object, received ${JSON.stringify(received)}`];
    return Object.entries(sent as Item).flatMap(([key, value]) => differences(value, (received as Item)[key], path ? `${path}.${key}` : key));
  }
  return sent === received ? [] : [`${path}: sent ${JSON.stringify(sent)}, received ${JSON.stringify(received)}`];
}

describe('the public one-stop clients, unchanged, on the national-portal road (postgres)', () => {
  let gw: TestGateway;
  let session: string;

  beforeAll(async () => {
    gw = await startTestGateway({
      engine: 'postgres',
      // OpenCPS links papers as Liferay document URLs of its own portal.
      env: { ATTACHMENT_URL_ALLOWLIST: 'https://motcua.hanoi.example.vn/files/,https://motcua.hanoi.example.vn/documents/' },
    });
    const answer = await portal('/login', { username: 'hanoi-one-stop', password: KEYS.oneStop }, { dstcode: 'DVCQG' });
    session = answer.body.session as string;
  });
  afterAll(async () => {
    await gw?.close();
  });

  const portal = (path: string, body: unknown, headers: Record<string, string> = {}) => gw.call('POST', `/portal-compatible${path}`, { body, headers });
  /** The last item the portal received for this dossier, exactly as received. */
  const atPortal = (service: string, code: string): Item | undefined =>
    gw.sim.received.filter((c) => c.service === service).flatMap((c) => c.items).filter((i) => i.MaHoSo === code).at(-1);
  /** OpenCPS asks with the lower-case key `mahoso`. */
  const lookUp = async (code: string) => (await portal('/integration', { session, madonvi: '000.00.12.H26', service: 'TraCuuHoSo', mahoso: code })).body;

  describe('OpenCPS (VietOpenCPS/opencps-v2, DVCQGIntegrationActionImpl)', () => {
    const create = replay('opencps/dong-bo-ho-so-mc.create.json');
    const update = replay('opencps/dong-bo-ho-so-mc.update.json');
    const progress = replay('opencps/cap-nhat-tien-do-ho-so-mc.json');

    it('takes its DongBoHoSoMC create, three items in one call, with no KenhThucHien or SoGiayToChuHoSo and IsDeleted "False"', async () => {
      expect((await portal('/integration', { session, ...create })).body).toEqual({ error_code: 0, message: 'Đồng bộ thành công' });
    });

    it('forwards each item to the portal field by field, and the portal simulator accepts them', async () => {
      for (const item of create.data) {
        const code = String(item.MaHoSo);
        const received = await eventually(() => atPortal('DongBoHoSoMC', code), `${code} at the portal`);
        expect(differences(item, received), code).toEqual([]);
        // Fields OpenCPS never sends are not invented for it.
        expect(received).not.toHaveProperty('KenhThucHien');
        expect(received).not.toHaveProperty('SoGiayToChuHoSo');
      }
    });

    it('answers TraCuuHoSo (mahoso) with every field it sent', async () => {
      for (const item of create.data) {
        const { result } = await lookUp(String(item.MaHoSo));
        expect(differences(item, result[0]), String(item.MaHoSo)).toEqual([]);
      }
    });

    it('takes its update (isUpdating "True") and its CapNhatTienDoHoSoMC step, and forwards both field by field', async () => {
      const [item] = update.data as [Item];
      const code = String(item.MaHoSo);
      expect((await lookUp(code)).result).toHaveLength(1); // OpenCPS's hasSyncDossier
      expect((await portal('/integration', { session, ...update })).body).toEqual({ error_code: 0, message: 'Đồng bộ thành công' });
      expect((await portal('/integration', { session, ...progress })).body).toEqual({ error_code: 0, message: 'Đồng bộ thành công' });
      const updated = await eventually(() => (atPortal('DongBoHoSoMC', code)?.TrangThaiHoSo === '4' ? atPortal('DongBoHoSoMC', code) : undefined), 'the update at the portal');
      expect(differences(item, updated)).toEqual([]);
      const step = await eventually(() => atPortal('CapNhatTienDoHoSoMC', code), 'the step at the portal');
      expect(differences(progress.data[0], step)).toEqual([]);
      expect(differences(item, (await lookUp(code)).result[0])).toEqual([]);
    });
  });

  describe('the Thanh Hóa client (HuanVu201/DichVuCong_KhoaLuan_PASETO, SyncLocalDataToDVCQGService)', () => {
    const create = replay('paseto/dong-bo-ho-so-mc.newer-item.json');
    const [item] = create.data as [Item];
    const code = String(item.MaHoSo);

    it('takes its newer item: DSKetNoiCSDL, DuocLayTuKhoDMQG, MaKetQuaThayThe, null for what it lacks', async () => {
      expect((await portal('/integration', { session, ...create })).body).toEqual({ error_code: 0, message: 'Đồng bộ thành công' });
    });

    it('forwards it field by field, the fields the gateway does not model included, and TraCuuHoSo returns them', async () => {
      const received = await eventually(() => atPortal('DongBoHoSoMC', code), 'the item at the portal');
      expect(differences(item, received)).toEqual([]);
      expect(received).toMatchObject({ DSKetNoiCSDL: [{ MaCSDL: '7' }] });
      expect((received!.TaiLieuNop as Item[]).map((p) => [p.DuocLayTuKhoDMQG, p.MaKetQuaThayThe])).toEqual([
        ['0', ''],
        ['1', 'KQ.GCS.2025.001234'],
      ]);
      expect(differences(item, (await lookUp(code)).result[0])).toEqual([]);
    });

    it('answers its second create "đã tồn tại" (-3), and takes the same list again as an update, as the client then sends it', async () => {
      const again = (await portal('/integration', { session, ...create })).body;
      expect(again.error_code).toBe(-3);
      expect(again.message).toContain('đã tồn tại');
      expect((await portal('/integration', { session, ...create, isUpdating: 'True' })).body.error_code).toBe(0);
    });
  });
});
