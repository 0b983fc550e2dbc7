// National portal item → canonical dossier or event: the inverse of translate.ts, for one-stop
// software that speaks the portal's protocol to the gateway (src/portal-compatible/routes.ts). It
// reads translate.ts's code tables backwards, so a code means the same in both directions, and
// toDossierItem(fromDossierItem(item)) gives back every field of the item (README.md, "Reading the wire").
// Liberal in what it reads: booleans in every form the public clients write, fields the portal does
// not require left out, and fields the gateway does not model kept as pass-through, never refused.
import type { Dossier, DossierEvent, DossierStatus } from '../../schemas/dossier.js';
import { NATIONAL_STATUS_CODE } from './status-codes.js';
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
import {
  DOCUMENT_FIELDS,
  DOSSIER_FIELDS,
  FEE_FIELDS,
  IDENTITY_FIELDS,
  OTHER_PAPER_FIELDS,
  PROGRESS_FIELDS,
  RESULT_FIELDS,
  SUPPLEMENT_FIELDS,
  type PortalPassThrough,
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

/** What the gateway cannot route a dossier without, said to the sender when it is missing. */
const ROUTING = {
  code: 'mã hồ sơ xác định hồ sơ khi lưu, gửi lên Cổng DVCQG và tra cứu',
  procedure: 'mã thủ tục hành chính xác định thủ tục của hồ sơ trên Cổng DVCQG',
};

const STATUS_CODE = Object.fromEntries(Object.entries(NATIONAL_STATUS_CODE).map(([status, code]) => [status, String(code)])) as Record<DossierStatus, string>;

/**
 * The boolean a public client meant: "1"/"0" (the portal's flags), "True"/"False" (Java's and .NET's
 * Boolean.toString, OpenCPS's and the Thanh Hóa client's IsDeleted), "true"/"false", 1/0, true/false.
 * Undefined for anything else.
 */
export function readPortalBoolean(value: unknown): boolean | undefined {
  if (value === true || value === 1) return true;
  if (value === false || value === 0) return false;
  if (typeof value !== 'string') return undefined;
  const text = value.trim().toLowerCase();
  return text === '1' || text === 'true' ? true : text === '0' || text === 'false' ? false : undefined;
}

/** Reads one wire object: values are strings (a missing field, `null` and `''` all mean "not given"); a field the gateway does not model is kept aside, as given. */
class WireReader {
  private readonly known: ReadonlySet<string>;

  constructor(
    private readonly fields: Fields,
    private readonly path: string,
    modeled: readonly string[],
  ) {
    this.known = new Set(modeled);
  }

  /** The fields the gateway does not model, exactly as sent; undefined when there are none. */
  passThrough(): PortalPassThrough | undefined {
    const extra = Object.entries(this.fields).filter(([key]) => !this.known.has(key));
    return extra.length > 0 ? Object.fromEntries(extra) : undefined;
  }

  at(field: string): string {
    return this.path ? `${this.path}.${field}` : field;
  }

  text(field: string): string | undefined {
    const value = this.fields[field];
    if (value === undefined || value === null || value === '') return undefined;
    // A number where the protocol has a string of digits (a .NET int property, say) is read as its digits.
    if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
    if (typeof value !== 'string') throw new WireFieldError(this.at(field), 'phải là chuỗi');
    return value;
  }

  /** `why`, when given, tells the sender what the gateway needs the field for. */
  required(field: string, why?: string): string {
    const value = this.text(field);
    if (value === undefined) throw new WireFieldError(this.at(field), why ? `là bắt buộc: ${why}` : 'là bắt buộc');
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
    const value = this.fields[field];
    if (value === undefined || value === null || value === '') return undefined;
    const flag = readPortalBoolean(value);
    if (flag === undefined) throw new WireFieldError(this.at(field), 'phải là 1/0 hoặc True/False');
    return flag;
  }

  count(field: string): number | undefined {
    const value = this.text(field);
    if (value === undefined) return undefined;
    if (!/^\d{1,13}$/.test(value)) throw new WireFieldError(this.at(field), 'phải là số nguyên không âm');
    return Number(value);
  }

  list<T>(field: string, modeled: readonly string[], read: (entry: WireReader) => T): T[] {
    const value = this.fields[field];
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) throw new WireFieldError(this.at(field), 'phải là danh sách');
    return value.map((entry: unknown, i) => {
      const path = `${this.at(field)}[${i}]`;
      if (!isFields(entry)) throw new WireFieldError(path, 'phải là đối tượng');
      return read(new WireReader(entry, path, modeled));
    });
  }
}

