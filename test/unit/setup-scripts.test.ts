// The README's two commands on a fresh Debian/Ubuntu machine: `npm start` installs redis-server when
// it may (or says exactly what to run), the test command installs what the tests need, and CI runs
// that same command, so the two cannot drift. apt-get, id and sudo are stand-ins on a private PATH.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const read = (file: string) => readFile(path.join(ROOT, file), 'utf8');

/** The shell blocks of the README's "Two commands" section, in order. */
async function twoCommands(): Promise<string[]> {
  const readme = await read('README.md');
  const section = readme.slice(readme.indexOf('## Two commands'), readme.indexOf('## Try it'));
  return [...section.matchAll(/```sh\n([^`]*)```/g)].map((m) => m[1]!.trim());
}

describe('the README\'s two commands', () => {
  it('are `npm ci && npm start` and the test command CI runs, which installs the test dependencies first', async () => {
    const [start, test] = await twoCommands();
    expect(start).toBe('npm ci && npm start');
    expect(test).toBe('npm run test:all');
    const scripts = JSON.parse(await read('package.json')).scripts as Record<string, string>;
    expect(scripts.prestart).toMatch(/^bash scripts\/ensure-redis-server\.sh && /);
    expect(scripts['test:all']).toBe('bash scripts/install-test-deps.sh && npm test');
    const ci = (await read('.ci/run')).split('\n').filter((line) => line && !line.startsWith('#'));
    expect(ci).toContain(test);
    expect(ci.some((line) => /apt-get/.test(line))).toBe(false);
  });
});

describe('npm start on a machine without redis-server', () => {
  let bin: string;
  let log: string;
  beforeEach(async () => {
    bin = await mkdtemp(path.join(os.tmpdir(), 'lgsp-fake-bin-'));
    log = path.join(bin, 'calls.log');
    for (const tool of ['bash', 'dirname', 'readlink', 'env', 'cat']) await symlink(`/usr/bin/${tool}`, path.join(bin, tool));
    const fake = (name: string, body: string) => writeFile(path.join(bin, name), `#!/usr/bin/bash\n${body}\n`, { mode: 0o755 });
    await fake('apt-get', `echo "apt-get $*" >> ${log}`);
    await fake('tee', `cat > /dev/null; echo "tee $*" >> ${log}`);
    await fake('chmod', `echo "chmod $*" >> ${log}`);
    await fake('rm', `echo "rm $*" >> ${log}`);
  });
  afterEach(async () => rm(bin, { recursive: true, force: true }));

  const ensure = (uid: number, env: Record<string, string> = {}) =>
    writeFile(path.join(bin, 'id'), `#!/usr/bin/bash\necho ${uid}\n`, { mode: 0o755 }).then(() =>
      promisify(execFile)('/usr/bin/bash', [path.join(ROOT, 'scripts/ensure-redis-server.sh')], { env: { PATH: bin, ...env } }).then(
        (r) => ({ code: 0, stderr: r.stderr }),
        (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
      ),
    );
  const calls = () => readFile(log, 'utf8').catch(() => '');

  it('installs it with apt-get as root, keeping Debian from starting a system-wide one', async () => {
    const { code } = await ensure(0);
    expect(code).toBe(0);
    const made = await calls();
    expect(made).toContain('apt-get update');
    expect(made).toContain('apt-get install -y --no-install-recommends redis-server');
    if (!(await readFile('/usr/sbin/policy-rc.d').catch(() => undefined))) expect(made).toContain('tee /usr/sbin/policy-rc.d');
  });

  it('says exactly what to run when it may not install', async () => {
    const { code, stderr } = await ensure(1000);
    expect(code).toBe(1);
    expect(stderr).toContain('sudo apt-get update && sudo apt-get install -y --no-install-recommends redis-server');
    expect(stderr).toContain('REDIS_URL');
    expect(await calls()).toBe('');
  });

  it('does nothing when REDIS_URL is set', async () => {
    expect((await ensure(1000, { REDIS_URL: 'redis://redis:6379' })).code).toBe(0);
    expect(await calls()).toBe('');
  });
});
