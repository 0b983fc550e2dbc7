import { describe, expect, it } from 'vitest';
import { FileLinkSigner } from '../../src/files/signed-url.js';

describe('signed attachment links', () => {
  const signer = new FileLinkSigner('s'.repeat(32), 'https://lgsp.example', 3600);
  const id = '3b1f6c2e-9d4a-4e57-8a61-0c2f9e7b5d13';
  const parse = (url: string) => {
    const u = new URL(url);
    return { expires: Number(u.searchParams.get('expires')), signature: u.searchParams.get('signature')! };
  };

  it('accepts its own link until it expires', () => {
    const now = Date.UTC(2026, 0, 1);
    const { expires, signature } = parse(signer.url(id, now));
    expect(signer.verify(id, expires, signature, now + 3599_000)).toBe(true);
    expect(signer.verify(id, expires, signature, now + 3601_000)).toBe(false);
  });

  it('refuses a link moved to another file, a stretched expiry, or another key', () => {
    const { expires, signature } = parse(signer.url(id));
    expect(signer.verify('00000000-0000-4000-8000-000000000000', expires, signature)).toBe(false);
    expect(signer.verify(id, expires + 3600, signature)).toBe(false);
    expect(new FileLinkSigner('t'.repeat(32), 'https://lgsp.example', 3600).verify(id, expires, signature)).toBe(false);
  });
});
