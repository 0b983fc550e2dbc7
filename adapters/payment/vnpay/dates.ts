// VNPay's times (vnp_CreateDate, vnp_ExpireDate, vnp_PayDate, vnp_TransactionDate) are
// `yyyyMMddHHmmss`, wall-clock time in Vietnam (src/core/vietnam-time.ts).
import { compactVietnamDay, formatVietnamTime, parseVietnamTime } from '../../../src/core/vietnam-time.js';

export function toVnpDate(at: Date): string {
  return formatVietnamTime(at);
}

/** The instant of a VNPay time, or undefined unless it names a real date-time. */
export function fromVnpDate(value: string | undefined): Date | undefined {
  return value === undefined ? undefined : parseVietnamTime(value);
}

/** `YYYY-MM-DD` (a Vietnam day) as `yyyyMMdd`, or undefined unless it is a real day. */
export function toVnpDay(day: string): string | undefined {
  return compactVietnamDay(day);
}
