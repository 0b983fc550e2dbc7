// The portal reads every date as `yyyyMMddHHmmss` wall-clock time in Asia/Ho_Chi_Minh
// (src/core/vietnam-time.ts); the gateway's canonical dates are RFC 3339 with any offset.
import { formatVietnamTime, fromVietnamWallClock, parseVietnamTime, VIETNAM_OFFSET_MS, vietnamRfc3339 } from '../../src/core/vietnam-time.js';

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i;

/** Vietnam wall-clock time of an RFC 3339 instant, as the portal writes it. Fractions of a second are dropped. */
export function toPortalDate(rfc3339: string): string {
  const m = RFC3339.exec(rfc3339);
  if (!m) throw new RangeError('not an RFC 3339 date-time with offset');
  const [year = NaN, month = NaN, day = NaN, hour = NaN, minute = NaN, second = NaN] = m.slice(1, 7).map(Number);
  const asIfVietnam = fromVietnamWallClock({ year, month, day, hour, minute, second });
  if (!asIfVietnam) throw new RangeError('not a real calendar date-time');
  // The reading was taken at offset m[7], not in Vietnam: shift by the difference of the two offsets.
  return formatVietnamTime(new Date(asIfVietnam.getTime() + VIETNAM_OFFSET_MS - offsetMs(m[7] ?? 'Z')));
}

/** The instant a portal date names, or undefined unless it is exactly 14 digits naming a real date-time. */
export function parsePortalDate(value: string): Date | undefined {
  return parseVietnamTime(value);
}

/** The RFC 3339 date-time (offset +07:00) a portal date names, or undefined unless parsePortalDate accepts it. */
export function fromPortalDate(value: string): string | undefined {
  const at = parsePortalDate(value);
  return at && vietnamRfc3339(at);
}

function offsetMs(zone: string): number {
  if (zone.toUpperCase() === 'Z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const hours = Number(zone.slice(1, 3));
  const minutes = Number(zone.slice(4, 6));
  if (hours > 23 || minutes > 59) throw new RangeError('not a valid UTC offset');
  return sign * (hours * 60 + minutes) * 60 * 1000;
}
