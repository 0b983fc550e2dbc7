// A partner's Retry-After (RFC 9110 §10.2.3): delay-seconds or an HTTP-date, as milliseconds from now.

/** Undefined when the header is absent or unreadable; a date in the past is 0. */
export function retryAfterMs(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return undefined;
  if (/^\d{1,9}$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) || !/[A-Za-z]/.test(text) ? undefined : Math.max(0, at - now);
}
