// EventTime comes in two forms: an epoch number in the NGSP SDK's tracking records (MRhDoc types it
// as a Java Long), and `dd/MM/yyyy HH:mm:ss` wall-clock time in Vietnam in the gateway's push
// (Vietnam time itself: src/core/vietnam-time.ts).
import { fromVietnamWallClock, vietnamRfc3339, vietnamWallClock } from '../../src/core/vietnam-time.js';

const EVENT_TIME = /^(\d{2})\/(\d{2})\/(\d{4}) (\d{2}):(\d{2}):(\d{2})$/;

/** RFC 3339 with +07:00 for an EventTime, or undefined unless it names a real date-time. */
export function eventTimeToRfc3339(value: string): string | undefined {
  const m = EVENT_TIME.exec(value.trim());
  if (!m) return undefined;
  const [day = NaN, month = NaN, year = NaN, hour = NaN, minute = NaN, second = NaN] = m.slice(1).map(Number);
  const at = fromVietnamWallClock({ year, month, day, hour, minute, second });
  return at && vietnamRfc3339(at);
}

/** The EventTime of an instant. */
export function toEventTime(at: Date): string {
  const t = vietnamWallClock(at);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(t.day)}/${pad(t.month)}/${t.year} ${pad(t.hour)}:${pad(t.minute)}:${pad(t.second)}`;
}

/**
 * Below this an epoch number is read as seconds, from it on as milliseconds: 1e11 ms is March 1973,
 * 1e11 s the year 5138, so no real event time is ambiguous. The SDK's Long suggests milliseconds
 * (Java's own epoch unit); seconds are read too, since the source does not say.
 */
const EPOCH_MS_FROM = 1e11;
/** The first instant of the year 10000 in Vietnam: past the year 9999 RFC 3339 has no form. */
const YEAR_10000 = fromVietnamWallClock({ year: 10000, month: 1, day: 1, hour: 0, minute: 0, second: 0 })!.getTime();

/** RFC 3339 with +07:00 for an epoch EventTime, or undefined for a number that is no time. */
export function epochEventTimeToRfc3339(value: number): string | undefined {
  if (!Number.isSafeInteger(value) || value <= 0) return undefined;
  const ms = value >= EPOCH_MS_FROM ? value : value * 1000;
  if (ms >= YEAR_10000) return undefined;
  return vietnamRfc3339(new Date(ms));
}
