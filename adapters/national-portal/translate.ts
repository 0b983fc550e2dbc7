// Canonical dossier → national portal item. This is the only place the mapping lives; the table in
// README.md describes it field by field, and test/fixtures/national-portal holds the golden results.
import type { Dossier, DossierEvent } from '../../schemas/dossier.js';
import { NATIONAL_STATUS_CODE } from '../../src/core/status.js';
import { toPortalDate } from './dates.js';
import type {
  PortalDate,
  PortalDossierItem,
  PortalFee,
  PortalFlag,
  PortalIdentity,
  PortalProgressItem,
  PortalResultDocument,
  PortalSubmittedDocument,
} from './wire.js';

export interface TranslateContext {
  /** The URL the portal downloads a paper from: a signed gateway URL for an uploaded file, else the allowed URL. */
  attachmentUrl(ref: { fileId?: string; url?: string }): string | undefined;
}

type Applicant = Dossier['applicant'];
type IdentifierType = NonNullable<Applicant['identifiers']>[number]['type'];
type Fee = NonNullable<Dossier['fees']>[number];

const CHANNEL_CODE = { direct: '1', online: '2', postal: '3' } as const;
const APPLICANT_KIND_CODE = { citizen: '1', organization: '2' } as const;
const RESULT_DELIVERY_CODE = { counter: '0', postal: '1' } as const;

/** LoaiDinhDanh. '1' (12-digit personal number) and '2' (other papers) follow public implementations; passport and tax code are our choice. */
const IDENTIFIER_TYPE_CODE: Record<IdentifierType, string> = {
  'citizen-id': '1',
  other: '2',
  passport: '3',
  'tax-code': '4',
};

/** HinhThucThu mirrors the KenhThucHien codes: 1 at the counter, 2 online, 3 by post. */
const FEE_COLLECTION_CODE = { counter: '1', online: '2', postal: '3' } as const;
/** LoaiPhiLePhi: 1 lệ phí (fee), 2 phí (charge). */
const FEE_KIND_CODE = { fee: '1', charge: '2' } as const;

/** The value of `submissionPlace` that means the citizen submitted on the national portal itself. */
export const SUBMITTED_ON_NATIONAL_PORTAL = 'national-portal';

export function toDossierItem(d: Dossier, ctx: TranslateContext): PortalDossierItem {
  const { applicant } = d;
  const documents = d.documents ?? [];
  const fees = d.fees ?? [];
  return {
    MaHoSo: d.code,
    MaTTHC: d.procedure.code,
    TenTTHC: d.procedure.name,
    MaLinhVuc: d.procedure.field.code,
    TenLinhVuc: d.procedure.field.name,
    KenhThucHien: CHANNEL_CODE[d.channel],
    ChuHoSo: applicant.name,
    LoaiDoiTuong: APPLICANT_KIND_CODE[applicant.kind],
    MaDoiTuong: applicant.portalAccountId ?? '',
    SoGiayToChuHoSo: applicant.idNumber,
    DinhDanhCHS: identities(applicant),
    Email: applicant.email ?? '',
    SoDienThoai: applicant.phone ?? '',
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
    NoiNopHoSo: d.submissionPlace === SUBMITTED_ON_NATIONAL_PORTAL ? '1' : '2',
    HoSoCoThanhPhanSoHoa: flag(documents.some((doc) => doc.digitised === true)),
    DuocThanhToanTrucTuyen: flag(fees.some((fee) => fee.paidOnline === true)),
    TaiLieuNop: documents.map((doc) => submittedDocument(doc, ctx)),
    DanhSachLePhi: fees.map(feeLine),
    DanhSachGiayToKetQua: (d.results ?? []).map((r) => resultDocument(r, ctx)),
  };
}

export function toProgressItem(dossierCode: string, e: DossierEvent): PortalProgressItem {
  return {
    MaHoSo: dossierCode,
    NguoiXuLy: e.actor.name,
    ChucDanh: e.actor.title ?? '',
    ThoiDiemXuLy: toPortalDate(e.at),
    PhongBanXuLy: e.actor.department ?? '',
    NoiDungXuLy: e.note ?? '',
    TrangThai: String(NATIONAL_STATUS_CODE[e.status]),
    NgayBatDau: optionalDate(e.startedAt),
    NgayKetThucTheoQuyDinh: optionalDate(e.dueAt),
  };
}

/** The ID number first (a citizen's is a personal number, an organisation's a tax code), then other papers, without repeats. */
function identities(applicant: Applicant): PortalIdentity[] {
  const primary = { type: applicant.kind === 'citizen' ? 'citizen-id' : 'tax-code', number: applicant.idNumber } as const;
  const seen = new Set<string>();
  const result: PortalIdentity[] = [];
  for (const id of [primary, ...(applicant.identifiers ?? [])]) {
    if (seen.has(id.number)) continue;
    seen.add(id.number);
    result.push({ LoaiDinhDanh: IDENTIFIER_TYPE_CODE[id.type], SoDinhDanh: id.number });
  }
  return result;
}

function submittedDocument(doc: NonNullable<Dossier['documents']>[number], ctx: TranslateContext): PortalSubmittedDocument {
  return {
    TepDinhKemId: doc.id,
    TenTepDinhKem: doc.name,
    MaThanhPhanHoSo: doc.componentCode ?? '',
    DuongDanTaiTepTin: attachment(doc, ctx),
    DuocSoHoa: flag(doc.digitised),
    DuocTaiSuDung: flag(doc.reused),
    IsDeleted: flag(doc.deleted),
  };
}

function feeLine(fee: Fee): PortalFee {
  return {
    TenPhiLePhi: fee.name,
    MaPhiLePhi: fee.code,
    HinhThucThu: FEE_COLLECTION_CODE[fee.collection ?? (fee.paidOnline === true ? 'online' : 'counter')],
    Gia: String(fee.amount),
    LoaiPhiLePhi: FEE_KIND_CODE[fee.kind ?? 'fee'],
  };
}

function resultDocument(r: NonNullable<Dossier['results']>[number], ctx: TranslateContext): PortalResultDocument {
  return {
    TenGiayTo: r.name,
    MaThanhPhanHoSo: r.componentCode ?? '',
    GiayToId: r.id,
    DuongDanTepTinKetQua: attachment(r, ctx),
    MaGiayToKetQua: r.documentNumber ?? '',
  };
}

function attachment(ref: { fileId?: string; url?: string }, ctx: TranslateContext): string {
  // Only the reference crosses over: the context never sees the rest of the paper.
  return ctx.attachmentUrl({ fileId: ref.fileId, url: ref.url }) ?? '';
}

function flag(value: boolean | undefined): PortalFlag {
  return value === true ? '1' : '0';
}

function optionalDate(value: string | undefined): PortalDate {
  return value === undefined ? '' : toPortalDate(value);
}
