// The simulators' fault switches: a test or an operator turns faults on (merged into those already on),
// clears them all at once, and counted faults ("the next N calls") are used up one call at a time.
// Which faults a simulator knows, and what each one does, stay with that simulator.
import { isObject } from '../../src/core/json-object.js';

/** The names of F's faults that are numbers: counts, or milliseconds to wait. */
export type NumericFault<F> = { [K in keyof F]-?: NonNullable<F[K]> extends number ? K : never }[keyof F];

/** What a simulator shows its users (tests, the control route). */
export interface FaultSwitches<F extends object> {
  set(f: F): void;
  clear(): void;
  readonly current: Readonly<F>;
}

export interface SimulatorFaults<F extends object> extends FaultSwitches<F> {
  /** Uses up one of a counted fault; true when one was left. */
  take(name: NumericFault<F>): boolean;
  /** Waits as many milliseconds as the fault says, if it is on. */
  wait(name: NumericFault<F>): Promise<void>;
  /** The answer to the control route's POST (merge this JSON object) or DELETE (clear all); undefined for other methods. */
  control(method: string | undefined, body: unknown): { status: number; body: Record<string, unknown> } | undefined;
}

export function simulatorFaults<F extends object>(): SimulatorFaults<F> {
  let faults = {} as F;
  const count = (name: NumericFault<F>): number => (faults[name] as number | undefined) ?? 0;
  const switches: SimulatorFaults<F> = {
    set(f) {
      faults = { ...faults, ...f };
    },
    clear() {
      faults = {} as F;
    },
    get current() {
      return faults;
    },
    take(name) {
      const left = count(name);
      if (left <= 0) return false;
      faults = { ...faults, [name]: left - 1 };
      return true;
    },
    async wait(name) {
      const ms = count(name);
      if (ms) await new Promise((resolve) => setTimeout(resolve, ms));
    },
    control(method, body) {
      if (method === 'POST') {
        if (!isObject(body)) return { status: 400, body: { error: 'expected a JSON object of faults' } };
        switches.set(body as F);
      } else if (method === 'DELETE') {
        switches.clear();
      } else {
        return undefined;
      }
      return { status: 200, body: { faults } };
    },
  };
  return switches;
}
