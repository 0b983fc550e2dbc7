// Canonical dossier → national portal item. This is the only place the mapping lives; the table in
// README.md describes it field by field, and test/fixtures/national-portal holds the golden results.
import type { Dossier, DossierEvent } from '../../schemas/dossier.js';
import { NATIONAL_STATUS_CODE } from './status-codes.js';
import { toPortalDate } from './dates.js';
import {
  DOCUMENT_FIELDS,
  DOSSIER_FIELDS,
  FEE_FIELDS,
  IDENTITY_FIELDS,
  OTHER_PAPER_FIELDS,
  PROGRESS_FIELDS,
  RESULT_FIELDS,
  SUPPLEMENT_FIELDS,
  type PortalBooleanText,
  type PortalDate,
  type PortalDossierItem,
  type PortalFee,
  type PortalFlag,
  type PortalIdentity,
  type PortalOtherPaper,
  type PortalPassThrough,
  type PortalProgressItem,
  type PortalResultDocument,
  type PortalSubmittedDocument,
  type PortalSupplement,
} from './wire.js';

export interface TranslateContext {
  /** The URL the portal downloads a paper from: a signed gateway URL for an uploaded file, else the allowed URL. */
  attachmentUrl(ref: { fileId?: string; url?: string }): string | undefined;
}

type Applicant = Dossier['applicant'];
type IdentifierType = NonNullable<Applicant['identifiers']>[number]['type'];
type Fee = NonNullable<Dossier['fees']>[number];

// The code tables are exported for from-wire.ts, which reads them backwards.
export const CHANNEL_CODE = { direct: '1', online: '2', postal: '3' } as const;
export const APPLICANT_KIND_CODE = { citizen: '1', organization: '2' } as const;
export const RESULT_DELIVERY_CODE = { counter: '0', postal: '1' } as const;

/** LoaiDinhDanh. '1' (12-digit personal number) and '2' (other papers) follow public implementations; passport and tax code are our choice. */
export const IDENTIFIER_TYPE_CODE: Record<IdentifierType, string> = {
  'citizen-id': '1',
  other: '2',
  passport: '3',
  'tax-code': '4',
};

/** HinhThucThu mirrors the KenhThucHien codes: 1 at the counter, 2 online, 3 by post. */
export const FEE_COLLECTION_CODE = { counter: '1', online: '2', postal: '3' } as const;
/** LoaiPhiLePhi: 1 lệ phí (fee), 2 phí (charge). */
export const FEE_KIND_CODE = { fee: '1', charge: '2' } as const;

/** The value of `submissionPlace` that means the citizen submitted on the national portal itself. */
export const SUBMITTED_ON_NATIONAL_PORTAL = 'national-portal';
/** NoiNopHoSo: 1 on the national portal, 2 through the province's own system (the default). */
export const SUBMISSION_PLACE_CODE = { [SUBMITTED_ON_NATIONAL_PORTAL]: '1', provincial: '2' } as const;

