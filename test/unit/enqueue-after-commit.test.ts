// Committed messages are queued in one way everywhere: due ones in one bulk add where the queue offers
// it, waiting ones with their delay, and a queue that fails is logged, never thrown (the sweeper queues
// the committed rows later).
import { describe, expect, it } from 'vitest';
import { enqueueAfterCommit } from '../../src/delivery/enqueue-after-commit.js';
import type { Enqueuer } from '../../src/delivery/enqueuer.js';

function recordingLog() {
  const lines: { details: Record<string, unknown>; message: string }[] = [];
  return { lines, warn: (details: object, message: string) => void lines.push({ details: details as Record<string, unknown>, message }) };
}

describe('enqueueAfterCommit', () => {
  it('adds the due messages in one bulk call and the waiting ones with their delay', async () => {
    const calls: unknown[] = [];
    const queue: Enqueuer = {
      enqueue: async (id, lane, delayMs) => void calls.push(['one', id, lane, delayMs]),
      enqueueMany: async (ms) => void calls.push(['many', ms.map((m) => m.id)]),
    };
    await enqueueAfterCommit(queue, [{ id: 'a', lane: 'live' }, { id: 'b', lane: 'bulk' }, { id: 'c', lane: 'live', delayMs: 500 }], recordingLog());
    expect(calls).toEqual([['many', ['a', 'b']], ['one', 'c', 'live', 500]]);
  });

  it('adds one by one where the queue has no bulk add', async () => {
    const ids: string[] = [];
    await enqueueAfterCommit({ enqueue: async (id) => void ids.push(id) }, [{ id: 'a', lane: 'live' }, { id: 'b', lane: 'live' }], recordingLog());
    expect(ids).toEqual(['a', 'b']);
  });

  it('logs a failing queue with the message ids and resolves, for every message', async () => {
    const log = recordingLog();
    const down: Enqueuer = {
      enqueue: async () => Promise.reject(new Error('redis down')),
      enqueueMany: async () => Promise.reject(new Error('redis down')),
    };
    await expect(enqueueAfterCommit(down, [{ id: 'a', lane: 'live' }, { id: 'b', lane: 'live' }, { id: 'c', lane: 'bulk', delayMs: 10 }], log)).resolves.toBeUndefined();
    expect(log.lines).toEqual([
      { details: { err: { message: 'redis down' }, messageIds: ['a', 'b'] }, message: 'enqueue failed; the sweeper will retry' },
      { details: { err: { message: 'redis down' }, messageIds: ['c'] }, message: 'enqueue failed; the sweeper will retry' },
    ]);
  });
});
