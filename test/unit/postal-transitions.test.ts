import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { SHIPMENT_TRANSITIONS, dispositionOf } from '../../src/postal/transitions.js';

describe('shipment status transitions', () => {
  it('are documented exactly in docs/postal.md', async () => {
    const doc = await readFile(new URL('../../docs/postal.md', import.meta.url), 'utf8');
    for (const [from, to] of Object.entries(SHIPMENT_TRANSITIONS)) {
      const label = from === 'none' ? '(none)' : from;
      expect(doc).toContain(`| ${label} | ${to.length ? to.join(', ') : '—'} |`);
    }
  });

  it('apply a step forward, call a late report stale, and flag one against the shipment', () => {
    expect(dispositionOf(null, 'registered')).toBe('applied');
    expect(dispositionOf('picked_up', 'in_transit')).toBe('applied');
    expect(dispositionOf('delivered', 'picked_up')).toBe('stale');
    expect(dispositionOf('in_transit', 'in_transit')).toBe('stale');
    expect(dispositionOf('delivered', 'failed')).toBe('contradicting');
    expect(dispositionOf('cancelled', 'delivered')).toBe('contradicting');
    expect(dispositionOf('failed', 'in_transit')).toBe('applied');
  });
});
