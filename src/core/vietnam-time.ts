// Wall-clock time in Vietnam, as the national systems write it. Vietnam has kept UTC+7 without daylight
// saving since 1975, so a fixed offset is exact for every date the gateway handles; doing the arithmetic
// here keeps results independent of the process TZ and of the ICU data Node was built with.
// Each adapter builds its own wire shapes (field names, separators) on these.

export const VIETNAM_OFFSET_MS = 7 * 60 * 60 * 1000;

/** A wall-clock reading; month 1–12. */
export interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const COMPACT = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/;
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The Vietnam wall-clock reading of an instant (fractions of a second dropped). Throws RangeError for an invalid date or a year outside 0–9999. */
export function vietnamWallClock(at: Date): WallClock {
  const t = new Date(at.getTime() + VIETNAM_OFFSET_MS);
  const year = t.getUTCFullYear();
  // Four-digit wire forms cannot hold other years; NaN is an invalid date.
  if (!(year >= 0 && year <= 9999)) throw new RangeError('not a date-time with a four-digit year in Vietnam');
  return { year, month: t.getUTCMonth() + 1, day: t.getUTCDate(), hour: t.getUTCHours(), minute: t.getUTCMinutes(), second: t.getUTCSeconds() };
}

/** The instant a Vietnam wall-clock reading names, or undefined for an impossible one (31 February, 24:00, :60, years 0–99). */
export function fromVietnamWallClock(w: WallClock): Date | undefined {
  const ms = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  // Date.UTC silently rolls over out-of-range fields and maps years 0..99 to 1900..1999; a round trip catches both.
  const back = new Date(ms);
  const real =
    back.getUTCFullYear() === w.year &&
    back.getUTCMonth() === w.month - 1 &&
    back.getUTCDate() === w.day &&
    back.getUTCHours() === w.hour &&
    back.getUTCMinutes() === w.minute &&
    back.getUTCSeconds() === w.second;
  return real ? new Date(ms - VIETNAM_OFFSET_MS) : undefined;
}

/** `yyyyMMddHHmmss`, wall-clock time in Vietnam. Throws RangeError as vietnamWallClock does. */
export function formatVietnamTime(at: Date): string {
  const w = vietnamWallClock(at);
  return pad(w.year, 4) + pad(w.month) + pad(w.day) + pad(w.hour) + pad(w.minute) + pad(w.second);
}

/** The instant of a `yyyyMMddHHmmss` Vietnam time, or undefined unless it is exactly 14 digits naming a real date-time. */
export function parseVietnamTime(value: string): Date | undefined {
  const m = COMPACT.exec(value);
  if (!m) return undefined;
  const [year = NaN, month = NaN, day = NaN, hour = NaN, minute = NaN, second = NaN] = m.slice(1).map(Number);
  return fromVietnamWallClock({ year, month, day, hour, minute, second });
}

/** RFC 3339 with the offset +07:00, to the second. Throws RangeError as vietnamWallClock does. */
export function vietnamRfc3339(at: Date): string {
  const w = vietnamWallClock(at);
  return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}T${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}+07:00`;
}

/** A Vietnam day `YYYY-MM-DD` as `yyyyMMdd`, or undefined unless it is a real day. */
export function compactVietnamDay(day: string): string | undefined {
  if (!DAY.test(day)) return undefined;
  const compact = day.replace(/-/g, '');
  return parseVietnamTime(`${compact}000000`) ? compact : undefined;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}
