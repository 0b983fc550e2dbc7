// PGlite is PostgreSQL inside one process: a second process opening the same folder (another
// gateway, `lgsp-audit check-log`, `lgsp-migrate-store`) reads pages the first is changing and may
// corrupt them. Whoever opens a PGlite folder holds a lock file beside it, naming its process;
// a lock whose process is gone (a killed gateway) is taken over.
import { readFile, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';

export class StoreInUseError extends Error {
  override name = 'StoreInUseError';
}

interface Holder {
  pid: number;
  host: string;
  since: string;
}

/** Lock files this process holds: a lock naming this process's pid but not in here was left by an
 * earlier process that had the same pid (a container restarted after a crash, pid 1 again). */
const held = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock of the PGlite folder `dir`; resolves to its release. */
export async function lockPgliteFolder(dir: string): Promise<() => Promise<void>> {
  const file = `${dir}.lock`;
  const me: Holder = { pid: process.pid, host: os.hostname(), since: new Date().toISOString() };
  for (let attempt = 0; ; attempt++) {
    try {
      await writeFile(file, JSON.stringify(me) + '\n', { flag: 'wx' });
      held.add(file);
      return async () => {
        held.delete(file);
        await unlink(file).catch(() => {});
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error;
    }
    let holder: Holder | undefined;
    try {
      holder = JSON.parse(await readFile(file, 'utf8')) as Holder;
    } catch {
      holder = undefined; // unreadable: left half-written by a process that died while taking it
    }
    const ours = holder?.pid === process.pid && holder.host === me.host;
    if (holder && (ours ? held.has(file) : holder.host !== me.host || alive(holder.pid))) {
      throw new StoreInUseError(
        `the PGlite store ${dir} is in use by process ${holder.pid} on ${holder.host} since ${holder.since} (a running gateway?); ` +
          `PGlite serves one process at a time: stop that process first (its lock is ${file})`,
      );
    }
    await unlink(file).catch(() => {});
  }
}
