// One-stop software that speaks the national portal's protocol points its URL at the gateway: the
// requests below are what such software sends (Vietnamese text, "" for what it lacks, numbers and
// flags as strings, yyyyMMddHHmmss dates, isUpdating "True"/"False"), and what reaches the portal
// simulator is compared with what came in, field by field. Real Redis, PostgreSQL and simulator.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { JWS_HEADER, signDetachedJws } from '../../src/crypto/jws.js';
import { KEYS, OTHER_AGENCY, eventually, startTestGateway, type TestGateway } from '../support/gateway.js';
import { testPki } from '../support/pki.js';

type Item = Record<string, unknown>;
type Call = { madonvi: string; service: string; isUpdating?: string; data: Item[] };

const fixture = (name: string): Call => JSON.parse(readFileSync(new URL(`../fixtures/portal-compatible/${name}`, import.meta.url), 'utf8')) as Call;
const SYNC = fixture('dong-bo-ho-so.json');
const PROGRESS = fixture('cap-nhat-tien-do.json');
const [BIRTH, BUSINESS] = SYNC.data as [Item, Item];
const BIRTH_CODE = String(BIRTH.MaHoSo);

/** Every field that came in, with what went out where the two differ; [] when the portal got exactly what was sent. */
function fieldDiff(sent: Item, received: Item | undefined): { field: string; sent: unknown; received: unknown }[] {
  if (!received) return [{ field: '(the whole item)', sent, received }];
  const fields = new Set([...Object.keys(sent), ...Object.keys(received)]);
  return [...fields]
    .filter((f) => JSON.stringify(sent[f]) !== JSON.stringify(received[f]))
    .map((field) => ({ field, sent: sent[field], received: received[field] }));
}

