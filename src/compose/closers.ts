// What a process has opened, closed in reverse order when it stops: what was opened last leans on
// what was opened before it (the workers finish before the database closes).
import type { Logger } from 'pino';

export class Closers {
  private readonly fns: (() => Promise<unknown>)[] = [];

  constructor(private readonly logger: Logger) {}

  add(fn: () => Promise<unknown>): void {
    this.fns.push(fn);
  }

  /** A failing closer is logged and the others still run. */
  async closeAll(): Promise<void> {
    for (const fn of this.fns.splice(0).reverse()) {
      await fn().catch((err) => this.logger.warn({ err: { message: (err as Error).message } }, 'error while closing'));
    }
  }
}