export function toDossierItem(d: Dossier, ctx: TranslateContext): PortalDossierItem {
  const { applicant } = d;
  const documents = d.documents ?? [];
  const fees = d.fees ?? [];
  return withPassThrough<PortalDossierItem>(DOSSIER_FIELDS, d.portalFields, {
    MaHoSo: d.code,
    MaTTHC: d.procedure.code,
    TenTTHC: d.procedure.name,
    MaLinhVuc: d.procedure.field.code,
    TenLinhVuc: d.procedure.field.name,
    // Left out, as OpenCPS leaves it out, when the sender did not say: a guess would mislead the portal.
    ...(d.channel === undefined ? {} : { KenhThucHien: CHANNEL_CODE[d.channel] }),
    ChuHoSo: applicant.name ?? '',
    LoaiDoiTuong: APPLICANT_KIND_CODE[applicant.kind],
    MaDoiTuong: applicant.portalAccountId ?? '',
    ...(applicant.idNumber === undefined ? {} : { SoGiayToChuHoSo: applicant.idNumber }),
    DinhDanhCHS: identities(applicant),
    Email: applicant.email ?? '',
    SoDienThoai: applicant.phone ?? '',
    Fax: applicant.fax ?? '',
    TaiKhoanDuocXacThucVoiVNeID: flag(applicant.vneidVerified),
    TrichYeuHoSo: d.summary,
    NgayNopHoSo: optionalDate(d.submittedAt),
    NgayTiepNhan: optionalDate(d.receivedAt),
    NgayHenTra: optionalDate(d.dueAt),
    NgayTuChoi: optionalDate(d.rejectedAt),
    TrangThaiHoSo: String(NATIONAL_STATUS_CODE[d.status]),
    NgayTra: optionalDate(d.returnedAt),
    HinhThuc: RESULT_DELIVERY_CODE[d.resultDelivery ?? 'counter'],
    DonViXuLy: d.processingUnit ?? d.agency.name,
    // Everything reaching the gateway comes from a provincial system unless it says otherwise.
    NoiNopHoSo: SUBMISSION_PLACE_CODE[d.submissionPlace ?? 'provincial'],
    HoSoCoThanhPhanSoHoa: flag(d.digitisedPapers ?? hasDigitisedPaper(d)),
    DuocThanhToanTrucTuyen: flag(d.paidOnline ?? hasOnlinePayment(d)),
    TaiLieuNop: documents.map((doc) => submittedDocument(doc, ctx)),
    DanhSachLePhi: fees.map(feeLine),
    DanhSachGiayToKetQua: (d.results ?? []).map((r) => resultDocument(r, ctx)),
    SoBienNhan: d.receiptNumber ?? '',
    GhiChu: d.note ?? '',
    ThongTinKhac: d.otherInfo ?? '',
    ThongTinTra: d.returnInfo ?? '',
    NgayKetThucXuLy: optionalDate(d.processingEndedAt),
    DanhSachTepDinhKemKhac: (d.otherPapers ?? []).map(otherPaper),
    DanhSachHoSoBoSung: (d.supplements ?? []).map((s) => supplement(s, ctx)),
  });
}

export function toProgressItem(dossierCode: string, e: DossierEvent): PortalProgressItem {
  return withPassThrough<PortalProgressItem>(PROGRESS_FIELDS, e.portalFields, {
    MaHoSo: dossierCode,
    NguoiXuLy: e.actor.name,
    ChucDanh: e.actor.title ?? '',
    ThoiDiemXuLy: toPortalDate(e.at),
    PhongBanXuLy: e.actor.department ?? '',
    NoiDungXuLy: e.note ?? '',
    TrangThai: String(NATIONAL_STATUS_CODE[e.status]),
    NgayBatDau: optionalDate(e.startedAt),
    NgayKetThucTheoQuyDinh: optionalDate(e.dueAt),
  });
}

/** What HoSoCoThanhPhanSoHoa says when the dossier does not say it itself. */
export function hasDigitisedPaper(d: Dossier): boolean {
  return (d.documents ?? []).some((doc) => doc.digitised === true);
}

/** What DuocThanhToanTrucTuyen says when the dossier does not say it itself. */
export function hasOnlinePayment(d: Dossier): boolean {
  return (d.fees ?? []).some((fee) => fee.paidOnline === true);
}

/**
 * The ID number first, then other papers, without repeats. The ID number is typed as the
 * identifiers type it when they list it (an old 9-digit CMND is "other"), else by the applicant's
 * kind (a citizen's is a personal number, an organisation's a tax code).
 */
function identities(applicant: Applicant): PortalIdentity[] {
  const { idNumber } = applicant;
  const listed = applicant.identifiers?.find((id) => id.number === idNumber);
  const primary = idNumber === undefined ? [] : [listed ?? { type: applicant.kind === 'citizen' ? 'citizen-id' : 'tax-code', number: idNumber }];
  const seen = new Set<string>();
  const result: PortalIdentity[] = [];
  for (const id of [...primary, ...(applicant.identifiers ?? [])] as NonNullable<Applicant['identifiers']>) {
    if (seen.has(id.number)) continue;
    seen.add(id.number);
    result.push(withPassThrough<PortalIdentity>(IDENTITY_FIELDS, id.portalFields, { LoaiDinhDanh: IDENTIFIER_TYPE_CODE[id.type], SoDinhDanh: id.number }));
  }
  return result;
}

