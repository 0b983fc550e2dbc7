// One process at a time on a PGlite folder: a second opener is refused with the holder named, and a
// lock left by a process that is gone (killed, or an earlier life of this pid) is taken over.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreInUseError, lockPgliteFolder } from '../../src/store/pglite-lock.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'lgsp-lock-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

const lockOf = (name: string) => path.join(dir, `${name}.lock`);
const holder = (pid: number, host = os.hostname()) => JSON.stringify({ pid, host, since: '2026-01-01T00:00:00.000Z' });

describe('the PGlite folder lock', () => {
  it('refuses a second opener while held, naming the holder, and frees the folder on release', async () => {
    const release = await lockPgliteFolder(path.join(dir, 'a'));
    expect(JSON.parse(await readFile(lockOf('a'), 'utf8')).pid).toBe(process.pid);
    await expect(lockPgliteFolder(path.join(dir, 'a'))).rejects.toThrow(StoreInUseError);
    await expect(lockPgliteFolder(path.join(dir, 'a'))).rejects.toThrow(new RegExp(`in use by process ${process.pid} on `));
    await release();
    await (await lockPgliteFolder(path.join(dir, 'a')))();
  });

  it('refuses a folder another live process holds', async () => {
    await writeFile(lockOf('b'), holder(process.ppid));
    await expect(lockPgliteFolder(path.join(dir, 'b'))).rejects.toThrow(`in use by process ${process.ppid}`);
  });

  it('takes over a lock whose process is gone, or left by an earlier process with this pid', async () => {
    for (const [name, pid] of [['c', 2 ** 22 + 1], ['d', process.pid]] as const) {
      await writeFile(lockOf(name), holder(pid));
      const release = await lockPgliteFolder(path.join(dir, name));
      expect(JSON.parse(await readFile(lockOf(name), 'utf8')).since).not.toBe('2026-01-01T00:00:00.000Z');
      await release();
    }
  });
});
