// The log redaction is built from each adapter's own list of personal wire fields (issue #16: only the
// adapter spells its wire names): every field listed there is redacted, at the top and nested, and
// src/logging/ (logger.ts, personal-data.ts) spells none of them itself.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PERSONAL_WIRE_FIELDS as PORTAL } from '../../adapters/national-portal/index.js';
import { PERSONAL_WIRE_FIELDS as PAYMENT } from '../../adapters/payment/national/index.js';
import { capturedLog } from '../support/captured-log.js';

const LISTS = { 'national portal': PORTAL, 'national payment': PAYMENT };

describe("log redaction from the adapters' personal wire fields", () => {
  it.each(Object.entries(LISTS))('redacts every %s field, at the top, one and two levels down', async (_adapter, fields) => {
    const { logger, lines } = capturedLog();
    for (const field of fields) {
      const value = `personal-${field}`;
      logger.info({ [field]: value, item: { [field]: value }, body: { receipt: { [field]: value } } }, 'logged by mistake');
    }
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toHaveLength(fields.length);
    for (const field of fields) expect(lines.join('\n')).not.toContain(`personal-${field}`);
  });

  it('leaves the wire names to the adapters', () => {
    const text = ['logger.ts', 'personal-data.ts'].map((file) => readFileSync(new URL(`../../src/logging/${file}`, import.meta.url), 'utf8')).join('\n');
    expect([...PORTAL, ...PAYMENT].filter((field) => text.includes(`'${field}'`))).toEqual([]);
  });
});
