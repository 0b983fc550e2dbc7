// ThoiGianGD is `yyyyMMddHHmmss` and Ngay `yyyyMMdd`, wall-clock time in Vietnam. Vietnam has kept
// UTC+7 without daylight saving since 1975, so the offset is fixed and no time zone data is needed.

const VIETNAM_OFFSET_MS = 7 * 60 * 60 * 1000;
const TIME = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/;

export function toTransactionTime(at: Date): string {
  return new Date(at.getTime() + VIETNAM_OFFSET_MS).toISOString().replace(/\D/g, '').slice(0, 14);
}

/** The instant of a ThoiGianGD, or undefined unless it names a real date-time. */
export function fromTransactionTime(value: string): Date | undefined {
  const m = TIME.exec(value);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const at = new Date(Date.UTC(y, mo - 1, d, h, mi, s) - VIETNAM_OFFSET_MS);
  // Date.UTC rolls 31/02 over to March; the round trip refuses such readings.
  return toTransactionTime(at) === value ? at : undefined;
}

/** The Ngay of a YYYY-MM-DD day, or undefined for anything else. */
export function toStatementDay(day: string): string | undefined {
  return /^\d{4}-\d{2}-\d{2}$/.test(day) && fromTransactionTime(`${day.replace(/-/g, '')}000000`) ? day.replace(/-/g, '') : undefined;
}
