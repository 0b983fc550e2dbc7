// A Markdown table ends at its first line that is not a row: a paragraph inside one cuts it in two
// and shows its last rows as stray text. Every README keeps each table in one piece.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const READMES = ['README.md', 'adapters/national-portal/README.md', 'docker/README.md'];

/** Rows that follow a table's end after only a paragraph (no heading, no blank-separated new table header). */
function strayRows(text: string): string[] {
  const lines = text.split('\n');
  const stray: string[] = [];
  let lastTableEnd = -1;
  for (let i = 0; i < lines.length; i++) {
    const isRow = lines[i]!.startsWith('|');
    if (isRow && !lines[i - 1]?.startsWith('|')) {
      // A table starts here: a real one has a header and a |---| line; a continuation does not.
      const header = /^\|(\s*:?-+:?\s*\|)+\s*$/.test(lines[i + 1] ?? '');
      if (!header && lastTableEnd >= 0) stray.push(`line ${i + 1}: ${lines[i]}`);
    }
    if (!isRow && lines[i - 1]?.startsWith('|')) lastTableEnd = i;
  }
  return stray;
}

describe('README tables', () => {
  for (const file of READMES) {
    it(`${file}: no table is broken by a paragraph inside it`, () => {
      expect(strayRows(readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8'))).toEqual([]);
    });
  }
});
