// The one table from VNPost status codes to canonical shipment statuses. README.md shows the same
// table; test/unit/postal-translate.test.ts checks that the two are equal.
import type { ShipmentStatus } from '../../schemas/shipment.js';

export interface VnpostStatus {
  code: string;
  /** The operator's wording, as the simulator sends it in StatusMessage. */
  message: string;
  status: ShipmentStatus;
}

export const VNPOST_STATUSES: readonly VnpostStatus[] = [
  { code: '100', message: 'Tiếp nhận đơn hàng', status: 'registered' },
  { code: '101', message: 'Đã cấp số hiệu bưu gửi', status: 'registered' },
  { code: '102', message: 'Đã hủy đơn hàng', status: 'cancelled' },
  { code: '200', message: 'Bưu tá đang đi thu gom', status: 'collecting' },
  { code: '201', message: 'Thu gom thành công', status: 'picked_up' },
  { code: '202', message: 'Thu gom không thành công', status: 'failed' },
  { code: '300', message: 'Nhận tại bưu cục gốc', status: 'in_transit' },
  { code: '301', message: 'Đang vận chuyển', status: 'in_transit' },
  { code: '302', message: 'Đến bưu cục phát', status: 'in_transit' },
  { code: '303', message: 'Đang phát', status: 'in_transit' },
  { code: '400', message: 'Phát thành công', status: 'delivered' },
  { code: '401', message: 'Phát không thành công', status: 'failed' },
  { code: '500', message: 'Đang chuyển hoàn', status: 'failed' },
  { code: '501', message: 'Đã chuyển hoàn cho người gửi', status: 'returned' },
];

const BY_CODE = new Map(VNPOST_STATUSES.map((s) => [s.code, s]));

/** The canonical status of an operator code, or undefined for a code the table does not know. */
export function canonicalStatus(code: string | number): ShipmentStatus | undefined {
  return BY_CODE.get(String(code).trim())?.status;
}

/** The table row of a code; the simulator takes its StatusMessage from here. */
export function vnpostStatus(code: string): VnpostStatus | undefined {
  return BY_CODE.get(code);
}
