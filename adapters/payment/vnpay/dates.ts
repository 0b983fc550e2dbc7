// VNPay's times (vnp_CreateDate, vnp_ExpireDate, vnp_PayDate, vnp_TransactionDate) are
// `yyyyMMddHHmmss`, wall-clock time in Vietnam: GMT+7 without daylight saving, so a fixed offset.

const VIETNAM_OFFSET_MS = 7 * 60 * 60 * 1000;
const VNP_DATE = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/;
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

export function toVnpDate(at: Date): string {
  return new Date(at.getTime() + VIETNAM_OFFSET_MS).toISOString().replace(/\D/g, '').slice(0, 14);
}

/** The instant of a VNPay time, or undefined unless it names a real date-time. */
export function fromVnpDate(value: string | undefined): Date | undefined {
  const m = VNP_DATE.exec(value ?? '');
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  // Date.UTC rolls 31/02 over to March; the round trip refuses such readings.
  return toVnpDate(new Date(ms - VIETNAM_OFFSET_MS)) === value ? new Date(ms - VIETNAM_OFFSET_MS) : undefined;
}

/** `YYYY-MM-DD` (a Vietnam day) as `yyyyMMdd`, or undefined unless it is a real day. */
export function toVnpDay(day: string): string | undefined {
  if (!DAY.test(day)) return undefined;
  const compact = day.replace(/-/g, '');
  return fromVnpDate(`${compact}000000`) ? compact : undefined;
}
