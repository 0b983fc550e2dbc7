// Routes parse, authorise and call their wing or a store module; the SQL lives next to its concern
// (issue #16). Checked on the source text: the platform routes in src/routes/ and every wing's routes.ts.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));
const PLATFORM_ROUTES = ['admin.ts', 'audit.ts', 'console.ts', 'files.ts', 'health.ts'].map((name) => `routes/${name}`);
const WING_ROUTES = readdirSync(SRC, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(`${SRC}${entry.name}/routes.ts`))
  .map((entry) => `${entry.name}/routes.ts`);

/** A database call, or a statement spelled in a string. */
const SQL = [/\.query\s*[<(]/, /\.transaction\s*\(/, /\b(SELECT|INSERT INTO|DELETE FROM|UPDATE \w+ SET)\b/];

describe('routes run no SQL', () => {
  it('knows the wings with routes', () => {
    expect(WING_ROUTES).toEqual(expect.arrayContaining(['portal-compatible/routes.ts', 'soap/routes.ts']));
  });

  it.each([...PLATFORM_ROUTES, ...WING_ROUTES])('src/%s', (file) => {
    const text = readFileSync(`${SRC}${file}`, 'utf8');
    const found = text.split('\n').filter((line) => SQL.some((pattern) => pattern.test(line)));
    expect(found).toEqual([]);
  });
});
