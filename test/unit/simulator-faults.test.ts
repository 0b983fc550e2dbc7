// The simulators' fault switches, written once: set merges, clear empties, counted faults are used up
// one call at a time, and the control route takes a JSON object or clears.
import { describe, expect, it } from 'vitest';
import { simulatorFaults } from '../../adapters/shared/simulator-faults.js';

interface Faults {
  failNextCalls?: number;
  delayMs?: number;
  unavailable?: boolean;
}

describe('simulator fault switches', () => {
  it('merges what is set and clears everything', () => {
    const faults = simulatorFaults<Faults>();
    faults.set({ unavailable: true });
    faults.set({ failNextCalls: 2 });
    expect(faults.current).toEqual({ unavailable: true, failNextCalls: 2 });
    faults.clear();
    expect(faults.current).toEqual({});
  });

  it('uses a counted fault up one call at a time', () => {
    const faults = simulatorFaults<Faults>();
    expect(faults.take('failNextCalls')).toBe(false);
    faults.set({ failNextCalls: 2 });
    expect([faults.take('failNextCalls'), faults.take('failNextCalls'), faults.take('failNextCalls')]).toEqual([true, true, false]);
    expect(faults.current.failNextCalls).toBe(0);
  });

  it('answers the control route: POST merges a JSON object, DELETE clears, anything else is not its route', () => {
    const faults = simulatorFaults<Faults>();
    expect(faults.control('POST', { delayMs: 5 })).toEqual({ status: 200, body: { faults: { delayMs: 5 } } });
    expect(faults.control('POST', ['delayMs'])).toEqual({ status: 400, body: { error: 'expected a JSON object of faults' } });
    expect(faults.control('POST', undefined)).toEqual({ status: 400, body: { error: 'expected a JSON object of faults' } });
    expect(faults.control('GET', undefined)).toBeUndefined();
    expect(faults.control('DELETE', undefined)).toEqual({ status: 200, body: { faults: {} } });
  });

  it('waits only when the delay is on', async () => {
    const faults = simulatorFaults<Faults>();
    await faults.wait('delayMs');
    faults.set({ delayMs: 1 });
    await faults.wait('delayMs');
    expect(faults.current.delayMs).toBe(1);
  });
});
