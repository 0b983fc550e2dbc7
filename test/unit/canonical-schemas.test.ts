import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { canonicalSchemaFiles } from '../../schemas/json-schemas.js';

describe('published JSON Schemas', () => {
  it.each(Object.entries(canonicalSchemaFiles()))('schemas/json/%s is up to date with the TypeBox model (run npm run schemas)', async (file, text) => {
    expect(await readFile(new URL(`../../schemas/json/${file}`, import.meta.url), 'utf8')).toBe(text);
  });
});
