// Percentiles from every sample (sorted once): at a few thousand requests there is no need for an
// HdrHistogram's approximation, and exact figures are easier to trust.

export interface Percentiles {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export function percentiles(samples: ArrayLike<number>): Percentiles {
  const sorted = Float64Array.from(samples).sort();
  const n = sorted.length;
  if (n === 0) return { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p99: 0, max: 0 };
  // Nearest-rank: the smallest sample with at least p% of the samples at or below it.
  const at = (p: number) => sorted[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))]!;
  let sum = 0;
  for (const v of sorted) sum += v;
  return { count: n, min: sorted[0]!, mean: sum / n, p50: at(50), p90: at(90), p99: at(99), max: sorted[n - 1]! };
}

export function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function roundAll<T extends object>(o: T, digits = 1): T {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v === 'number' && !Number.isInteger(v) ? round(v, digits) : v])) as T;
}

export const MiB = 1024 * 1024;
export const mib = (bytes: number): number => round(bytes / MiB, 1);
