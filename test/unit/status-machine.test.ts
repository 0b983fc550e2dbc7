import { describe, expect, it } from 'vitest';
import { DOSSIER_STATUSES } from '../../schemas/dossier.js';
import { NATIONAL_STATUS_CODE, STATUS_BY_NATIONAL_CODE } from '../../adapters/national-portal/index.js';
import { TRANSITIONS, canTransition, isTerminal } from '../../src/core/status.js';

describe('dossier status machine', () => {
  it('maps the ten statuses to the national codes 1..10 and back', () => {
    expect(DOSSIER_STATUSES.map((s) => NATIONAL_STATUS_CODE[s])).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (const s of DOSSIER_STATUSES) expect(STATUS_BY_NATIONAL_CODE.get(NATIONAL_STATUS_CODE[s])).toBe(s);
  });

  it('allows nothing after RETURNED, REJECTED or WITHDRAWN', () => {
    for (const terminal of ['RETURNED', 'REJECTED', 'WITHDRAWN'] as const) {
      expect(isTerminal(terminal)).toBe(true);
      for (const to of DOSSIER_STATUSES) expect(canTransition(terminal, to)).toBe(false);
    }
  });

  it('reaches RETURNED only from COMPLETED', () => {
    const from = DOSSIER_STATUSES.filter((s) => canTransition(s, 'RETURNED'));
    expect(from).toEqual(['COMPLETED']);
  });

  it('lets the usual path through: NEW → RECEIVED → PROCESSING → COMPLETED → RETURNED', () => {
    const path = ['NEW', 'RECEIVED', 'PROCESSING', 'COMPLETED', 'RETURNED'] as const;
    for (let i = 1; i < path.length; i++) expect(canTransition(path[i - 1]!, path[i]!)).toBe(true);
  });

  it('matches the table published in docs/status-machine.md', async () => {
    const { readFile } = await import('node:fs/promises');
    const doc = await readFile(new URL('../../docs/status-machine.md', import.meta.url), 'utf8');
    for (const [from, targets] of Object.entries(TRANSITIONS)) {
      const row = doc.split('\n').find((line) => line.startsWith(`| \`${from}\``));
      expect(row, `row for ${from}`).toBeDefined();
      const listed = [...row!.split('|')[3]!.matchAll(/`([A-Z_]+)`/g)].map((m) => m[1]);
      expect(listed.sort(), from).toEqual([...targets].sort());
    }
  });
});
