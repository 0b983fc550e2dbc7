// Messages committed together get one queue job per call their batch needs, not one each; messages
// outside a batch (webhooks, edXML, held follow-ups) keep a job of their own.
import { describe, expect, it } from 'vitest';
import { jobsPerCall } from '../../src/delivery/jobs-per-call.js';
import type { CommittedMessage } from '../../src/delivery/enqueue-after-commit.js';

const m = (id: string, batch?: string, lane: 'live' | 'bulk' = 'live', delayMs?: number): CommittedMessage => ({ id, lane, ...(batch ? { batch } : {}), ...(delayMs ? { delayMs } : {}) });

describe('one job per call', () => {
  it('keeps the first of each run of callSize messages of a batch', () => {
    const batch = Array.from({ length: 120 }, (_, i) => m(`a${i}`, 'A'));
    expect(jobsPerCall(batch, 50).map((j) => j.id)).toEqual(['a0', 'a50', 'a100']);
  });

  it('counts each lane and batch key apart, and keeps every message without a batch or with a delay', () => {
    const mixed = [m('a0', 'A'), m('b0', 'B'), m('a1', 'A'), m('bulk0', 'A', 'bulk'), m('head'), m('b1', 'B'), m('held', 'A', 'live', 500)];
    expect(jobsPerCall(mixed, 2).map((j) => j.id)).toEqual(['a0', 'b0', 'bulk0', 'head', 'held']);
  });

  it('keeps every message when a call carries one', () => {
    const batch = [m('a0', 'A'), m('a1', 'A'), m('a2', 'A')];
    expect(jobsPerCall(batch, 1)).toEqual(batch);
  });
});