function submittedDocument(doc: NonNullable<Dossier['documents']>[number], ctx: TranslateContext): PortalSubmittedDocument {
  return withPassThrough<PortalSubmittedDocument>(DOCUMENT_FIELDS, doc.portalFields, {
    TepDinhKemId: doc.id ?? '',
    TenTepDinhKem: doc.name,
    MaThanhPhanHoSo: doc.componentCode ?? '',
    DuongDanTaiTepTin: attachment(doc, ctx),
    DuocSoHoa: flag(doc.digitised),
    DuocTaiSuDung: flag(doc.reused),
    IsDeleted: booleanText(doc.deleted),
  });
}

function otherPaper(p: NonNullable<Dossier['otherPapers']>[number]): PortalOtherPaper {
  return withPassThrough<PortalOtherPaper>(OTHER_PAPER_FIELDS, p.portalFields, { TenGiayTo: p.name, SoLuong: p.count === undefined ? '' : String(p.count), LoaiGiayTo: p.kind ?? '' });
}

function supplement(s: NonNullable<Dossier['supplements']>[number], ctx: TranslateContext): PortalSupplement {
  return withPassThrough<PortalSupplement>(SUPPLEMENT_FIELDS, s.portalFields, {
    HoSoBoSungId: s.id,
    NguoiYeuCauBoSung: s.requestedBy ?? '',
    NoiDungBoSung: s.content ?? '',
    NgayBoSung: optionalDate(s.requestedAt),
    NguoiTiepNhanBoSung: s.receivedBy ?? '',
    ThongTinTiepNhan: s.receiptNote ?? '',
    NgayTiepNhanBoSung: optionalDate(s.receivedAt),
    TrangThaiBoSung: s.status ?? '',
    DanhSachGiayToBoSung: (s.documents ?? []).map((doc) => submittedDocument(doc, ctx)),
    DanhSachLePhiBoSung: (s.fees ?? []).map(feeLine),
    NgayHenTraTruoc: optionalDate(s.previousDueAt),
    NgayHenTraMoi: optionalDate(s.newDueAt),
  });
}

function feeLine(fee: Fee): PortalFee {
  return withPassThrough<PortalFee>(FEE_FIELDS, fee.portalFields, {
    TenPhiLePhi: fee.name,
    MaPhiLePhi: fee.code,
    HinhThucThu: FEE_COLLECTION_CODE[fee.collection ?? (fee.paidOnline === true ? 'online' : 'counter')],
    Gia: String(fee.amount),
    LoaiPhiLePhi: FEE_KIND_CODE[fee.kind ?? 'fee'],
  });
}

function resultDocument(r: NonNullable<Dossier['results']>[number], ctx: TranslateContext): PortalResultDocument {
  return withPassThrough<PortalResultDocument>(RESULT_FIELDS, r.portalFields, {
    TenGiayTo: r.name,
    MaThanhPhanHoSo: r.componentCode ?? '',
    GiayToId: r.id ?? '',
    DuongDanTepTinKetQua: attachment(r, ctx),
    MaGiayToKetQua: r.documentNumber ?? '',
  });
}

function attachment(ref: { fileId?: string; url?: string }, ctx: TranslateContext): string {
  // Only the reference crosses over: the context never sees the rest of the paper.
  return ctx.attachmentUrl({ fileId: ref.fileId, url: ref.url }) ?? '';
}

function flag(value: boolean | undefined): PortalFlag {
  return value === true ? '1' : '0';
}

/** IsDeleted as both public clients write it (Java's and .NET's Boolean.toString). */
function booleanText(value: boolean | undefined): PortalBooleanText {
  return value === true ? 'True' : 'False';
}

/**
 * The item the gateway computes, followed by the sender's fields it does not model, as they came.
 * A pass-through field never takes a name the gateway models, even one it leaves out (KenhThucHien
 * without a channel): what the gateway computes, or chose not to send, wins.
 */
function withPassThrough<T extends object>(modeled: readonly string[], extra: PortalPassThrough | undefined, item: T): T {
  if (!extra) return item;
  const kept = Object.entries(extra).filter(([name]) => !modeled.includes(name));
  return Object.assign(item, Object.fromEntries(kept));
}

function optionalDate(value: string | undefined): PortalDate {
  return value === undefined ? '' : toPortalDate(value);
}
