// The portal-compatible endpoint answers in the national portal's own terms: `error_code` and a
// Vietnamese `message`. The codes below are the ones the simulator and the portal's public clients
// use where known (0, -1, -3), ours where the portal's are not published (docs/portal-compatible.md).
import { NATIONAL_STATUS_CODE } from '../../adapters/national-portal/index.js';
import type { Problem } from '../core/problems.js';
import type { DossierStatus } from '../../schemas/dossier.js';

export const PROTOCOL_CODE = {
  ok: 0,
  session: -1,
  badRequest: 1,
  invalidData: 2,
  badLogin: 2,
  alreadyExists: -3,
  notFound: 4,
  illegalTransition: 5,
  forbiddenAgency: 6,
  notSigned: 7,
  overloaded: 429,
  internal: 500,
  cataloguesNotReady: 503,
  /** Redis (sessions) or the database unreachable, or this instance shutting down: retry. */
  unavailable: 503,
} as const;

export interface ProtocolAnswer {
  /** The HTTP status; the portal answers its refusals with 200. */
  status: number;
  body: { error_code: number; message: string; [extra: string]: unknown };
}

/** A refusal in the protocol's terms; thrown by the endpoint's steps, answered by its error handler. */
export class ProtocolRefusal extends Error {
  constructor(
    readonly errorCode: number,
    message: string,
    readonly status = 200,
    /** The dossier the refusal is about, for the message log. */
    readonly dossierCode?: string,
  ) {
    super(message);
    this.name = 'ProtocolRefusal';
  }

  answer(): ProtocolAnswer {
    return { status: this.status, body: { error_code: this.errorCode, message: this.message } };
  }
}

export function ok(message: string, extra: Record<string, unknown> = {}): ProtocolAnswer {
  return { status: 200, body: { error_code: PROTOCOL_CODE.ok, message, ...extra } };
}

export const invalidData = (code: string | undefined, what: string): ProtocolRefusal =>
  new ProtocolRefusal(PROTOCOL_CODE.invalidData, `Dữ liệu không hợp lệ: ${code ? `hồ sơ ${code}: ` : ''}${what}`, 200, code);

const national = (status: unknown): string => String(NATIONAL_STATUS_CODE[status as DossierStatus] ?? status);

/** What the acceptance rules' refusal of one item says in the protocol's terms. */
export function refusalOf(problem: Problem, code: string): ProtocolRefusal {
  const ext = problem.extensions;
  switch (problem.code) {
    case 'illegal-transition':
      return new ProtocolRefusal(PROTOCOL_CODE.illegalTransition, `Không thể chuyển trạng thái hồ sơ ${code} từ ${national(ext.from)} sang ${national(ext.to)}`, 200, code);
    case 'status-change-requires-event':
      return new ProtocolRefusal(
        PROTOCOL_CODE.illegalTransition,
        `Hồ sơ ${code} đang ở trạng thái ${national(ext.currentStatus)}; trạng thái mới được cập nhật bằng CapNhatTienDoHoSoMC`,
        200,
        code,
      );
    case 'forbidden-agency':
    case 'agency-change':
      return new ProtocolRefusal(PROTOCOL_CODE.forbiddenAgency, `Không có quyền với hồ sơ ${code}: mã hồ sơ không thuộc các đơn vị bạn được gửi`, 200, code);
    case 'dossier-not-found':
      return new ProtocolRefusal(PROTOCOL_CODE.notFound, `Hồ sơ không tồn tại: ${code}`, 200, code);
    case 'attachment-not-allowed':
      return invalidData(code, 'đường dẫn tệp đính kèm không thuộc danh sách địa chỉ được phép');
    default:
      return invalidData(code, problem.detail ?? problem.title);
  }
}

// Where the canonical schema finds a problem, the sender is told the wire field it wrote.
const WIRE_NAMES: Record<string, string> = {
  code: 'MaHoSo',
  procedure: 'MaTTHC/TenTTHC',
  'procedure/code': 'MaTTHC',
  'procedure/name': 'TenTTHC',
  'procedure/field/code': 'MaLinhVuc',
  'procedure/field/name': 'TenLinhVuc',
  'agency/code': 'madonvi',
  'applicant/name': 'ChuHoSo',
  'applicant/idNumber': 'SoGiayToChuHoSo',
  'applicant/identifiers': 'DinhDanhCHS',
  'applicant/portalAccountId': 'MaDoiTuong',
  'applicant/phone': 'SoDienThoai',
  'applicant/fax': 'Fax',
  'applicant/email': 'Email',
  summary: 'TrichYeuHoSo',
  processingUnit: 'DonViXuLy',
  receiptNumber: 'SoBienNhan',
  note: 'GhiChu',
  otherInfo: 'ThongTinKhac',
  returnInfo: 'ThongTinTra',
  documents: 'TaiLieuNop',
  results: 'DanhSachGiayToKetQua',
  fees: 'DanhSachLePhi',
  otherPapers: 'DanhSachTepDinhKemKhac',
  supplements: 'DanhSachHoSoBoSung',
  // progress items
  'actor/name': 'NguoiXuLy',
  'actor/title': 'ChucDanh',
  'actor/department': 'PhongBanXuLy',
};

/** `/documents/0/url` → `TaiLieuNop[0].url`: the longest known prefix is named as on the wire. */
export function wirePath(instancePath: string): string {
  const segments = instancePath.split('/').filter(Boolean);
  for (let n = segments.length; n > 0; n--) {
    const name = WIRE_NAMES[segments.slice(0, n).join('/')];
    if (name === undefined) continue;
    const rest = segments.slice(n).map((s) => (/^\d+$/.test(s) ? `[${s}]` : `.${s}`)).join('');
    return name + rest;
  }
  return instancePath || '/';
}
