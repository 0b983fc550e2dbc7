// The national public service portal's payment platform: wire shapes and codes. Field names are the
// platform's; where its public material is silent the choice is ours and README.md says so.

export const PROTOCOL_VERSION = '1.0.6';

/** Every request goes to `POST {base}/payment`, told apart by LoaiBanTin. */
export type MessageType = 'INIT' | 'QUERY' | 'GET_BILL' | 'STATEMENT';

/** LoaiPhiLePhi: phí (a fee for a service) or lệ phí (a state charge). */
export const FEE_KIND = { fee: '1', charge: '2' } as const;

export interface FeeLineWire {
  LoaiPhiLePhi: string;
  MaPhiLePhi: string;
  TenPhiLePhi: string;
  /** VND. */
  SoTien: number;
}

/** The receipt block of an INIT: what the electronic receipt (biên lai) will show. Not in MaXacThuc. */
export interface ReceiptInfo {
  MaThuTuc: string;
  TenThuTuc: string;
  MaCoQuan: string;
  TenCoQuan: string;
  MaHoSo: string;
  TaiKhoanThuHuong: string;
  HoTenNguoiNop: string;
  SoGiayToNguoiNop: string;
  DiaChiNguoiNop: string;
  PhiLePhi: FeeLineWire[];
}

export interface InitRequest {
  LoaiBanTin: 'INIT';
  PhienBan: string;
  MaDoiTac: string;
  MaThamChieu: string;
  /** VND. */
  SoTien: number;
  LoaiHinhThanhToan: 'PAY';
  MaKenhThanhToan: string;
  MaThietBi: string;
  NgonNgu: 'vi-VN';
  MaTienTe: 'VND';
  /** '' lets the payer choose a bank on the platform's page. */
  MaNganHang: string;
  ThongTinGiaoDich: string;
  ThoiGianGD: string;
  Ip: string;
  /** Ours, outside MaXacThuc (the public client sends no such field): where the payer's browser goes back. */
  UrlTraVe: string;
  ThongTinBienLai: ReceiptInfo;
  MaXacThuc: string;
}

export interface InitResult {
  MaLoi: string;
  MoTaLoi: string;
  MaDoiTac: string;
  MaThamChieu: string;
  UrlThanhToan?: string;
  MaXacThuc?: string;
}

/** QUERY and GET_BILL: ThoiGianGD is the INIT's for a QUERY, the time of asking for a GET_BILL. */
export interface ReferenceRequest {
  LoaiBanTin: 'QUERY' | 'GET_BILL';
  PhienBan: string;
  MaDoiTac: string;
  MaThamChieu: string;
  ThoiGianGD: string;
  MaXacThuc: string;
}

export interface QueryResult {
  MaLoi: string;
  MoTaLoi: string;
  MaDoiTac: string;
  MaThamChieu: string;
  SoTien?: number;
  TrangThaiGD?: string;
  MaGiaoDich?: string;
  MaNganHang?: string;
  /** When paid: the payment's time. */
  ThoiGianGD?: string;
  MaXacThuc?: string;
}

export interface BillResult {
  MaLoi: string;
  MoTaLoi: string;
  MaThamChieu: string;
  /** Base64 of the PDF. */
  BienLai?: string;
}

export interface StatementRequest {
  LoaiBanTin: 'STATEMENT';
  PhienBan: string;
  MaDoiTac: string;
  /** yyyyMMdd, Vietnam time. */
  Ngay: string;
  ThoiGianGD: string;
  MaXacThuc: string;
}

export interface StatementEntry {
  MaThamChieu: string;
  MaGiaoDich: string;
  SoTien: number;
  TrangThaiGD: string;
  ThoiGianGD: string;
}

export interface StatementResult {
  MaLoi: string;
  MoTaLoi: string;
  Ngay: string;
  DanhSachGiaoDich?: StatementEntry[];
}

/** The platform's confirmation call to the gateway (POST, JSON). */
export interface Notification {
  LoaiBanTin: string;
  /** '00': paid. */
  MaLoi: string;
  MaDoiTac: string;
  MaThamChieu: string;
  SoTien: number;
  MaTienTe: string;
  MaGiaoDich: string;
  MaNganHang: string;
  ThoiGianGD: string;
  ThongTinGiaoDich: string;
  MaXacThuc: string;
}

/**
 * The gateway's answer to a notification, as the public client answers a confirmation
 * (ConfirmDvcPaymentCommandHandler.cs): MaDoiTac, the notification's ThoiGianGD, and its MaXacThuc
 * handed back unchanged. '' for what could not be read.
 */
export interface NotificationAnswer {
  MaLoi: string;
  MoTaLoi: string;
  MaDoiTac: string;
  MaThamChieu: string;
  ThoiGianGD: string;
  MaXacThuc: string;
}

/** TrangThaiGD as the simulator answers it (README.md: ours). */
export const TRANSACTION_STATE = { paid: '00', pending: '01', failed: '02', cancelled: '03' } as const;

/**
 * TrangThaiGD as the public client reads a QUERY answer (HuanVu201/DichVuCong_KhoaLuan_PASETO,
 * CheckConfirmGiaoDichThanhToanHandler.cs): 1 paid, 3 pending (the platform does not know yet), 4 failed.
 */
export const PUBLIC_TRANSACTION_STATE = { paid: '1', pending: '3', failed: '4' } as const;

/** The MaLoi the platform answers to requests; '00' also means paid in a notification. */
export const PLATFORM_CODE = {
  ok: '00',
  notFound: '01',
  duplicate: '02',
  invalidData: '03',
  invalidAmount: '04',
  noReceipt: '05',
  cancelledByPayer: '09',
  invalidAuthCode: '97',
  systemError: '99',
} as const;
