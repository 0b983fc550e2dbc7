// The Redis settings BullMQ needs to be trusted with the delivery schedule, checked at start.
// A wrong setting is a warning, not a refusal: PostgreSQL stays the record and the sweeper re-queues
// what Redis forgets, but deliveries wait for a sweep instead of running at once (docs/operations-redis.md).
import type { Redis } from 'ioredis';

export interface RedisSettingsLogger {
  warn(o: object, m: string): void;
}

export interface RedisSettingProblem {
  setting: 'maxmemory-policy' | 'appendonly' | 'config';
  found: string | undefined;
  why: string;
}

/** What is wrong with the server's settings; an empty list when nothing is, or a `config` entry when they cannot be read. */
export async function checkRedisSettings(redis: Redis): Promise<RedisSettingProblem[]> {
  let policy: string | undefined;
  let appendOnly: string | undefined;
  try {
    policy = ((await redis.config('GET', 'maxmemory-policy')) as string[])[1];
    appendOnly = ((await redis.config('GET', 'appendonly')) as string[])[1];
  } catch (error) {
    // Managed services (ElastiCache, Memorystore, Azure Cache) rename or forbid CONFIG.
    return [{ setting: 'config', found: (error as Error).message, why: 'CONFIG GET is refused, so maxmemory-policy noeviction and appendonly yes cannot be checked: check them in the service settings' }];
  }
  const problems: RedisSettingProblem[] = [];
  if (policy !== 'noeviction') {
    problems.push({ setting: 'maxmemory-policy', found: policy, why: 'should be noeviction: under memory pressure Redis evicts job keys, and a delivery waits for the next sweep or a queue breaks' });
  }
  if (appendOnly !== 'yes') {
    problems.push({ setting: 'appendonly', found: appendOnly, why: 'should be yes: after a restart Redis has forgotten every queued and delayed job, and deliveries wait for the sweeper to re-queue them from the database' });
  }
  return problems;
}

/**
 * For every BullMQ queue and worker: BullMQ's own check of these settings prints to the console, which
 * would put a non-JSON line in the JSON log; warnAboutRedisSettings logs the same through pino.
 */
export const BULLMQ_CONNECTION_OPTIONS = { skipVersionCheck: true } as const;

/** Logs one warning per problem, naming the setting, what was found and why it matters. */
export async function warnAboutRedisSettings(redis: Redis, logger: RedisSettingsLogger): Promise<RedisSettingProblem[]> {
  const problems = await checkRedisSettings(redis);
  for (const p of problems) logger.warn({ redisSetting: p.setting, found: p.found }, `Redis ${p.setting}: ${p.why}`);
  return problems;
}
