import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { PROBLEM_TYPES, Problem } from '../../src/core/problems.js';

describe('problem details', () => {
  it('renders RFC 9457 members with the stable code and extensions', () => {
    const body = new Problem('sequence-gap', 'The next event must have sequence 3', { expectedSequence: 3 }).toJSON('/v1/dossiers/X/events');
    expect(body).toEqual({
      type: 'https://lgsp.gateway/problems/sequence-gap',
      title: PROBLEM_TYPES['sequence-gap'].title,
      status: 409,
      code: 'sequence-gap',
      detail: 'The next event must have sequence 3',
      instance: '/v1/dossiers/X/events',
      expectedSequence: 3,
    });
  });

  it('documents every code in docs/errors.md', async () => {
    const doc = await readFile(new URL('../../docs/errors.md', import.meta.url), 'utf8');
    for (const [code, { status }] of Object.entries(PROBLEM_TYPES)) expect(doc).toContain(`| ${status} | \`${code}\` |`);
  });
});

describe('problem codes', () => {
  it('are all kebab-case, and the renamed snake_case codes stay documented as aliases', async () => {
    for (const code of Object.keys(PROBLEM_TYPES)) expect(code).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
    const doc = await readFile(new URL('../../docs/errors.md', import.meta.url), 'utf8');
    for (const [alias, code] of [
      ['signature_missing', 'signature-missing'],
      ['signature_invalid', 'signature-invalid'],
      ['certificate_untrusted', 'certificate-untrusted'],
      ['certificate_revoked', 'certificate-revoked'],
    ]) expect(doc).toContain(`| \`${alias}\` | \`${code}\` |`);
  });
});
