import { readFileSync } from 'node:fs';
import { FormatRegistry } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { Dossier, DossierEvent } from '../../schemas/dossier.js';
import { fromDossierItem, fromProgressItem, WireFieldError } from '../../adapters/national-portal/from-wire.js';
import { toDossierItem, toProgressItem, type TranslateContext } from '../../adapters/national-portal/translate.js';
import { goldenContext, loadGoldenCases } from '../fixtures/national-portal/fixtures.js';

if (!FormatRegistry.Has('email')) FormatRegistry.Set('email', (v) => /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v));
if (!FormatRegistry.Has('uri')) FormatRegistry.Set('uri', (v) => URL.canParse(v));

const agency = { code: '000.00.12.H26', name: 'UBND phường Ba Đình' };
/** The gateway's own rule for links the one-stop system gives: passed on as they are. */
const asGiven: TranslateContext = { attachmentUrl: (ref) => ref.url };
const call = JSON.parse(readFileSync(new URL('../fixtures/portal-compatible/dong-bo-ho-so.json', import.meta.url), 'utf8')) as { data: Record<string, unknown>[] };
const progressCall = JSON.parse(readFileSync(new URL('../fixtures/portal-compatible/cap-nhat-tien-do.json', import.meta.url), 'utf8')) as { data: Record<string, unknown>[] };

function refusal(fn: () => unknown): { field: string; reason: string } {
  try {
    fn();
  } catch (error) {
    if (error instanceof WireFieldError) return { field: error.field, reason: error.reason };
    throw error;
  }
  throw new Error('expected a WireFieldError');
}

describe('wire → canonical → wire is the identity', () => {
  describe.each(loadGoldenCases().map((c) => [c.name, c] as const))('golden %s', (_name, c) => {
    it('reads the portal item back into a valid canonical dossier that translates to the same item, field by field', () => {
      const dossier = fromDossierItem(c.portal, { agency: c.dossier.agency });
      expect([...Value.Errors(Dossier, dossier)]).toEqual([]);
      expect(toDossierItem(dossier, goldenContext)).toStrictEqual(c.portal);
    });

    it('reads each progress item back into an event that translates to the same item', () => {
      for (const item of c.progress) {
        const { dossierCode, step } = fromProgressItem(item);
        const event = { ...step, sequence: 1 };
        expect([...Value.Errors(DossierEvent, event)]).toEqual([]);
        expect(toProgressItem(dossierCode, event)).toStrictEqual(item);
      }
    });
  });

  it.each(call.data.map((item) => [item.MaHoSo, item] as const))('one-stop item %s: notes, supplements, other papers, result papers, fees and flags come back unchanged', (_code, item) => {
    const dossier = fromDossierItem(item, { agency });
    expect([...Value.Errors(Dossier, dossier)]).toEqual([]);
    expect(toDossierItem(dossier, asGiven)).toStrictEqual(item);
  });

  it('a one-stop progress item comes back unchanged', () => {
    const item = progressCall.data[0]!;
    const { dossierCode, step } = fromProgressItem(item);
    expect(toProgressItem(dossierCode, { ...step, sequence: 7 })).toStrictEqual(item);
  });

  it('keeps the flags the sender set even when papers and fees would say otherwise', () => {
    // No paper of this item is digitised, and the wire has no per-fee "paid online".
    const item = { ...call.data[1]!, HoSoCoThanhPhanSoHoa: '1', DuocThanhToanTrucTuyen: '1' };
    const dossier = fromDossierItem(item, { agency });
    expect(dossier).toMatchObject({ digitisedPapers: true, paidOnline: true });
    expect(toDossierItem(dossier, asGiven)).toStrictEqual(item);
  });

  it('keeps an empty DonViXuLy empty instead of putting the agency name there', () => {
    const item = { ...call.data[0]!, DonViXuLy: '' };
    expect(toDossierItem(fromDossierItem(item, { agency }), asGiven).DonViXuLy).toBe('');
  });
});

describe('what is normalised (README, "Reading the wire")', () => {
  const minimal = {
    MaHoSo: '000.00.12.H26-251118-0200',
    MaTTHC: '1.001612',
    TenTTHC: 'Đăng ký khai sinh',
    MaLinhVuc: 'G12-TP02',
    TenLinhVuc: 'Hộ tịch',
    KenhThucHien: '1',
    ChuHoSo: 'Vũ Văn Nam',
    LoaiDoiTuong: '1',
    SoGiayToChuHoSo: '001090001234',
    TrichYeuHoSo: 'Đăng ký khai sinh',
    NgayTiepNhan: '20251118090000',
    TrangThaiHoSo: '2',
    DonViXuLy: 'UBND phường Ba Đình',
  };

  it('fields the sender left out are sent with their empty value; what it sent is kept', () => {
    const out = toDossierItem(fromDossierItem(minimal, { agency }), asGiven) as unknown as Record<string, unknown>;
    for (const [field, value] of Object.entries(minimal)) expect(out[field], field).toBe(value);
    expect(out).toMatchObject({ Email: '', NgayNopHoSo: '', HinhThuc: '0', NoiNopHoSo: '2', TaiLieuNop: [], DanhSachHoSoBoSung: [], GhiChu: '' });
    // The applicant's ID number is always listed among the identity papers.
    expect(out.DinhDanhCHS).toEqual([{ LoaiDinhDanh: '1', SoDinhDanh: '001090001234' }]);
  });

  it('reads null as an empty value, as .NET serialisers write unset strings', () => {
    const out = toDossierItem(fromDossierItem({ ...minimal, Email: null, TaiLieuNop: null }, { agency }), asGiven);
    expect(out.Email).toBe('');
    expect(out.TaiLieuNop).toEqual([]);
  });
});

