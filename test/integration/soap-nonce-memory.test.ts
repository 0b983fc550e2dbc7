// The SOAP front door's nonce memory is shared through Redis: a UsernameToken Nonce used on one API
// instance is refused on another (two clients on the shared test Redis stand for two instances), and
// a Nonce is only remembered for a call whose Created can be judged.
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import type { SoapCall } from '../../src/soap/envelope.js';
import { checkTimes, NonceMemory } from '../../src/soap/freshness.js';
import { freshRedisPrefix, testRedisUrl } from '../support/services.js';

const RULES = { clockSkewSeconds: 60, freshnessSeconds: 300 };

function call(nonce: string | undefined, created: string | undefined): SoapCall {
  return {
    operation: 'GetDossierState',
    payload: undefined as unknown as Element,
    usernameToken: { username: 'hanoi-one-stop', password: 'key', ...(nonce ? { nonce } : {}), ...(created ? { created } : {}) },
    timestamp: undefined,
    signed: false,
  };
}

describe('the nonce memory of the SOAP front door', () => {
  const clients = [new Redis(testRedisUrl()), new Redis(testRedisUrl())];
  afterAll(async () => Promise.all(clients.map((c) => c.quit())));
  const prefix = freshRedisPrefix();
  const [first, second] = clients.map((redis) => new NonceMemory(redis, prefix, RULES)) as [NonceMemory, NonceMemory];

  it('refuses on a second instance a nonce the first one accepted, for the same partner only, and keeps it for the window', async () => {
    const now = new Date();
    const sent = call('bm9uY2UtMQ==', now.toISOString());
    const created = checkTimes(sent, now, RULES);
    await first.remember('hanoi-one-stop', sent, created);
    await expect(second.remember('hanoi-one-stop', sent, created)).rejects.toMatchObject({ code: 'nonce-replayed' });
    await second.remember('other-one-stop', sent, created);
    const [key] = await clients[0]!.keys(`${prefix}:soap-nonce:hanoi-one-stop:*`);
    const ttl = await clients[0]!.ttl(key!);
    expect(ttl).toBeGreaterThan(RULES.freshnessSeconds);
    expect(ttl).toBeLessThanOrEqual(RULES.freshnessSeconds + 2 * RULES.clockSkewSeconds);
  });

  it('refuses a nonce without a Created, and Created times outside the window', async () => {
    await expect(first.remember('hanoi-one-stop', call('bm9uY2UtMg==', undefined), undefined)).rejects.toMatchObject({ code: 'unauthenticated' });
    const now = new Date('2026-01-01T00:00:00Z');
    expect(() => checkTimes(call(undefined, '2026-01-01T00:02:00Z'), now, RULES)).toThrow(/in the future/);
    expect(() => checkTimes(call(undefined, '2025-12-31T23:53:00Z'), now, RULES)).toThrow(/older than/);
    expect(() => checkTimes(call(undefined, '2026-01-01T00:00:00'), now, RULES)).toThrow(/with a zone/);
    expect(checkTimes(call(undefined, '2026-01-01T07:00:30+07:00'), now, RULES)).toBe(Date.parse('2026-01-01T00:00:30Z'));
  });
});
