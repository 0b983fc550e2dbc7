// Children of a process that exits without stopping them (a crash, process.exit) must not linger
// holding ports and files: one 'exit' hook signals every child still running, each with the signal
// that stops it best.
import type { ChildProcess } from 'node:child_process';

const running = new Map<ChildProcess, NodeJS.Signals>();
let exitHookInstalled = false;

/** Signals `proc` with `signal` if this process exits while it still runs. */
export function trackForExit(proc: ChildProcess, signal: NodeJS.Signals): void {
  running.set(proc, signal);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const [p, s] of running) p.kill(s);
  });
}

/** The child has exited: nothing to signal any more. */
export function untrackForExit(proc: ChildProcess): void {
  running.delete(proc);
}
