// Errors that say the database (or Redis) cannot be reached right now, as opposed to a bad query or a
// bug. A request that meets one is answered 503 (nothing was acknowledged, the client retries); a
// delivery whose outcome meets one keeps its lease and records the outcome once the database is back.

/** Node socket errors on a connection that failed or broke. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * PostgreSQL SQLSTATEs of class 08 (connection exception) and 57P01-57P03 (administrator or crash
 * shutdown, "cannot connect now" while starting or stopping): PostgreSQL documentation, Appendix A.
 */
const SQLSTATE = /^(08...|57P0[123])$/;

/**
 * Messages pg and ioredis use for a connection that ended without a socket error code; ioredis also
 * for a command refused while disconnected (no offline queue), timed out (commandTimeout) or retried
 * too often (maxRetriesPerRequest).
 */
const MESSAGES = /Connection terminated|connection (is )?(closed|ended)|Client has encountered a connection error|timeout exceeded when trying to connect|Connection is closed|Stream isn't writeable|Command timed out|max retries per request/i;

export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (SOCKET_CODES.has(code) || SQLSTATE.test(code))) return true;
  return MESSAGES.test(error.message);
}
