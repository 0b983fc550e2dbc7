// EventTime comes in two forms: an epoch number in the NGSP SDK's tracking records (MRhDoc types it
// as a Java Long), and `dd/MM/yyyy HH:mm:ss` wall-clock time in Vietnam in the gateway's push. Vietnam
// has kept UTC+7 without daylight saving since 1975, so the offset is fixed and no time zone data is needed.

const VIETNAM_OFFSET_MS = 7 * 60 * 60 * 1000;
const EVENT_TIME = /^(\d{2})\/(\d{2})\/(\d{4}) (\d{2}):(\d{2}):(\d{2})$/;

/** RFC 3339 with +07:00 for an EventTime, or undefined unless it names a real date-time. */
export function eventTimeToRfc3339(value: string): string | undefined {
  const m = EVENT_TIME.exec(value.trim());
  if (!m) return undefined;
  const [, d = '', mo = '', y = '', h = '', mi = '', s = ''] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  const back = new Date(ms);
  // Date.UTC rolls 31/02 over to March; the round trip refuses such readings.
  const real =
    back.getUTCFullYear() === Number(y) &&
    back.getUTCMonth() === Number(mo) - 1 &&
    back.getUTCDate() === Number(d) &&
    back.getUTCHours() === Number(h) &&
    back.getUTCMinutes() === Number(mi) &&
    back.getUTCSeconds() === Number(s);
  return real ? `${y}-${mo}-${d}T${h}:${mi}:${s}+07:00` : undefined;
}

/** The EventTime of an instant. */
export function toEventTime(at: Date): string {
  const t = new Date(at.getTime() + VIETNAM_OFFSET_MS);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(t.getUTCDate())}/${pad(t.getUTCMonth() + 1)}/${t.getUTCFullYear()} ${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}:${pad(t.getUTCSeconds())}`;
}

/**
 * Below this an epoch number is read as seconds, from it on as milliseconds: 1e11 ms is March 1973,
 * 1e11 s the year 5138, so no real event time is ambiguous. The SDK's Long suggests milliseconds
 * (Java's own epoch unit); seconds are read too, since the source does not say.
 */
const EPOCH_MS_FROM = 1e11;
const YEAR_10000_MS = Date.UTC(10000, 0, 1) - VIETNAM_OFFSET_MS;

/** RFC 3339 with +07:00 for an epoch EventTime, or undefined for a number that is no time. */
export function epochEventTimeToRfc3339(value: number): string | undefined {
  if (!Number.isSafeInteger(value) || value <= 0) return undefined;
  const ms = value >= EPOCH_MS_FROM ? value : value * 1000;
  // Past the year 9999 RFC 3339 has no form.
  if (ms >= YEAR_10000_MS) return undefined;
  const t = new Date(ms + VIETNAM_OFFSET_MS);
  return `${t.toISOString().slice(0, 19)}+07:00`;
}
