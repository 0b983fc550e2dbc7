// Salts and span ids come from a pooled CSPRNG buffer: no bytes are handed out twice, across refills
// too, and a caller's bytes are its own (changing them changes nothing in the next ones).
import { describe, expect, it } from 'vitest';
import { pooledRandomBytes } from '../../src/core/random-pool.js';

describe('pooled random bytes', () => {
  it('hands out distinct values across several refills of the pool', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 3000; i++) seen.add(pooledRandomBytes(32).toString('hex')); // 96 KiB: six pools
    expect(seen.size).toBe(3000);
  });

  it('gives each caller a copy of its own, of the length asked, also beyond the pool size', () => {
    const a = pooledRandomBytes(16);
    const copy = Buffer.from(a);
    a.fill(0);
    const b = pooledRandomBytes(16);
    expect(b.equals(Buffer.alloc(16))).toBe(false);
    expect(copy.length).toBe(16);
    expect(pooledRandomBytes(40_000).length).toBe(40_000);
  });
});
