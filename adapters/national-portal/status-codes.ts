// The portal's TrangThaiHoSo codes (Cổng DVCQG), the wire form of the canonical dossier status. The
// status machine that says which status may follow which is the gateway's own (src/core/status.ts).
import type { DossierStatus } from '../../schemas/dossier.js';

export const NATIONAL_STATUS_CODE: Record<DossierStatus, number> = {
  NEW: 1, // mới đăng ký
  RECEIVED: 2, // được tiếp nhận
  REJECTED: 3, // không được tiếp nhận
  PROCESSING: 4, // đang xử lý
  SUPPLEMENT_REQUESTED: 5, // yêu cầu bổ sung
  PAYMENT_REQUESTED: 6, // yêu cầu nghĩa vụ tài chính
  WITHDRAWN: 7, // công dân rút hồ sơ
  SUSPENDED: 8, // dừng xử lý
  COMPLETED: 9, // đã xử lý xong
  RETURNED: 10, // đã trả kết quả
};

export const STATUS_BY_NATIONAL_CODE: ReadonlyMap<number, DossierStatus> = new Map(
  (Object.entries(NATIONAL_STATUS_CODE) as [DossierStatus, number][]).map(([s, c]) => [c, s]),
);
