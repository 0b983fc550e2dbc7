// National portal item → canonical dossier or event: the inverse of translate.ts, for one-stop
// software that speaks the portal's protocol to the gateway (src/routes/portal-compatible.ts). It
// reads translate.ts's code tables backwards, so a code means the same in both directions, and
// toDossierItem(fromDossierItem(item)) gives back every field of the item (README.md, "Reading the wire").
import type { Dossier, DossierEvent, DossierStatus } from '../../schemas/dossier.js';
import { NATIONAL_STATUS_CODE } from '../../src/core/status.js';
import { fromPortalDate } from './dates.js';
import {
  APPLICANT_KIND_CODE,
  CHANNEL_CODE,
  FEE_COLLECTION_CODE,
  FEE_KIND_CODE,
  IDENTIFIER_TYPE_CODE,
  RESULT_DELIVERY_CODE,
  SUBMISSION_PLACE_CODE,
  hasDigitisedPaper,
  hasOnlinePayment,
} from './translate.js';
import type {
  PortalDossierItem,
  PortalFee,
  PortalIdentity,
  PortalOtherPaper,
  PortalProgressItem,
  PortalResultDocument,
  PortalSubmittedDocument,
  PortalSupplement,
} from './wire.js';

/** A wire field the gateway cannot read. `field` is its wire path, e.g. `DanhSachLePhi[1].Gia`; `reason` is Vietnamese, for the sender. */
export class WireFieldError extends Error {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field} ${reason}`);
    this.name = 'WireFieldError';
  }
}

export interface FromWireContext {
  /** The agency the call is made for (its `madonvi`): the wire item does not name it. */
  agency: { code: string; name: string };
}

export type ProgressStep = Omit<DossierEvent, 'sequence'>;

type Fields = Record<string, unknown>;

// Every field the protocol defines, and no other: the compiler checks these against wire.ts.
const fieldsOf = <T>(fields: Record<keyof T, true>): readonly string[] => Object.keys(fields);
const DOSSIER_FIELDS = fieldsOf<PortalDossierItem>({
  MaHoSo: true, MaTTHC: true, TenTTHC: true, MaLinhVuc: true, TenLinhVuc: true, KenhThucHien: true, ChuHoSo: true,
  LoaiDoiTuong: true, MaDoiTuong: true, SoGiayToChuHoSo: true, DinhDanhCHS: true, Email: true, SoDienThoai: true, Fax: true,
  TaiKhoanDuocXacThucVoiVNeID: true, TrichYeuHoSo: true, NgayNopHoSo: true, NgayTiepNhan: true, NgayHenTra: true,
  NgayTuChoi: true, TrangThaiHoSo: true, NgayTra: true, HinhThuc: true, DonViXuLy: true, NoiNopHoSo: true,
  HoSoCoThanhPhanSoHoa: true, DuocThanhToanTrucTuyen: true, TaiLieuNop: true, DanhSachLePhi: true,
  DanhSachGiayToKetQua: true, SoBienNhan: true, GhiChu: true, ThongTinKhac: true, ThongTinTra: true,
  NgayKetThucXuLy: true, DanhSachTepDinhKemKhac: true, DanhSachHoSoBoSung: true,
});
const IDENTITY_FIELDS = fieldsOf<PortalIdentity>({ LoaiDinhDanh: true, SoDinhDanh: true });
const DOCUMENT_FIELDS = fieldsOf<PortalSubmittedDocument>({
  TepDinhKemId: true, TenTepDinhKem: true, MaThanhPhanHoSo: true, DuongDanTaiTepTin: true, DuocSoHoa: true, DuocTaiSuDung: true, IsDeleted: true,
});
const FEE_FIELDS = fieldsOf<PortalFee>({ TenPhiLePhi: true, MaPhiLePhi: true, HinhThucThu: true, Gia: true, LoaiPhiLePhi: true });
const RESULT_FIELDS = fieldsOf<PortalResultDocument>({ TenGiayTo: true, MaThanhPhanHoSo: true, GiayToId: true, DuongDanTepTinKetQua: true, MaGiayToKetQua: true });
const OTHER_PAPER_FIELDS = fieldsOf<PortalOtherPaper>({ TenGiayTo: true, SoLuong: true, LoaiGiayTo: true });
const SUPPLEMENT_FIELDS = fieldsOf<PortalSupplement>({
  HoSoBoSungId: true, NguoiYeuCauBoSung: true, NoiDungBoSung: true, NgayBoSung: true, NguoiTiepNhanBoSung: true, ThongTinTiepNhan: true,
  NgayTiepNhanBoSung: true, TrangThaiBoSung: true, DanhSachGiayToBoSung: true, DanhSachLePhiBoSung: true, NgayHenTraTruoc: true, NgayHenTraMoi: true,
});
const PROGRESS_FIELDS = fieldsOf<PortalProgressItem>({
  MaHoSo: true, NguoiXuLy: true, ChucDanh: true, ThoiDiemXuLy: true, PhongBanXuLy: true, NoiDungXuLy: true, TrangThai: true, NgayBatDau: true, NgayKetThucTheoQuyDinh: true,
});

const STATUS_CODE = Object.fromEntries(Object.entries(NATIONAL_STATUS_CODE).map(([status, code]) => [status, String(code)])) as Record<DossierStatus, string>;

/** Reads one wire object: values are strings (a missing field, `null` and `''` all mean "not given"); a field the protocol does not define is refused. */
class WireReader {
  constructor(
    private readonly fields: Fields,
    private readonly path: string,
    allowed: readonly string[],
  ) {
    const unknown = Object.keys(fields).find((key) => !allowed.includes(key));
    if (unknown !== undefined) throw new WireFieldError(this.at(unknown), 'không có trong giao thức');
  }

  at(field: string): string {
    return this.path ? `${this.path}.${field}` : field;
  }

  text(field: string): string | undefined {
    const value = this.fields[field];
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string') throw new WireFieldError(this.at(field), 'phải là chuỗi');
    return value;
  }

  required(field: string): string {
    const value = this.text(field);
    if (value === undefined) throw new WireFieldError(this.at(field), 'là bắt buộc');
    return value;
  }

  date(field: string): string | undefined {
    const value = this.text(field);
    if (value === undefined) return undefined;
    const date = fromPortalDate(value);
    if (date === undefined) throw new WireFieldError(this.at(field), 'phải có dạng yyyyMMddHHmmss');
    return date;
  }

  code<K extends string>(field: string, table: Readonly<Record<K, string>>): K | undefined {
    const value = this.text(field);
    if (value === undefined) return undefined;
    const found = (Object.keys(table) as K[]).find((key) => table[key] === value);
    if (found === undefined) throw new WireFieldError(this.at(field), `phải là một trong ${Object.values(table).join(', ')}`);
    return found;
  }

  requiredCode<K extends string>(field: string, table: Readonly<Record<K, string>>): K {
    const found = this.code(field, table);
    if (found === undefined) throw new WireFieldError(this.at(field), 'là bắt buộc');
    return found;
  }

  flag(field: string): boolean | undefined {
    return this.code(field, { true: '1', false: '0' }) === undefined ? undefined : this.fields[field] === '1';
  }

  count(field: string): number | undefined {
    const value = this.text(field);
    if (value === undefined) return undefined;
    if (!/^\d{1,13}$/.test(value)) throw new WireFieldError(this.at(field), 'phải là số nguyên không âm');
    return Number(value);
  }

  list<T>(field: string, allowed: readonly string[], read: (entry: WireReader) => T): T[] {
    const value = this.fields[field];
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) throw new WireFieldError(this.at(field), 'phải là danh sách');
    return value.map((entry: unknown, i) => {
      const path = `${this.at(field)}[${i}]`;
      if (!isFields(entry)) throw new WireFieldError(path, 'phải là đối tượng');
      return read(new WireReader(entry, path, allowed));
    });
  }
}

export function fromDossierItem(item: unknown, ctx: FromWireContext): Dossier {
  const r = topLevel(item, DOSSIER_FIELDS);
  const identifiers = r.list('DinhDanhCHS', IDENTITY_FIELDS, (e) => ({ type: e.requiredCode('LoaiDinhDanh', IDENTIFIER_TYPE_CODE), number: e.required('SoDinhDanh') }));
  const dossier = compact({
    code: r.required('MaHoSo'),
    procedure: { code: r.required('MaTTHC'), name: r.required('TenTTHC'), field: { code: r.required('MaLinhVuc'), name: r.required('TenLinhVuc') } },
    agency: ctx.agency,
    channel: r.requiredCode('KenhThucHien', CHANNEL_CODE),
    applicant: compact({
      kind: r.requiredCode('LoaiDoiTuong', APPLICANT_KIND_CODE),
      name: r.required('ChuHoSo'),
      idNumber: r.required('SoGiayToChuHoSo'),
      identifiers: nonEmpty(identifiers),
      portalAccountId: r.text('MaDoiTuong'),
      vneidVerified: r.flag('TaiKhoanDuocXacThucVoiVNeID'),
      phone: r.text('SoDienThoai'),
      fax: r.text('Fax'),
      email: r.text('Email'),
    }),
    summary: r.required('TrichYeuHoSo'),
    submittedAt: r.date('NgayNopHoSo'),
    receivedAt: r.date('NgayTiepNhan'),
    dueAt: r.date('NgayHenTra'),
    rejectedAt: r.date('NgayTuChoi'),
    status: r.requiredCode('TrangThaiHoSo', STATUS_CODE),
    returnedAt: r.date('NgayTra'),
    resultDelivery: r.code('HinhThuc', RESULT_DELIVERY_CODE),
    // Kept even when empty: translate.ts would otherwise send the agency's name in its place.
    processingUnit: r.text('DonViXuLy') ?? '',
    submissionPlace: r.code('NoiNopHoSo', SUBMISSION_PLACE_CODE),
    documents: nonEmpty(r.list('TaiLieuNop', DOCUMENT_FIELDS, readDocument)),
    results: nonEmpty(r.list('DanhSachGiayToKetQua', RESULT_FIELDS, readResult)),
    fees: nonEmpty(r.list('DanhSachLePhi', FEE_FIELDS, readFee)),
    receiptNumber: r.text('SoBienNhan'),
    note: r.text('GhiChu'),
    otherInfo: r.text('ThongTinKhac'),
    returnInfo: r.text('ThongTinTra'),
    processingEndedAt: r.date('NgayKetThucXuLy'),
    otherPapers: nonEmpty(r.list('DanhSachTepDinhKemKhac', OTHER_PAPER_FIELDS, (e) => compact({ name: e.required('TenGiayTo'), count: e.count('SoLuong'), kind: e.text('LoaiGiayTo') }))),
    supplements: nonEmpty(r.list('DanhSachHoSoBoSung', SUPPLEMENT_FIELDS, readSupplement)),
  }) as Dossier;
  // The dossier-wide flags are derived from papers and fees unless the sender says otherwise.
  const digitised = r.flag('HoSoCoThanhPhanSoHoa');
  if (digitised !== undefined && digitised !== hasDigitisedPaper(dossier)) dossier.digitisedPapers = digitised;
  const paidOnline = r.flag('DuocThanhToanTrucTuyen');
  if (paidOnline !== undefined && paidOnline !== hasOnlinePayment(dossier)) dossier.paidOnline = paidOnline;
  return dossier;
}

export function fromProgressItem(item: unknown): { dossierCode: string; step: ProgressStep } {
  const r = topLevel(item, PROGRESS_FIELDS);
  const dossierCode = r.required('MaHoSo');
  const at = r.date('ThoiDiemXuLy');
  if (at === undefined) throw new WireFieldError('ThoiDiemXuLy', 'là bắt buộc');
  const step = compact({
    status: r.requiredCode('TrangThai', STATUS_CODE),
    at,
    startedAt: r.date('NgayBatDau'),
    actor: compact({ name: r.required('NguoiXuLy'), title: r.text('ChucDanh'), department: r.text('PhongBanXuLy') }),
    note: r.text('NoiDungXuLy'),
    dueAt: r.date('NgayKetThucTheoQuyDinh'),
  }) as ProgressStep;
  return { dossierCode, step };
}

function readDocument(e: WireReader): NonNullable<Dossier['documents']>[number] {
  return compact({
    id: e.required('TepDinhKemId'),
    name: e.required('TenTepDinhKem'),
    componentCode: e.text('MaThanhPhanHoSo'),
    // A link, never an uploaded file: the gateway checks it against its attachment allow-list.
    url: e.text('DuongDanTaiTepTin'),
    digitised: e.flag('DuocSoHoa'),
    reused: e.flag('DuocTaiSuDung'),
    deleted: e.flag('IsDeleted'),
  }) as NonNullable<Dossier['documents']>[number];
}

function readResult(e: WireReader): NonNullable<Dossier['results']>[number] {
  return compact({
    id: e.required('GiayToId'),
    name: e.required('TenGiayTo'),
    componentCode: e.text('MaThanhPhanHoSo'),
    documentNumber: e.text('MaGiayToKetQua'),
    url: e.text('DuongDanTepTinKetQua'),
  }) as NonNullable<Dossier['results']>[number];
}

function readFee(e: WireReader): NonNullable<Dossier['fees']>[number] {
  const amount = e.count('Gia');
  if (amount === undefined) throw new WireFieldError(e.at('Gia'), 'là bắt buộc');
  // Both codes are written down, so that translate.ts has nothing to infer.
  return {
    code: e.required('MaPhiLePhi'),
    name: e.required('TenPhiLePhi'),
    amount,
    kind: e.code('LoaiPhiLePhi', FEE_KIND_CODE) ?? 'fee',
    collection: e.code('HinhThucThu', FEE_COLLECTION_CODE) ?? 'counter',
  };
}

function readSupplement(e: WireReader): NonNullable<Dossier['supplements']>[number] {
  return compact({
    id: e.required('HoSoBoSungId'),
    requestedBy: e.text('NguoiYeuCauBoSung'),
    content: e.text('NoiDungBoSung'),
    requestedAt: e.date('NgayBoSung'),
    receivedBy: e.text('NguoiTiepNhanBoSung'),
    receiptNote: e.text('ThongTinTiepNhan'),
    receivedAt: e.date('NgayTiepNhanBoSung'),
    status: e.text('TrangThaiBoSung'),
    documents: nonEmpty(e.list('DanhSachGiayToBoSung', DOCUMENT_FIELDS, readDocument)),
    fees: nonEmpty(e.list('DanhSachLePhiBoSung', FEE_FIELDS, readFee)),
    previousDueAt: e.date('NgayHenTraTruoc'),
    newDueAt: e.date('NgayHenTraMoi'),
  }) as NonNullable<Dossier['supplements']>[number];
}

function topLevel(item: unknown, allowed: readonly string[]): WireReader {
  if (!isFields(item)) throw new WireFieldError('data[]', 'phải là đối tượng');
  return new WireReader(item, '', allowed);
}

/** The object without its undefined members: the canonical model omits what the sender did not give. */
function compact<T extends Fields>(fields: T): T {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as T;
}

function nonEmpty<T>(list: T[]): T[] | undefined {
  return list.length > 0 ? list : undefined;
}

function isFields(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
