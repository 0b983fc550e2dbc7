// "Try it" works whatever PORT and DATA_DIR say: the start prints the commands with its real address
// and data folder, and the README shows the very same commands with shell defaults.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { tryItCommands, tryItScript } from '../../src/try-it.js';

describe('Try it', () => {
  it('prints ready-to-paste commands with the real port and data folder', () => {
    const text = tryItCommands('http://0.0.0.0:18080', "/srv/lgsp data/it's");
    expect(text).toContain('GW=http://127.0.0.1:18080\n');
    expect(text).toContain(`'/srv/lgsp data/it'\\''s/dev-credentials.json')\n`);
    expect(text).not.toContain('8080/v1');
    expect(text).not.toContain('./data');
  });

  it('says the commands need curl, which a fresh minimal Debian 12 does not have', () => {
    expect(tryItCommands('http://127.0.0.1:8080', './data')).toContain('apt-get install curl');
  });

  it('is the README\'s block, with PORT and DATA_DIR as shell defaults', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain('```sh\n' + tryItScript('http://127.0.0.1:${PORT:-8080}', '"${DATA_DIR:-./data}/dev-credentials.json"') + '```');
  });
});
