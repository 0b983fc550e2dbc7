// ThoiGianGD is `yyyyMMddHHmmss` and Ngay `yyyyMMdd`, wall-clock time in Vietnam (src/core/vietnam-time.ts).
import { compactVietnamDay, formatVietnamTime, parseVietnamTime } from '../../../src/core/vietnam-time.js';

export function toTransactionTime(at: Date): string {
  return formatVietnamTime(at);
}

/** The instant of a ThoiGianGD, or undefined unless it names a real date-time. */
export function fromTransactionTime(value: string): Date | undefined {
  return parseVietnamTime(value);
}

/** The Ngay of a YYYY-MM-DD day, or undefined for anything else. */
export function toStatementDay(day: string): string | undefined {
  return compactVietnamDay(day);
}
