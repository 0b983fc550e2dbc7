// The gateway's pino output kept in memory, at level info (request lines included), so that a test
// can read every line the gateway wrote and look for what must never be in one.
import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { createLogger } from '../../src/logging/logger.js';

export interface CapturedLog {
  logger: Logger;
  lines: string[];
  /** Lines written since the mark, for checking one request's lines. */
  since(mark: number): string[];
}

export function capturedLog(level = 'info'): CapturedLog {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(line);
      done();
    },
  });
  return { logger: createLogger({ level, destination }), lines, since: (mark) => lines.slice(mark) };
}
