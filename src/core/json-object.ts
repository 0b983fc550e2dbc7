// Reading untyped JSON from partners and their simulators: one object check, one lenient parse, and
// the name of a network error, shared by every adapter's client and simulator.

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The JSON object in `text`, or undefined for anything else (not JSON, an array, a scalar). */
export function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** A network error by its code (ECONNREFUSED, UND_ERR_SOCKET), never by its message, which may quote the request. */
export function errorName(err: unknown): string {
  if (isObject(err) && typeof err.code === 'string') return err.code;
  return err instanceof Error ? err.name : 'unknown';
}