export function fromDossierItem(item: unknown, ctx: FromWireContext): Dossier {
  const r = topLevel(item, DOSSIER_FIELDS);
  const identifiers = r.list('DinhDanhCHS', IDENTITY_FIELDS, (e) =>
    compact({ type: e.requiredCode('LoaiDinhDanh', IDENTIFIER_TYPE_CODE), number: e.required('SoDinhDanh'), portalFields: e.passThrough() }),
  );
  const dossier = compact({
    code: r.required('MaHoSo', ROUTING.code),
    procedure: { code: r.required('MaTTHC', ROUTING.procedure), name: r.required('TenTTHC'), field: { code: r.required('MaLinhVuc'), name: r.required('TenLinhVuc') } },
    agency: ctx.agency,
    // Optional at the portal: OpenCPS never sends it. Absent, it stays absent (README.md, "Reading the wire").
    channel: r.code('KenhThucHien', CHANNEL_CODE),
    applicant: compact({
      kind: r.requiredCode('LoaiDoiTuong', APPLICANT_KIND_CODE),
      name: r.text('ChuHoSo'),
      // Optional at the portal: OpenCPS never sends it; DinhDanhCHS may carry the papers instead.
      idNumber: r.text('SoGiayToChuHoSo'),
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
    otherPapers: nonEmpty(r.list('DanhSachTepDinhKemKhac', OTHER_PAPER_FIELDS, (e) => compact({ name: e.required('TenGiayTo'), count: e.count('SoLuong'), kind: e.text('LoaiGiayTo'), portalFields: e.passThrough() }))),
    supplements: nonEmpty(r.list('DanhSachHoSoBoSung', SUPPLEMENT_FIELDS, readSupplement)),
    portalFields: r.passThrough(),
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
  const dossierCode = r.required('MaHoSo', ROUTING.code);
  const at = r.date('ThoiDiemXuLy');
  if (at === undefined) throw new WireFieldError('ThoiDiemXuLy', 'là bắt buộc');
  const step = compact({
    status: r.requiredCode('TrangThai', STATUS_CODE),
    at,
    startedAt: r.date('NgayBatDau'),
    actor: compact({ name: r.required('NguoiXuLy'), title: r.text('ChucDanh'), department: r.text('PhongBanXuLy') }),
    note: r.text('NoiDungXuLy'),
    dueAt: r.date('NgayKetThucTheoQuyDinh'),
    portalFields: r.passThrough(),
  }) as ProgressStep;
  return { dossierCode, step };
}

function readDocument(e: WireReader): NonNullable<Dossier['documents']>[number] {
  return compact({
    // The Thanh Hóa client sends TepDinhKemId "" for every paper: the portal does not require it.
    id: e.text('TepDinhKemId'),
    name: e.required('TenTepDinhKem'),
    componentCode: e.text('MaThanhPhanHoSo'),
    // A link, never an uploaded file: the gateway checks it against its attachment allow-list.
    url: e.text('DuongDanTaiTepTin'),
    digitised: e.flag('DuocSoHoa'),
    reused: e.flag('DuocTaiSuDung'),
    deleted: e.flag('IsDeleted'),
    portalFields: e.passThrough(),
  }) as NonNullable<Dossier['documents']>[number];
}

function readResult(e: WireReader): NonNullable<Dossier['results']>[number] {
  return compact({
    // The Thanh Hóa client sends GiayToId "" for its result papers: the portal does not require it.
    id: e.text('GiayToId'),
    name: e.required('TenGiayTo'),
    componentCode: e.text('MaThanhPhanHoSo'),
    documentNumber: e.text('MaGiayToKetQua'),
    url: e.text('DuongDanTepTinKetQua'),
    portalFields: e.passThrough(),
  }) as NonNullable<Dossier['results']>[number];
}

function readFee(e: WireReader): NonNullable<Dossier['fees']>[number] {
  const amount = e.count('Gia');
  if (amount === undefined) throw new WireFieldError(e.at('Gia'), 'là bắt buộc');
  // Both codes are written down, so that translate.ts has nothing to infer.
  return compact({
    code: e.required('MaPhiLePhi'),
    name: e.required('TenPhiLePhi'),
    amount,
    kind: e.code('LoaiPhiLePhi', FEE_KIND_CODE) ?? 'fee',
    collection: e.code('HinhThucThu', FEE_COLLECTION_CODE) ?? 'counter',
    portalFields: e.passThrough(),
  }) as NonNullable<Dossier['fees']>[number];
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
    portalFields: e.passThrough(),
  }) as NonNullable<Dossier['supplements']>[number];
}

function topLevel(item: unknown, modeled: readonly string[]): WireReader {
  if (!isFields(item)) throw new WireFieldError('data[]', 'phải là đối tượng');
  return new WireReader(item, '', modeled);
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
