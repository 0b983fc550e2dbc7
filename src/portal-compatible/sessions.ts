// Sessions of the portal-compatible endpoint, bound to the partner that logged in. They live in
// Redis with a TTL, so every API instance knows them; only the token's hash is stored as the key.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { sha256Hex } from '../core/hash.js';

const TOKEN = /^[0-9a-f]{48}$/;

export class PortalSessions {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlSeconds: number,
  ) {}

  async open(partnerId: string): Promise<string> {
    const token = randomBytes(24).toString('hex');
    await this.redis.set(this.#key(token), partnerId, 'EX', this.ttlSeconds);
    return token;
  }

  /** The partner a live session belongs to; undefined for anything else, expired sessions included. */
  async partnerOf(token: unknown): Promise<string | undefined> {
    if (typeof token !== 'string' || !TOKEN.test(token)) return undefined;
    return (await this.redis.get(this.#key(token))) ?? undefined;
  }

  #key(token: string): string {
    return `${this.prefix}:portal-compatible:session:${sha256Hex(token)}`;
  }
}
