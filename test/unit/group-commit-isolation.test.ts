// A group whose transaction fails is tried again request by request: only the request that fails on
// its own is refused, the others of its group are accepted (issue 17: one request's refusal must not
// fail the others, also when the database, not a business rule, refuses it).
import { describe, expect, it, vi } from 'vitest';
import type { AcceptItem, AcceptOutcome } from '../../src/dossiers/accept.js';

const transactions: string[][] = [];

// The one function isolated here: the transaction of a group, which fails whenever the group holds
// the poisoned dossier (as PostgreSQL refuses the whole transaction for one bad value).
vi.mock('../../src/dossiers/accept.js', () => ({
  acceptGroup: async (_ctx: unknown, items: readonly AcceptItem[]): Promise<AcceptOutcome[]> => {
    const codes = items.map((i) => (i.kind === 'dossier' ? i.dossier.code : i.code));
    transactions.push(codes);
    if (codes.includes('POISON')) throw Object.assign(new Error('invalid input value'), { code: '22P02' });
    return codes.map((code) => ({ accepted: { statusCode: 202, body: { code }, enqueue: [] } }));
  },
}));

const { AcceptanceGroups } = await import('../../src/dossiers/group-commit.js');

function item(code: string): AcceptItem {
  return { kind: 'event', code, req: {} as AcceptItem['req'], event: {} as Extract<AcceptItem, { kind: 'event' }>['event'] };
}

describe('a failed group', () => {
  it('refuses only the request that fails alone, and accepts the others of its group in arrival order', async () => {
    const queue = { enqueue: async () => {} };
    const log = { warn: () => {} } as never;
    const groups = new AcceptanceGroups({ grouping: { windowMs: 50, maxSize: 3, maxInFlight: 1 } } as never, queue, log);
    const answers = await Promise.allSettled(['A', 'POISON', 'B'].map((code) => groups.submit(item(code))));

    expect(answers.map((a) => a.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((answers[1] as PromiseRejectedResult).reason).toMatchObject({ code: '22P02' });
    expect(transactions).toEqual([['A', 'POISON', 'B'], ['A'], ['POISON'], ['B']]);
  });
});
