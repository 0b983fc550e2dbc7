// Libraries that print with console.* (BullMQ's warnings, for one) would put plain-text lines into the
// JSON log; in the server process they go through pino instead, as `library console output`.
import { format } from 'node:util';
import type { Logger } from 'pino';

const LEVELS = { log: 'info', info: 'info', debug: 'debug', warn: 'warn', error: 'error' } as const;

export function routeConsoleThroughLogger(logger: Logger): void {
  for (const [method, level] of Object.entries(LEVELS)) {
    console[method as keyof typeof LEVELS] = (...args: unknown[]) => logger[level]({ console: method }, format(...args));
  }
}