describe('the national-portal-compatible endpoint (postgres)', () => {
  let gw: TestGateway;
  let webhook: Server;
  let redis: Redis;
  const notifications: { type: string; dossierCode: string; error?: string }[] = [];

  beforeAll(async () => {
    webhook = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        notifications.push(JSON.parse(body));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
    gw = await startTestGateway({
      engine: 'postgres',
      webhookUrl: `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/hook`,
      env: { PORTAL_CATALOGUE_REFRESH_MS: '200' },
    });
    redis = new Redis(gw.redisUrl);
  });
  afterEach(() => gw.sim.faults.clear());
  afterAll(async () => {
    redis?.disconnect();
    await gw?.close();
    await new Promise((resolve) => webhook.close(resolve));
  });

  const portal = (path: string, body: unknown, headers: Record<string, string> = {}) => gw.call('POST', `/portal-compatible${path}`, { body, headers });
  const login = async (): Promise<string> => {
    const answer = await portal('/login', { username: 'hanoi-one-stop', password: KEYS.oneStop }, { dstcode: 'DVCQG' });
    expect(answer.body).toMatchObject({ error_code: 0 });
    return answer.body.session as string;
  };
  const count = async (sql: string) => Number((await gw.gateway.db.query<{ n: string }>(sql))[0]!.n);
  // Messages toward the portal only: the webhook's notifications of earlier deliveries come and go on their own.
  const counts = async () => ({
    dossiers: await count('SELECT count(*) AS n FROM dossiers'),
    messages: await count(`SELECT count(*) AS n FROM messages WHERE destination = 'national-portal'`),
    events: await count('SELECT count(*) AS n FROM dossier_events'),
  });
  const lookUp = async (session: string, code: string, key = 'MaHoSo') => (await portal('/integration', { session, madonvi: SYNC.madonvi, service: 'TraCuuHoSo', [key]: code })).body;

  describe('login', () => {
    it('is described in the OpenAPI document', async () => {
      const paths = Object.keys((await gw.call('GET', '/docs/json')).body.paths);
      expect(paths).toEqual(expect.arrayContaining(['/portal-compatible/login', '/portal-compatible/integration', '/portal-compatible/sharing']));
    });

    it('opens a session for the partner id and one of its registry API keys', async () => {
      expect(await login()).toMatch(/^[0-9a-f]{48}$/);
    });

    it.each([
      ['a wrong key', { username: 'hanoi-one-stop', password: 'not-a-key' }, { dstcode: 'DVCQG' }, 2],
      ["another partner's key", { username: 'hanoi-one-stop', password: KEYS.otherOneStop }, { dstcode: 'DVCQG' }, 2],
      ['an auditor, who may not write dossiers', { username: 'inspectorate', password: KEYS.auditor }, { dstcode: 'DVCQG' }, 2],
      ['no dstcode header', { username: 'hanoi-one-stop', password: KEYS.oneStop }, {}, 1],
    ])('refuses %s in the protocol\'s terms', async (_what, body, headers, errorCode) => {
      const answer = await portal('/login', body, headers);
      expect(answer.status).toBe(200);
      expect(answer.body.error_code).toBe(errorCode);
      expect(answer.body.session).toBeUndefined();
    });
  });

  describe('sync', () => {
    let session: string;
    beforeAll(async () => {
      session = await login();
    });

    it('delivers a DongBoHoSoMC call to the national portal unchanged, field by field, each item logged once', async () => {
      const answer = await portal('/integration', { session, ...SYNC });
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ error_code: 0, message: 'Đồng bộ thành công' });
      await eventually(() => SYNC.data.every((item) => gw.sim.dossiers.has(String(item.MaHoSo))), 'both dossiers at the portal');
      for (const item of SYNC.data) {
        expect(fieldDiff(item, gw.sim.dossiers.get(String(item.MaHoSo)) as unknown as Item), String(item.MaHoSo)).toEqual([]);
      }
      // The gateway passes the one-stop system's own (allow-listed) links on as they are; only uploaded files get signed gateway links.
      const papers = gw.sim.dossiers.get(BIRTH_CODE)!.TaiLieuNop;
      expect(papers[0]!.DuongDanTaiTepTin).toBe('https://motcua.hanoi.example.vn/files/2025/11/to-khai-0107.pdf');
      expect(gw.sim.receivedOrder).toEqual(expect.arrayContaining(SYNC.data.map((i) => `create:${String(i.MaHoSo)}`)));

      const records = await gw.gateway.db.query<{ dossier_code: string; body_sha256: string; outcome: string }>(
        `SELECT dossier_code, body_sha256, outcome FROM message_log WHERE direction = 'in' AND endpoint = 'POST /portal-compatible/integration DongBoHoSoMC' ORDER BY seq`,
      );
      // Each record keeps its own item's bytes as sent (the test client sends JSON.stringify's), never another citizen's.
      expect(records).toEqual(
        SYNC.data.map((item) => ({ dossier_code: item.MaHoSo, body_sha256: createHash('sha256').update(JSON.stringify(item)).digest('hex'), outcome: 'accepted' })),
      );
    });

    it('answers "already exists" (-3) to a create of a known dossier, and stores nothing', async () => {
      const before = await counts();
      const answer = await portal('/integration', { session, ...SYNC, data: [BIRTH] });
      expect(answer.body).toEqual({ error_code: -3, message: `Hồ sơ đã tồn tại: ${BIRTH_CODE}` });
      expect(await counts()).toEqual(before);
    });

    it('updates with isUpdating "True": the changed note and due date reach the portal, the rest unchanged', async () => {
      const updated = { ...BIRTH, GhiChu: 'Đã nhận đủ giấy tờ bổ sung ngày 18/11/2025', NgayHenTra: '20251120163000' };
      expect((await portal('/integration', { session, ...SYNC, isUpdating: 'True', data: [updated] })).body.error_code).toBe(0);
      await eventually(() => gw.sim.dossiers.get(BIRTH_CODE)?.GhiChu === updated.GhiChu, 'the update at the portal');
      expect(fieldDiff(updated, gw.sim.dossiers.get(BIRTH_CODE) as unknown as Item)).toEqual([]);
      expect(gw.sim.receivedOrder).toContain(`update:${BIRTH_CODE}`);
    });

    it('answers "does not exist" (4) to an update of an unknown dossier', async () => {
      const answer = await portal('/integration', { session, ...SYNC, isUpdating: 'True', data: [{ ...BIRTH, MaHoSo: '000.00.12.H26-251118-9999' }] });
      expect(answer.body).toEqual({ error_code: 4, message: 'Hồ sơ không tồn tại: 000.00.12.H26-251118-9999' });
    });

    it('carries a CapNhatTienDoHoSoMC step to the portal unchanged, and a repeated step only once', async () => {
      expect((await portal('/integration', { session, ...PROGRESS })).body).toEqual({ error_code: 0, message: 'Đồng bộ thành công' });
      await eventually(() => gw.sim.progress.get(BIRTH_CODE)?.length === 1, 'the step at the portal');
      expect(fieldDiff(PROGRESS.data[0]!, gw.sim.progress.get(BIRTH_CODE)![0] as unknown as Item)).toEqual([]);

      // The sender did not hear the answer and sends the same step again.
      const before = await counts();
      expect((await portal('/integration', { session, ...PROGRESS })).body.error_code).toBe(0);
      expect(await counts()).toEqual(before);
    });

    it('answers TraCuuHoSo (MaHoSo or mahoso) with the dossier in the portal\'s shape and its sync state', async () => {
      await eventually(async () => (await lookUp(session, BIRTH_CODE)).result[0]?.TrangThaiDongBo === '1', 'every message delivered');
      for (const key of ['MaHoSo', 'mahoso']) {
        const answer = await lookUp(session, BIRTH_CODE, key);
        expect(answer).toMatchObject({ error_code: 0, result: [{ MaHoSo: BIRTH_CODE, TrangThaiHoSo: '4', GhiChu: 'Đã nhận đủ giấy tờ bổ sung ngày 18/11/2025', TrangThaiDongBo: '1', ThongBaoDongBo: '' }] });
        expect(answer.result[0].DanhSachDongBo.map((m: { DichVu: string; TrangThai: string }) => `${m.DichVu}:${m.TrangThai}`)).toEqual([
          'DongBoHoSoMC:delivered',
          'DongBoHoSoMC:delivered',
          'CapNhatTienDoHoSoMC:delivered',
        ]);
      }
      expect((await lookUp(session, '000.00.12.H26-000000-0000')).result).toEqual([]);
    });
    it('takes a status change the way OpenCPS sends it: DongBoHoSoMC with the new TrangThaiHoSo, then the CapNhatTienDoHoSoMC step', async () => {
      const stored = gw.sim.dossiers.get(BIRTH_CODE) as unknown as Item;
      const completed = { ...stored, TrangThaiHoSo: '9', NgayKetThucXuLy: '20251119100000', GhiChu: 'Đã ký giấy khai sinh' };
      const step = { ...PROGRESS.data[0]!, ThoiDiemXuLy: '20251119100000', NoiDungXuLy: 'Đã ký giấy khai sinh, chờ trả kết quả', TrangThai: '9', NgayBatDau: '' };
      expect((await portal('/integration', { session, ...SYNC, isUpdating: 'True', data: [completed] })).body.error_code).toBe(0);
      expect((await portal('/integration', { session, ...PROGRESS, data: [step] })).body.error_code).toBe(0);
      await eventually(() => gw.sim.progress.get(BIRTH_CODE)?.length === 2, 'the step at the portal');
      expect(gw.sim.receivedOrder.filter((o) => o.includes(BIRTH_CODE)).slice(-2)).toEqual([`update:${BIRTH_CODE}`, `progress:${BIRTH_CODE}:9`]);
      expect(fieldDiff(completed, gw.sim.dossiers.get(BIRTH_CODE) as unknown as Item)).toEqual([]);
      expect(fieldDiff(step, gw.sim.progress.get(BIRTH_CODE)![1] as unknown as Item)).toEqual([]);
    });
  });

  describe('refusals, in the protocol\'s terms, that store and send nothing', () => {
    let session: string;
    beforeAll(async () => {
      session = await login();
    });
    const fresh = (code: string, overrides: Item = {}) => ({ ...BUSINESS, MaHoSo: code, ...overrides });

    async function refused(body: unknown, errorCode: number, message: string | RegExp, codes: string[] = []): Promise<void> {
      const before = await counts();
      const calls = gw.sim.calls.length;
      const answer = await portal('/integration', body);
      expect(answer.body.error_code).toBe(errorCode);
      expect(answer.body.message).toMatch(message);
      expect(await counts()).toEqual(before);
      for (const code of codes) {
        expect((await gw.gateway.db.query('SELECT 1 FROM messages WHERE dossier_code = $1', [code])).length).toBe(0);
        expect(gw.sim.dossiers.has(code)).toBe(false);
      }
      expect(gw.sim.calls.slice(calls).some((c) => codes.some((code) => c.codes.includes(code)))).toBe(false);
    }

    it('a session that was never opened (-1)', async () => {
      await refused({ session: 'ab'.repeat(24), ...SYNC, data: [fresh('000.00.12.H26-251119-0001')] }, -1, 'Session không hợp lệ hoặc đã hết hạn', ['000.00.12.H26-251119-0001']);
    });

    it('an expired session (-1): its TTL ran out in Redis', async () => {
      const expired = await login();
      await redis.del(`${gw.redisPrefix}:portal-compatible:session:${createHash('sha256').update(expired).digest('hex')}`);
      await refused({ session: expired, ...SYNC, data: [fresh('000.00.12.H26-251119-0002')] }, -1, 'Session không hợp lệ hoặc đã hết hạn', ['000.00.12.H26-251119-0002']);
    });

    it('a price that is not a number (2), and the good item of the same call is not stored either', async () => {
      const good = fresh('000.00.12.H26-251119-0003');
      const bad = fresh('000.00.12.H26-251119-0004', { DanhSachLePhi: [{ TenPhiLePhi: 'Lệ phí', MaPhiLePhi: 'LP', HinhThucThu: '1', Gia: '100.000 đồng', LoaiPhiLePhi: '1' }] });
      await refused({ session, ...SYNC, data: [good, bad] }, 2, 'Dữ liệu không hợp lệ: hồ sơ 000.00.12.H26-251119-0004: DanhSachLePhi[0].Gia phải là số nguyên không âm', [good.MaHoSo, bad.MaHoSo]);
    });

    it.each([
      ['a date not in yyyyMMddHHmmss', { NgayTiepNhan: '2025-11-19 08:00' }, /NgayTiepNhan phải có dạng yyyyMMddHHmmss/],
      ['no procedure code, with why the gateway needs it', { MaTTHC: '' }, /MaTTHC là bắt buộc: mã thủ tục hành chính/],
      ['a list where the protocol writes a string', { KenhThucHien: ['1'] }, /KenhThucHien phải là chuỗi/],
      ['an e-mail address the canonical schema refuses', { Email: 'không phải email' }, /Email must match format "email"/],
      ['a link outside the attachment allow-list', { DanhSachGiayToKetQua: [{ TenGiayTo: 'Kết quả', MaThanhPhanHoSo: '', GiayToId: 'KQ-1', DuongDanTepTinKetQua: 'https://evil.example/kq.pdf', MaGiayToKetQua: '' }] }, /danh sách địa chỉ được phép/],
    ])('%s (2)', async (_what, overrides, message) => {
      const item = fresh('000.00.12.H26-251119-0005', overrides);
      await refused({ session, ...SYNC, data: [item] }, 2, message, [String(item.MaHoSo)]);
    });

    it('a body that is not JSON (1, HTTP 400)', async () => {
      const before = await counts();
      const answer = await gw.call('POST', '/portal-compatible/integration', { raw: `{"session":"${session}","data":[{"MaHoSo":`, headers: { 'content-type': 'application/json' } });
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({ error_code: 1, message: 'Yêu cầu không hợp lệ (malformed-json)' });
      expect(await counts()).toEqual(before);
    });

    it('a call without isUpdating, or with data that is not a list (1)', async () => {
      await refused({ session, madonvi: SYNC.madonvi, service: 'DongBoHoSoMC', data: [fresh('000.00.12.H26-251119-0006')] }, 1, 'Thiếu isUpdating', ['000.00.12.H26-251119-0006']);
      await refused({ session, ...SYNC, isUpdating: 'yes', data: [fresh('000.00.12.H26-251119-0006')] }, 1, /isUpdating/, ['000.00.12.H26-251119-0006']);
    });

    it('an illegal transition (5): a completed dossier cannot become new again', async () => {
      const step = { ...PROGRESS.data[0]!, TrangThai: '1', ThoiDiemXuLy: '20251118170000', NoiDungXuLy: 'Nhập lại' };
      await refused({ session, ...PROGRESS, data: [step] }, 5, `Không thể chuyển trạng thái hồ sơ ${BIRTH_CODE} từ 9 sang 1`);
    });

    it('an illegal status change carried by a dossier update (5)', async () => {
      const stored = gw.sim.dossiers.get(BIRTH_CODE) as unknown as Item;
      await refused({ session, ...SYNC, isUpdating: 'True', data: [{ ...stored, TrangThaiHoSo: '4' }] }, 5, `Không thể chuyển trạng thái hồ sơ ${BIRTH_CODE} từ 9 sang 4`);
    });

    it('an agency the partner does not act for (6)', async () => {
      await refused({ session, ...SYNC, madonvi: OTHER_AGENCY, data: [fresh('000.00.01.H99-251119-0007')] }, 6, `Không có quyền gửi hồ sơ của đơn vị ${OTHER_AGENCY}`, ['000.00.01.H99-251119-0007']);
    });

    it('keeps only the metadata of refused writes in the message log', async () => {
      const rows = await gw.gateway.db.query<{ error_code: string; body_sha256: string | null }>(
        `SELECT error_code, body_sha256 FROM message_log WHERE outcome = 'refused' AND endpoint LIKE 'POST /portal-compatible/%'`,
      );
      expect(rows.map((r) => r.error_code)).toEqual(expect.arrayContaining(['portal-compatible:-1', 'portal-compatible:2', 'portal-compatible:5', 'portal-compatible:6']));
      expect(rows.every((r) => r.body_sha256 === null)).toBe(true);
    });
  });

  describe('signed calls', () => {
    const signedCall = async (code: string, tamper = false) => {
      const session = await login();
      const raw = Buffer.from(JSON.stringify({ session, ...SYNC, data: [{ ...BUSINESS, MaHoSo: code }] }));
      const signature = signDetachedJws(tamper ? Buffer.concat([raw, Buffer.from(' ')]) : raw, (await testPki()).partners['hanoi-one-stop'].signer);
      return { raw, answer: await gw.call('POST', '/portal-compatible/integration', { raw, headers: { 'content-type': 'application/json', [JWS_HEADER]: signature } }) };
    };

    it('checks the partner\'s signature and keeps it with the whole call, the bytes it covers', async () => {
      const code = '000.00.12.H26-251119-0801';
      const { raw, answer } = await signedCall(code);
      expect(answer.body.error_code).toBe(0);
      const [record] = await gw.gateway.db.query<{ signature_format: string; body_sha256: string }>(
        `SELECT signature_format, body_sha256 FROM message_log WHERE dossier_code = $1 AND direction = 'in'`,
        [code],
      );
      expect(record).toEqual({ signature_format: 'jws-detached', body_sha256: createHash('sha256').update(raw).digest('hex') });
    });

    it('refuses a signature that does not cover the bytes received (7), and stores nothing', async () => {
      const code = '000.00.12.H26-251119-0802';
      const { answer } = await signedCall(code, true);
      expect(answer.body.error_code).toBe(7);
      expect(answer.body.message).toMatch(/^Chữ ký số không hợp lệ/);
      expect((await gw.gateway.db.query('SELECT 1 FROM dossiers WHERE code = $1', [code])).length).toBe(0);
      expect((await gw.gateway.db.query('SELECT 1 FROM messages WHERE dossier_code = $1', [code])).length).toBe(0);
    });
  });

  it('tells the one-stop system of the portal\'s later refusal: through its webhook, and TraCuuHoSo answers with it', async () => {
    const session = await login();
    const code = '000.00.12.H26-251119-0666';
    gw.sim.faults.set({ poisonCodes: [code] });
    // The gateway accepts: the portal's verdict comes later.
    expect((await portal('/integration', { session, ...SYNC, data: [{ ...BUSINESS, MaHoSo: code }] })).body.error_code).toBe(0);
    const answer = await eventually(async () => {
      const found = (await lookUp(session, code)).result[0];
      return found?.TrangThaiDongBo === '-1' ? found : undefined;
    }, 'the refusal visible through TraCuuHoSo');
    expect(answer.ThongBaoDongBo).toContain(`Dữ liệu không hợp lệ: hồ sơ ${code} sai cấu trúc`);
    expect(answer.DanhSachDongBo).toEqual([expect.objectContaining({ DichVu: 'DongBoHoSoMC', TrangThai: 'dead' })]);
    const told = await eventually(() => notifications.find((n) => n.dossierCode === code && n.type === 'delivery.failed'), 'the webhook told of the refusal');
    expect(told.error).toContain('sai cấu trúc');
  });

  describe('look-ups on the sharing endpoint', () => {
    let session: string;
    beforeAll(async () => {
      session = await login();
    });
    const share = async (service: string, extra: Item = {}) => (await portal('/sharing', { session, madonvi: SYNC.madonvi, service, ...extra })).body;

    it('answers the four catalogues from the gateway\'s copy of the portal\'s', async () => {
      const agencies = await eventually(async () => {
        const answer = await share('LayDanhMucCoQuan');
        return answer.error_code === 0 ? answer.result : undefined;
      }, 'the catalogues read on start');
      // Entries pass through as the portal wrote them, key order included.
      expect(JSON.stringify(agencies)).toBe(JSON.stringify(gw.sim.catalogues.agencies));
      expect((await share('LayDanhMucLinhVuc')).result).toEqual(gw.sim.catalogues.fields);
      expect((await share('LayDanhSachTTHC')).result).toEqual(gw.sim.catalogues.procedures);
      const procedure = await eventually(async () => (await share('LayThuTuc', { maTTHC: '1.001612' })).result?.[0], 'procedure details read');
      expect(procedure).toEqual(gw.sim.catalogues.procedureDetails.get('1.001612'));
      expect(procedure).toMatchObject({ TENTTHC: 'Đăng ký khai sinh', LINHVUCTHUCHIEN: [{ MALINHVUC: 'G12-TP02', TENLINHVUC: 'Hộ tịch' }] });
      expect((await share('LayThuTuc', { maTTHC: '9.999999' })).result).toEqual([]);
      expect(await share('LayThuTuc')).toEqual({ error_code: 1, message: 'Thiếu maTTHC' });
    });

    it('picks up the portal\'s changes at the next refresh, and still answers while the portal is down', async () => {
      const added = { MADONVI: '000.00.31.H26', TENDONVI: 'UBND xã Sóc Sơn', CAPDONVI: '3', MADONVICHA: '000.00.00.H26' };
      gw.sim.catalogues.agencies.push(added);
      await eventually(async () => (await share('LayDanhMucCoQuan')).result.some((a: Item) => a.MADONVI === added.MADONVI), 'the new agency after a refresh');

      gw.sim.faults.set({ cataloguesDown: true });
      const failedBefore = gw.sim.sharingCalls.filter((c) => c === '503').length;
      await eventually(() => gw.sim.sharingCalls.filter((c) => c === '503').length > failedBefore, 'a refresh that found the portal down');
      const answer = await share('LayDanhMucCoQuan');
      expect(answer.error_code).toBe(0);
      expect(answer.result).toContainEqual(added);
      expect((await share('LayThuTuc', { maTTHC: '1.001612' })).result[0].TENTTHC).toBe('Đăng ký khai sinh');
    });

    it('refuses look-ups without a live session (-1)', async () => {
      expect((await portal('/sharing', { session: 'cd'.repeat(24), madonvi: SYNC.madonvi, service: 'LayDanhMucCoQuan' })).body.error_code).toBe(-1);
    });
  });
});
