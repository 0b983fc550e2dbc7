import type { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KeyRing } from '../../src/crypto/key-ring.js';
import type { Signer } from '../../src/crypto/signer.js';

const signer = (keyId: string): Signer => ({ keyId, certificateChain: [] as X509Certificate[], sign: () => Buffer.from(keyId) });

describe('key ring', () => {
  it('signs with the first key and finds every key by id during a rotation', () => {
    const ring = new KeyRing([signer('new'), signer('old')]);
    expect(ring.active.keyId).toBe('new');
    expect(ring.byKeyId('old')?.keyId).toBe('old');
    expect(ring.byKeyId('unknown')).toBeUndefined();
    expect(ring.all().map((s) => s.keyId)).toEqual(['new', 'old']);
  });

  it('refuses an empty ring and a key id given twice', () => {
    expect(() => new KeyRing([])).toThrow(/at least one/);
    expect(() => new KeyRing([signer('a'), signer('b'), signer('a')])).toThrow(/key a is in the key ring twice/);
  });
});
