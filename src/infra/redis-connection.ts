// Every Redis connection the gateway opens is made here, so all of them (the workers' and BullMQ's,
// the API's fail-fast one, and the duplicates BullMQ makes of them) follow one setting: a plain
// REDIS_URL, or the master the sentinels name (REDIS_SENTINELS), found again after a failover.
import { Redis, type RedisOptions } from 'ioredis';
import type { RedisSentinelConfig } from '../config/redis-sentinel.js';
import { describeServer } from './wait-reachable.js';

export type RedisTarget = { url: string } | { sentinel: RedisSentinelConfig };

/** Options that choose the server (address, password, sentinels) come from the target; the rest from the caller. */
export type ConnectionOptions = Omit<RedisOptions, 'host' | 'port' | 'path' | 'password' | 'sentinels' | 'name' | 'sentinelPassword'>;

export function connectRedis(target: RedisTarget, options: ConnectionOptions): Redis {
  if ('url' in target) return new Redis(target.url, options);
  const { sentinels, masterName, password, sentinelPassword } = target.sentinel;
  return new Redis({
    ...options,
    sentinels,
    name: masterName,
    ...(password === undefined ? {} : { password }),
    ...(sentinelPassword === undefined ? {} : { sentinelPassword }),
    // No failoverDetector: its subscriptions to the sentinels have no error listener, so one sentinel
    // down would print non-JSON lines to stderr. It is not needed: a sentinel that demotes a master
    // disconnects its clients (CLIENT KILL), and ioredis reconnects only to a server whose role is master.
  });
}

/** Where Redis is, for a message: never a password. */
export function describeRedis(target: RedisTarget): string {
  if ('url' in target) return describeServer(target.url);
  const { sentinels, masterName } = target.sentinel;
  const list = sentinels.map((s) => (s.host.includes(':') ? `[${s.host}]:${s.port}` : `${s.host}:${s.port}`)).join(', ');
  return `master "${masterName}" through the sentinels ${list}`;
}
