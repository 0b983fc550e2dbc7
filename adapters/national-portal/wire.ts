// The national portal's (Cổng DVCQG) wire shapes, as one-stop systems send them today.
// Every value is a string, codes and flags included ("1", "0"), and a date the dossier does not
// have is the empty string: that is what the public implementations cited in README.md send.

/** `yyyyMMddHHmmss` in Asia/Ho_Chi_Minh, or '' when the dossier has no such date. */
export type PortalDate = string;
/** '1' yes, '0' no. */
export type PortalFlag = '0' | '1';

export type PortalService = 'DongBoHoSoMC' | 'CapNhatTienDoHoSoMC';
export type PortalLookupService = 'TraCuuHoSo';
/** The catalogues one-stop systems read from the portal's sharing endpoint. */
export const PORTAL_CATALOGUE_SERVICES = ['LayDanhMucCoQuan', 'LayDanhMucLinhVuc', 'LayDanhSachTTHC', 'LayThuTuc'] as const;
export type PortalCatalogueService = (typeof PORTAL_CATALOGUE_SERVICES)[number];
/** One catalogue entry as the portal answers it (upper-case names: MADONVI, MALINHVUC, MATTHC…); kept as given. */
export type PortalCatalogueItem = Record<string, unknown>;

/** One identity paper of the applicant (DinhDanhCHS). */
export interface PortalIdentity {
  LoaiDinhDanh: string;
  SoDinhDanh: string;
}

/** A submitted paper (TaiLieuNop). */
export interface PortalSubmittedDocument {
  TepDinhKemId: string;
  TenTepDinhKem: string;
  MaThanhPhanHoSo: string;
  DuongDanTaiTepTin: string;
  DuocSoHoa: PortalFlag;
  DuocTaiSuDung: PortalFlag;
  IsDeleted: PortalFlag;
}

/** A fee line (DanhSachLePhi). */
export interface PortalFee {
  TenPhiLePhi: string;
  MaPhiLePhi: string;
  HinhThucThu: string;
  /** VND, integer, written as a string. */
  Gia: string;
  LoaiPhiLePhi: string;
}

/** A result document (DanhSachGiayToKetQua). */
export interface PortalResultDocument {
  TenGiayTo: string;
  MaThanhPhanHoSo: string;
  GiayToId: string;
  DuongDanTepTinKetQua: string;
  MaGiayToKetQua: string;
}

/** A paper listed without a file (DanhSachTepDinhKemKhac). */
export interface PortalOtherPaper {
  TenGiayTo: string;
  /** Number of copies, digits, or ''. */
  SoLuong: string;
  LoaiGiayTo: string;
}

/** A request for more papers and its answer (DanhSachHoSoBoSung). */
export interface PortalSupplement {
  HoSoBoSungId: string;
  NguoiYeuCauBoSung: string;
  NoiDungBoSung: string;
  NgayBoSung: PortalDate;
  NguoiTiepNhanBoSung: string;
  ThongTinTiepNhan: string;
  NgayTiepNhanBoSung: PortalDate;
  TrangThaiBoSung: string;
  DanhSachGiayToBoSung: PortalSubmittedDocument[];
  DanhSachLePhiBoSung: PortalFee[];
  NgayHenTraTruoc: PortalDate;
  NgayHenTraMoi: PortalDate;
}

/** One item of a DongBoHoSoMC call. */
export interface PortalDossierItem {
  MaHoSo: string;
  MaTTHC: string;
  TenTTHC: string;
  MaLinhVuc: string;
  TenLinhVuc: string;
  /** 1 direct, 2 online, 3 postal. */
  KenhThucHien: '1' | '2' | '3';
  ChuHoSo: string;
  /** 1 citizen, 2 organisation. */
  LoaiDoiTuong: '1' | '2';
  MaDoiTuong: string;
  SoGiayToChuHoSo: string;
  DinhDanhCHS: PortalIdentity[];
  Email: string;
  SoDienThoai: string;
  Fax: string;
  TaiKhoanDuocXacThucVoiVNeID: PortalFlag;
  TrichYeuHoSo: string;
  NgayNopHoSo: PortalDate;
  NgayTiepNhan: PortalDate;
  NgayHenTra: PortalDate;
  NgayTuChoi: PortalDate;
  /** TrangThaiHoSo code 1..10. */
  TrangThaiHoSo: string;
  NgayTra: PortalDate;
  /** How the result is returned: 0 at the counter, 1 by post. */
  HinhThuc: '0' | '1';
  DonViXuLy: string;
  /** 1 submitted on the national portal, 2 through the province's own system. */
  NoiNopHoSo: '1' | '2';
  HoSoCoThanhPhanSoHoa: PortalFlag;
  DuocThanhToanTrucTuyen: PortalFlag;
  TaiLieuNop: PortalSubmittedDocument[];
  DanhSachLePhi: PortalFee[];
  DanhSachGiayToKetQua: PortalResultDocument[];
  SoBienNhan: string;
  GhiChu: string;
  ThongTinKhac: string;
  ThongTinTra: string;
  NgayKetThucXuLy: PortalDate;
  DanhSachTepDinhKemKhac: PortalOtherPaper[];
  DanhSachHoSoBoSung: PortalSupplement[];
}

/** One item of a CapNhatTienDoHoSoMC call. */
export interface PortalProgressItem {
  MaHoSo: string;
  NguoiXuLy: string;
  ChucDanh: string;
  ThoiDiemXuLy: PortalDate;
  PhongBanXuLy: string;
  NoiDungXuLy: string;
  /** TrangThaiHoSo code 1..10 reached by this step. */
  TrangThai: string;
  NgayBatDau: PortalDate;
  NgayKetThucTheoQuyDinh: PortalDate;
}

/** POST {base}/login, with a `dstcode` header. */
export interface PortalLoginRequest {
  username: string;
  password: string;
}

export interface PortalLoginAnswer {
  error_code: number | string;
  session?: string;
  message?: string;
}

/** POST {base}/integration: a flat body. */
export interface PortalIntegrationRequest {
  session: string;
  madonvi: string;
  service: PortalService | PortalLookupService;
  isUpdating?: 'True' | 'False';
  data?: readonly unknown[];
  /** TraCuuHoSo only. */
  MaHoSo?: string;
}

/** POST {base}/sharing: a catalogue look-up; LayThuTuc names the procedure with `maTTHC`. */
export interface PortalSharingRequest {
  session: string;
  madonvi: string;
  service: PortalCatalogueService;
  maTTHC?: string;
}

export interface PortalIntegrationAnswer {
  /** Success is 0, "0" or "00". */
  error_code: number | string;
  message?: string;
  /** TraCuuHoSo: the matching dossiers, empty when the portal has none. */
  result?: unknown[];
}
