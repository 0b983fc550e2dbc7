// Simulators are witnesses, not mirrors (README, issue #16): a simulator that reads the adapter's own
// translation, wire or date tables agrees with any wrong value in them. Checked on the source text of
// every adapters/**/simulator*.ts: no import of its adapter's translate, wire, dates, client or status tables.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ADAPTERS = fileURLToPath(new URL('../../adapters/', import.meta.url));
/** The adapter files that hold its reading of the protocol: a simulator must read the source on its own. */
const ADAPTER_TABLES = new Set(['translate', 'wire', 'dates', 'client', 'statuses', 'status-codes', 'from-wire', 'tracking']);

const SIMULATORS = (readdirSync(ADAPTERS, { recursive: true, encoding: 'utf8' }) as string[])
  .filter((file) => /(^|\/)simulator[^/]*\.ts$/.test(file))
  .sort();

/** Every module specifier a source imports or re-exports, type-only imports and dynamic imports included. */
function specifiers(text: string): string[] {
  const found = [...text.matchAll(/(?:\bfrom|\bimport)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1]!);
  return [...new Set(found)];
}

/** The imports of `file` (relative to adapters/) that land on a protocol table of the simulator's own adapter. */
function mirroredTables(file: string, text: string): string[] {
  const dir = path.dirname(path.join(ADAPTERS, file));
  return specifiers(text).filter((spec) => {
    if (!spec.startsWith('.')) return false;
    const target = path.resolve(dir, spec);
    const name = path.basename(target).replace(/\.(js|ts)$/, '');
    return path.dirname(target) === dir && ADAPTER_TABLES.has(name);
  });
}

describe('simulators are witnesses, not mirrors', () => {
  it('finds the simulators', () => {
    expect(SIMULATORS).toEqual(
      expect.arrayContaining(['postal-bcci/simulator.ts', 'national-portal/simulator.ts', 'payment/national/simulator.ts', 'payment/vnpay/simulator.ts']),
    );
  });

  it('catches a type-only, a value and a re-export import of an adapter table, and lets shared parts pass', () => {
    const text = [
      "import type { VnpostOrder } from './wire.js';",
      "import { toEventTime } from './dates.js';",
      "export { FLAG_CONFIG } from './translate';",
      "import { simulatorFaults } from '../shared/simulator-faults.js';",
      "import { parseVietnamTime } from '../../src/core/vietnam-time.js';",
      "import { defaultCatalogues } from './sim-catalogues.js';",
    ].join('\n');
    expect(mirroredTables('postal-bcci/simulator.ts', text)).toEqual(['./wire.js', './dates.js', './translate']);
  });

  it.each(SIMULATORS)('adapters/%s imports none of its adapter tables', (file) => {
    expect(mirroredTables(file, readFileSync(path.join(ADAPTERS, file), 'utf8'))).toEqual([]);
  });
});
