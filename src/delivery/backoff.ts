// Exponential backoff with "equal jitter": half the delay is fixed, half random, so retries after an
// outage spread out instead of arriving at the portal in one wave.
export function backoffDelayMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * The delay before the next attempt: the backoff, or longer when the partner asked for it with
 * Retry-After, but never beyond the backoff's ceiling (a partner cannot park a message for a day).
 */
export function retryDelayMs(attempt: number, baseMs: number, maxMs: number, partnerAskedMs?: number, random: () => number = Math.random): number {
  const backoff = backoffDelayMs(attempt, baseMs, maxMs, random);
  return partnerAskedMs === undefined ? backoff : Math.min(maxMs, Math.max(backoff, partnerAskedMs));
}
