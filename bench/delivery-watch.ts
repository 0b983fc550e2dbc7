// The national portal simulator, watched from the bench process: when it stores each awaited dossier,
// and when each of its calls arrived (performance.now() of this process, the load generator's clock).
import { performance } from 'node:perf_hooks';
import type { PortalSimulator, SimulatorCall } from '../adapters/national-portal/index.js';


/** Timestamps the moment the simulator stores each awaited dossier; waits for sets of them. */
export class DeliveryWatch {
  private readonly awaited = new Set<string>();
  private readonly waiters = new Set<{ remaining: Set<string>; done: () => void }>();
  readonly seenAt = new Map<string, number>();

  constructor(sim: PortalSimulator) {
    const dossiers = sim.dossiers;
    const set = dossiers.set.bind(dossiers);
    dossiers.set = (code, item) => {
      if (this.awaited.has(code) && !this.seenAt.has(code)) {
        this.seenAt.set(code, performance.now());
        for (const waiter of this.waiters) if (waiter.remaining.delete(code) && waiter.remaining.size === 0) waiter.done();
      }
      return set(code, item);
    };
  }

  /** Starts watching for these codes (before they are offered). */
  await(codes: Iterable<string>): void {
    for (const code of codes) this.awaited.add(code);
  }

  /** Awaited dossiers stored so far, all sets together. */
  get delivered(): number {
    return this.seenAt.size;
  }

  /** Resolves true when every one of `codes` has arrived, false at the timeout. */
  all(codes: Iterable<string>, timeoutMs: number): Promise<boolean> {
    const remaining = new Set([...codes].filter((c) => !this.seenAt.has(c)));
    if (remaining.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = {
        remaining,
        done: () => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve(true);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        resolve(false);
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }
}

export interface StampedCall {
  at: number;
  call: SimulatorCall;
}

/** Every call the simulator records from now on, with the moment it recorded it. */
export function stampCalls(sim: PortalSimulator): StampedCall[] {
  const stamped: StampedCall[] = [];
  const push = sim.calls.push.bind(sim.calls);
  sim.calls.push = (...calls: SimulatorCall[]) => {
    for (const call of calls) stamped.push({ at: performance.now(), call });
    return push(...calls);
  };
  return stamped;
}
