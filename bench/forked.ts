// A process bench/run.ts forks (the gateway, the bare route), seen from the parent: its memory
// samples, waiting for its answers, phase marks, and a stop that never hangs the run.
import { fork, type ChildProcess } from 'node:child_process';
import type { ChildMessage, MemorySample, ParentMessage, PhaseFigures } from './protocol.js';

/** Forks a bench/*.ts child with tsx and --expose-gc; its stdout and stderr go to `logFd`. */
export function forkChild(script: string, options: { cwd: string; env: Record<string, string>; logFd: number; execArgv?: string[] }): ForkedProcess {
  const child = fork(script, [], {
    cwd: options.cwd,
    env: options.env,
    execArgv: ['--import', 'tsx', '--expose-gc', ...(options.execArgv ?? [])],
    stdio: ['ignore', options.logFd, options.logFd, 'ipc'],
  });
  return new ForkedProcess(child);
}

export class ForkedProcess {
  readonly samples: MemorySample[] = [];
  private readonly waiters: { match: (m: ChildMessage) => boolean; resolve: (m: ChildMessage) => void }[] = [];
  private exited = false;
  readonly exit: Promise<number | null>;
  errors: string[] = [];
  ready!: Extract<ChildMessage, { type: 'ready' }>;

  constructor(private readonly child: ChildProcess) {
    child.on('message', (raw) => {
      const m = raw as ChildMessage;
      if (m.type === 'memory') this.samples.push(m.sample);
      if (m.type === 'ready') this.samples.push(m.sample);
      if (m.type === 'error') this.errors.push(m.message);
      for (const [i, w] of this.waiters.entries()) {
        if (w.match(m)) {
          this.waiters.splice(i, 1);
          w.resolve(m);
          break;
        }
      }
    });
    this.exit = new Promise((resolve) =>
      child.once('exit', (code) => {
        this.exited = true;
        resolve(code);
      }),
    );
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  async waitFor<T extends ChildMessage['type']>(type: T, timeoutMs = 60_000, name?: string): Promise<Extract<ChildMessage, { type: T }>> {
    let timer: NodeJS.Timeout | undefined;
    const message = new Promise<ChildMessage>((resolve) =>
      this.waiters.push({ match: (m) => m.type === type && (name === undefined || ('name' in m && m.name === name)), resolve }),
    );
    const failed = Promise.race([
      this.exit.then((code) => {
        throw new Error(`the forked process exited (code ${code}) while waiting for "${type}"${this.errors.length ? `:\n${this.errors.join('\n')}` : ''}`);
      }),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no "${type}" from the forked process within ${timeoutMs} ms`)), timeoutMs))),
    ]);
    try {
      return (await Promise.race([message, failed])) as Extract<ChildMessage, { type: T }>;
    } finally {
      clearTimeout(timer);
    }
  }

  send(message: ParentMessage): void {
    if (!this.exited) this.child.send(message);
  }

  async ask<T extends ChildMessage['type']>(message: ParentMessage, answer: T, timeoutMs?: number): Promise<Extract<ChildMessage, { type: T }>> {
    const waiting = this.waitFor(answer, timeoutMs, 'name' in message ? message.name : undefined);
    this.send(message);
    return waiting;
  }

  async phase(name: string, edge: 'start' | 'end'): Promise<PhaseFigures | undefined> {
    if (edge === 'start') {
      await this.ask({ type: 'phase-start', name }, 'phase-started');
      return undefined;
    }
    return (await this.ask({ type: 'phase-end', name }, 'phase-figures')).figures;
  }

  latest(): MemorySample {
    return this.samples[this.samples.length - 1]!;
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const kill = setTimeout(() => this.child.kill('SIGKILL'), 30_000);
    try {
      this.send({ type: 'close' });
      await this.exit;
    } finally {
      clearTimeout(kill);
    }
  }
}

