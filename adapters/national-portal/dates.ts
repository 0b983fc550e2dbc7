// The portal reads every date as `yyyyMMddHHmmss` wall-clock time in Asia/Ho_Chi_Minh.
// Vietnam has used UTC+7 without daylight saving since 1975, so a fixed offset is exact for
// every date a dossier can carry; doing the arithmetic ourselves keeps the result independent of
// the process TZ and of the ICU data Node was built with.

const VIETNAM_OFFSET_MS = 7 * 60 * 60 * 1000;

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i;
const PORTAL_DATE = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/;

/** Vietnam wall-clock time of an RFC 3339 instant, as the portal writes it. Fractions of a second are dropped. */
export function toPortalDate(rfc3339: string): string {
  const m = RFC3339.exec(rfc3339);
  if (!m) throw new RangeError('not an RFC 3339 date-time with offset');
  const localMs = wallClockMs(m.slice(1, 7));
  if (localMs === undefined) throw new RangeError('not a real calendar date-time');
  const utcMs = localMs - offsetMs(m[7] ?? 'Z');
  return formatWallClock(utcMs + VIETNAM_OFFSET_MS);
}

/** The instant a portal date names, or undefined unless it is exactly 14 digits naming a real date-time. */
export function parsePortalDate(value: string): Date | undefined {
  const m = PORTAL_DATE.exec(value);
  if (!m) return undefined;
  const localMs = wallClockMs(m.slice(1, 7));
  return localMs === undefined ? undefined : new Date(localMs - VIETNAM_OFFSET_MS);
}

/** The RFC 3339 date-time (offset +07:00) a portal date names, or undefined unless parsePortalDate accepts it. */
export function fromPortalDate(value: string): string | undefined {
  const m = PORTAL_DATE.exec(value);
  if (!m || !parsePortalDate(value)) return undefined;
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}+07:00`;
}

/** Milliseconds of a wall-clock reading (year, month, day, hour, minute, second) treated as UTC; undefined for impossible readings (Feb 30, 24:00, :60). */
function wallClockMs(fields: string[]): number | undefined {
  const [y = NaN, mo = NaN, d = NaN, h = NaN, mi = NaN, s = NaN] = fields.map(Number);
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  // Date.UTC silently rolls over out-of-range fields; a round trip catches that.
  const back = new Date(ms);
  const same =
    back.getUTCFullYear() === y &&
    back.getUTCMonth() === mo - 1 &&
    back.getUTCDate() === d &&
    back.getUTCHours() === h &&
    back.getUTCMinutes() === mi &&
    back.getUTCSeconds() === s;
  // Date.UTC maps years 0..99 to 1900..1999, which the round trip also rejects.
  return same ? ms : undefined;
}

function offsetMs(zone: string): number {
  if (zone.toUpperCase() === 'Z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const hours = Number(zone.slice(1, 3));
  const minutes = Number(zone.slice(4, 6));
  if (hours > 23 || minutes > 59) throw new RangeError('not a valid UTC offset');
  return sign * (hours * 60 + minutes) * 60 * 1000;
}

function formatWallClock(ms: number): string {
  const t = new Date(ms);
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return (
    pad(t.getUTCFullYear(), 4) +
    pad(t.getUTCMonth() + 1) +
    pad(t.getUTCDate()) +
    pad(t.getUTCHours()) +
    pad(t.getUTCMinutes()) +
    pad(t.getUTCSeconds())
  );
}
