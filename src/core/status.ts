// The dossier status machine. The table is documented in docs/status-machine.md; keep both in step.
import type { DossierStatus } from '../../schemas/dossier.js';

/** The national portal's TrangThaiHoSo codes (Cổng DVCQG). */
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

/** Allowed next statuses. A status absent from its own list cannot repeat. Terminal statuses map to []. */
export const TRANSITIONS: Record<DossierStatus, readonly DossierStatus[]> = {
  NEW: ['RECEIVED', 'REJECTED', 'SUPPLEMENT_REQUESTED', 'WITHDRAWN'],
  RECEIVED: ['PROCESSING', 'SUPPLEMENT_REQUESTED', 'PAYMENT_REQUESTED', 'SUSPENDED', 'COMPLETED', 'WITHDRAWN'],
  PROCESSING: ['PROCESSING', 'SUPPLEMENT_REQUESTED', 'PAYMENT_REQUESTED', 'SUSPENDED', 'COMPLETED', 'WITHDRAWN'],
  SUPPLEMENT_REQUESTED: ['SUPPLEMENT_REQUESTED', 'RECEIVED', 'PROCESSING', 'REJECTED', 'SUSPENDED', 'WITHDRAWN'],
  PAYMENT_REQUESTED: ['PAYMENT_REQUESTED', 'PROCESSING', 'COMPLETED', 'SUSPENDED', 'WITHDRAWN'],
  SUSPENDED: ['SUSPENDED', 'PROCESSING', 'WITHDRAWN'],
  COMPLETED: ['RETURNED'],
  RETURNED: [],
  REJECTED: [],
  WITHDRAWN: [],
};

export function isTerminal(status: DossierStatus): boolean {
  return TRANSITIONS[status].length === 0;
}

export function canTransition(from: DossierStatus, to: DossierStatus): boolean {
  return TRANSITIONS[from].includes(to);
}
