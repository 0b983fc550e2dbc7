// The simulator's own MaXacThuc orders, written from the public client and never taken from
// auth-code.ts: the platform checks what that client sends, so a gateway whose order differs from
// it is refused here (97) as it would be there. Source: HuanVu201/DichVuCong_KhoaLuan_PASETO @
// 7d1730ca5ca77436b3818affaedfefb9eb38560c, DichVuCongApi/src/Infrastructure/DvcPayment/DvcPaymentService.cs
// (InitPayment, CheckPaymentStatus, GetBienLaiDvcPayment) and DichVuCongApi/src/Core/Application/
// Business/YeuCauThanhToanApp/Commands/ConfirmDvcPaymentCommandHandler.cs (the confirmation).
import { createHash } from 'node:crypto';

export const PUBLIC_ORDERS = {
  /** InitPayment: no return URL enters (the client sends none). */
  INIT: ['LoaiBanTin', 'PhienBan', 'MaDoiTac', 'MaThamChieu', 'SoTien', 'LoaiHinhThanhToan', 'MaKenhThanhToan', 'MaThietBi', 'NgonNgu', 'MaTienTe', 'MaNganHang', 'ThongTinGiaoDich', 'ThoiGianGD', 'Ip'],
  /** CheckPaymentStatus (LoaiBanTin "QUERY"). */
  QUERY: ['LoaiBanTin', 'PhienBan', 'MaDoiTac', 'MaThamChieu', 'ThoiGianGD'],
  /** GetBienLaiDvcPayment (LoaiBanTin "GET_BILL"). */
  GET_BILL: ['LoaiBanTin', 'PhienBan', 'MaDoiTac', 'MaThamChieu', 'ThoiGianGD'],
  /** What the client checks on the platform's confirmation call. */
  CONFIRMATION: ['LoaiBanTin', 'MaLoi', 'MaDoiTac', 'MaThamChieu', 'SoTien', 'MaTienTe', 'MaGiaoDich', 'MaNganHang', 'ThoiGianGD', 'ThongTinGiaoDich'],
} as const;

export type PublicMessage = keyof typeof PUBLIC_ORDERS;

/** The client interpolates each field into a C# string: null is '', a number its decimal digits. */
export function publicAuthCode(message: PublicMessage, body: Record<string, unknown>, secret: string): string {
  const text = [...PUBLIC_ORDERS[message].map((f) => (body[f] === undefined || body[f] === null ? '' : String(body[f]))), secret].join('|');
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The client compares the lowercase hex strings as they are. */
export function hasPublicAuthCode(message: PublicMessage, body: Record<string, unknown>, secret: string): boolean {
  return typeof body.MaXacThuc === 'string' && body.MaXacThuc === publicAuthCode(message, body, secret);
}
