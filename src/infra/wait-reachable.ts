// A start waits a bounded time for PostgreSQL and Redis, then gives up naming the server (without its
// password) and the last error, so an orchestrator sees a failed start instead of a process that waits
// for ever or says only "connect ECONNREFUSED".
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import type { Db } from '../store/db.js';

/** The server's address for a message: scheme, host, port and database, never the user or the password. */
export function describeServer(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return '(an unreadable URL)';
  }
}

function reason(error: unknown): string {
  const e = error as { code?: unknown; message?: unknown };
  return typeof e?.code === 'string' && !String(e.message).includes(e.code) ? `${e.code}: ${String(e.message)}` : String(e?.message ?? error);
}

/** `where` is already described (describeServer): it goes into the message as it is. */
function givenUp(what: string, where: string, timeoutMs: number, last: unknown): Error {
  return new Error(
    `${what} at ${where} is unreachable after ${Math.round(timeoutMs / 1000)} s (${reason(last)}); ` +
      'check the address and that the server is running (STARTUP_CONNECT_TIMEOUT_SECONDS sets how long to wait)',
  );
}

export async function waitForDatabase(db: Db, url: string, timeoutMs: number, retryMs = 500): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      // A host that drops packets leaves a connect pending for minutes: the attempt gets the time left.
      const left = Math.max(1, deadline - Date.now());
      const stop = new AbortController();
      const noAnswer = sleep(left, undefined, { signal: stop.signal }).then(() => Promise.reject(new Error(`no answer within ${left} ms`)));
      noAnswer.catch(() => {});
      await Promise.race([db.query('SELECT 1'), noAnswer]).finally(() => stop.abort());
      return;
    } catch (error) {
      if (Date.now() + retryMs > deadline) throw givenUp('PostgreSQL', describeServer(url), timeoutMs, error);
      await sleep(retryMs);
    }
  }
}

/**
 * Resolves once the client is ready; ioredis keeps reconnecting meanwhile. On giving up the client is
 * disconnected. `where` names the server without secrets (describeRedis).
 */
export async function waitForRedis(redis: Redis, where: string, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return;
  let last: unknown = new Error('no answer');
  const onError = (error: Error) => (last = error);
  redis.on('error', onError);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(givenUp('Redis', where, timeoutMs, last)), timeoutMs);
      redis.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  } catch (error) {
    redis.disconnect();
    throw error;
  } finally {
    redis.off('error', onError);
  }
}
