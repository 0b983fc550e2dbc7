// The national portal's (Cổng DVCQG) wire shapes, as one-stop systems send them today.
// Every value is a string, codes and flags included ("1", "0"), and a date the dossier does not
// have is the empty string: that is what the public implementations cited in README.md send.

/** `yyyyMMddHHmmss` in Asia/Ho_Chi_Minh, or '' when the dossier has no such date. */
export type PortalDate = string;
/** '1' yes, '0' no. */
export type PortalFlag = '0' | '1';
/** `IsDeleted` is written as .NET and Java write a boolean: both public clients send "True"/"False" (README.md). */
export type PortalBooleanText = 'True' | 'False';
/** Fields the gateway does not model, passed through as the sender wrote them (README.md, "Pass-through"). */
export type PortalPassThrough = Record<string, unknown>;

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
  IsDeleted: PortalBooleanText;
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
  /** 1 direct, 2 online, 3 postal; left out when the sender did not say (OpenCPS never does). */
  KenhThucHien?: '1' | '2' | '3';
  ChuHoSo: string;
  /** 1 citizen, 2 organisation. */
  LoaiDoiTuong: '1' | '2';
  MaDoiTuong: string;
  /** Left out when the sender has none (OpenCPS never sends it). */
  SoGiayToChuHoSo?: string;
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

// Every field the gateway models, and no other: the compiler checks these against the shapes above.
// from-wire.ts keeps any other field as pass-through; translate.ts never lets pass-through take one of these names.
const fieldsOf = <T>(fields: Record<keyof T, true>): readonly string[] => Object.keys(fields);
export const DOSSIER_FIELDS = fieldsOf<PortalDossierItem>({
  MaHoSo: true, MaTTHC: true, TenTTHC: true, MaLinhVuc: true, TenLinhVuc: true, KenhThucHien: true, ChuHoSo: true,
  LoaiDoiTuong: true, MaDoiTuong: true, SoGiayToChuHoSo: true, DinhDanhCHS: true, Email: true, SoDienThoai: true, Fax: true,
  TaiKhoanDuocXacThucVoiVNeID: true, TrichYeuHoSo: true, NgayNopHoSo: true, NgayTiepNhan: true, NgayHenTra: true,
  NgayTuChoi: true, TrangThaiHoSo: true, NgayTra: true, HinhThuc: true, DonViXuLy: true, NoiNopHoSo: true,
  HoSoCoThanhPhanSoHoa: true, DuocThanhToanTrucTuyen: true, TaiLieuNop: true, DanhSachLePhi: true,
  DanhSachGiayToKetQua: true, SoBienNhan: true, GhiChu: true, ThongTinKhac: true, ThongTinTra: true,
  NgayKetThucXuLy: true, DanhSachTepDinhKemKhac: true, DanhSachHoSoBoSung: true,
});
export const IDENTITY_FIELDS = fieldsOf<PortalIdentity>({ LoaiDinhDanh: true, SoDinhDanh: true });
export const DOCUMENT_FIELDS = fieldsOf<PortalSubmittedDocument>({
  TepDinhKemId: true, TenTepDinhKem: true, MaThanhPhanHoSo: true, DuongDanTaiTepTin: true, DuocSoHoa: true, DuocTaiSuDung: true, IsDeleted: true,
});
export const FEE_FIELDS = fieldsOf<PortalFee>({ TenPhiLePhi: true, MaPhiLePhi: true, HinhThucThu: true, Gia: true, LoaiPhiLePhi: true });
export const RESULT_FIELDS = fieldsOf<PortalResultDocument>({ TenGiayTo: true, MaThanhPhanHoSo: true, GiayToId: true, DuongDanTepTinKetQua: true, MaGiayToKetQua: true });
export const OTHER_PAPER_FIELDS = fieldsOf<PortalOtherPaper>({ TenGiayTo: true, SoLuong: true, LoaiGiayTo: true });
export const SUPPLEMENT_FIELDS = fieldsOf<PortalSupplement>({
  HoSoBoSungId: true, NguoiYeuCauBoSung: true, NoiDungBoSung: true, NgayBoSung: true, NguoiTiepNhanBoSung: true, ThongTinTiepNhan: true,
  NgayTiepNhanBoSung: true, TrangThaiBoSung: true, DanhSachGiayToBoSung: true, DanhSachLePhiBoSung: true, NgayHenTraTruoc: true, NgayHenTraMoi: true,
});
export const PROGRESS_FIELDS = fieldsOf<PortalProgressItem>({
  MaHoSo: true, NguoiXuLy: true, ChucDanh: true, ThoiDiemXuLy: true, PhongBanXuLy: true, NoiDungXuLy: true, TrangThai: true, NgayBatDau: true, NgayKetThucTheoQuyDinh: true,
});

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