describe('refusals name the wire field', () => {
  const item = call.data[1]!;
  const fee = (item.DanhSachLePhi as Record<string, unknown>[])[0]!;

  it.each([
    ['a list where the protocol has a string', { ...item, TrichYeuHoSo: ['x'] }, 'TrichYeuHoSo', 'phải là chuỗi'],
    ['a status code outside 1..10', { ...item, TrangThaiHoSo: '11' }, 'TrangThaiHoSo', 'phải là một trong'],
    ['a date not in yyyyMMddHHmmss', { ...item, NgayTiepNhan: '17/11/2025 14:20' }, 'NgayTiepNhan', 'yyyyMMddHHmmss'],
    ['an impossible date', { ...item, NgayHenTra: '20250230170000' }, 'NgayHenTra', 'yyyyMMddHHmmss'],
    ['a flag in no boolean form', { ...item, HoSoCoThanhPhanSoHoa: 'có' }, 'HoSoCoThanhPhanSoHoa', 'phải là 1/0 hoặc True/False'],
    ['a price that is not digits', { ...item, DanhSachLePhi: [{ ...fee, Gia: '100.000đ' }] }, 'DanhSachLePhi[0].Gia', 'số nguyên'],
    ['a missing dossier code, with why the gateway needs it', { ...item, MaHoSo: '' }, 'MaHoSo', 'là bắt buộc: mã hồ sơ'],
    ['a missing procedure, with why the gateway needs it', { ...item, MaTTHC: null }, 'MaTTHC', 'là bắt buộc: mã thủ tục'],
    ['an applicant kind the model does not know', { ...item, LoaiDoiTuong: '3' }, 'LoaiDoiTuong', 'phải là một trong'],
    ['a list that is not a list', { ...item, DanhSachGiayToKetQua: {} }, 'DanhSachGiayToKetQua', 'danh sách'],
  ])('%s', (_what, bad, field, reason) => {
    const r = refusal(() => fromDossierItem(bad, { agency }));
    expect(r.field).toBe(field);
    expect(r.reason).toContain(reason);
  });

  it('a progress item without ThoiDiemXuLy', () => {
    expect(refusal(() => fromProgressItem({ ...progressCall.data[0]!, ThoiDiemXuLy: '' })).field).toBe('ThoiDiemXuLy');
  });
});

describe('liberal in what it reads (issue 15)', () => {
  const item = call.data[1]!;
  const paper = (item.TaiLieuNop as Record<string, unknown>[])[0]!;

  it('reads a flag in every form the public clients write', () => {
    for (const [form, meaning] of [['1', true], ['0', false], ['True', true], ['False', false], ['true', true], ['false', false], [1, true], [0, false], [true, true], [false, false]] as const) {
      const dossier = fromDossierItem({ ...item, TaiLieuNop: [{ ...paper, IsDeleted: form, DuocSoHoa: form }] }, { agency });
      expect(dossier.documents?.[0]).toMatchObject({ deleted: meaning, digitised: meaning });
    }
  });

  it('reads an item without KenhThucHien, SoGiayToChuHoSo, ChuHoSo or paper ids, and sends none of them on', () => {
    const { KenhThucHien: _c, SoGiayToChuHoSo: _n, DinhDanhCHS: _d, ...rest } = item;
    const bare = { ...rest, ChuHoSo: '', TaiLieuNop: [{ ...paper, TepDinhKemId: '' }] };
    const dossier = fromDossierItem(bare, { agency });
    expect([...Value.Errors(Dossier, dossier)]).toEqual([]);
    expect(dossier.channel).toBeUndefined();
    expect(dossier.applicant.idNumber).toBeUndefined();
    const out = toDossierItem(dossier, asGiven);
    expect(out).not.toHaveProperty('KenhThucHien');
    expect(out).not.toHaveProperty('SoGiayToChuHoSo');
    expect(out.DinhDanhCHS).toEqual([]);
    expect(out.TaiLieuNop[0]!.TepDinhKemId).toBe('');
  });

  it('keeps the fields it does not model, nested ones too, and sends them on unchanged', () => {
    const newer = {
      ...item,
      DSKetNoiCSDL: [{ MaCSDL: '7' }],
      TruongMoiCuaCong: { Ma: 1, Ten: 'x' },
      TaiLieuNop: [{ ...paper, DuocLayTuKhoDMQG: '1', MaKetQuaThayThe: 'KQ-01' }],
      DinhDanhCHS: [{ LoaiDinhDanh: '1', SoDinhDanh: String(item.SoGiayToChuHoSo), NoiCap: 'Bộ Công an' }],
    };
    const dossier = fromDossierItem(newer, { agency });
    expect([...Value.Errors(Dossier, dossier)]).toEqual([]);
    expect(dossier.portalFields).toEqual({ DSKetNoiCSDL: [{ MaCSDL: '7' }], TruongMoiCuaCong: { Ma: 1, Ten: 'x' } });
    expect(dossier.documents?.[0]?.portalFields).toEqual({ DuocLayTuKhoDMQG: '1', MaKetQuaThayThe: 'KQ-01' });
    expect(toDossierItem(dossier, asGiven)).toStrictEqual(newer);
  });

  it('keeps unknown fields of a progress item', () => {
    const step = { ...progressCall.data[0]!, MaCanBo: 'CB-12' };
    const { dossierCode, step: read } = fromProgressItem(step);
    expect(toProgressItem(dossierCode, { ...read, sequence: 2 })).toStrictEqual(step);
  });
});
