// CPU time of the processes a phase runs on, from /proc/<pid>/stat: the gateway process(es), the
// redis-server, and the whole private PostgreSQL cluster (the postmaster and every child it forked:
// backends, WAL writer, checkpointer...). A root's figure counts its own time, that of its live
// children, and (cutime, cstime) that of the children it has reaped since, so backends that start or
// end during a phase are counted too. The bench process itself (load generator and simulator) is
// read with process.cpuUsage().
import { execFileSync } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { round } from './stats.js';

/** Clock ticks a second: the unit of /proc/<pid>/stat's times. */
const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

export const LOAD_GENERATOR = 'load generator + simulator';

export interface CpuRoot {
  /** e.g. gateway, api 1, worker 2, postgres, redis */
  name: string;
  pid: number;
}

interface Stat {
  ppid: number;
  /** utime + stime, in ticks */
  own: number;
  /** cutime + cstime: reaped children, in ticks */
  reaped: number;
}

/** Fields after the command name (which may hold spaces and parentheses): field n of proc(5) is rest[n - 3]. */
async function readStat(pid: number): Promise<Stat | undefined> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (!text) return undefined;
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ').map(Number);
  return { ppid: rest[1] ?? 0, own: (rest[11] ?? 0) + (rest[12] ?? 0), reaped: (rest[13] ?? 0) + (rest[14] ?? 0) };
}

export interface CpuMark {
  at: number;
  ticks: Map<string, number>;
  ownCpu: NodeJS.CpuUsage;
}

/** One reading of every root (its time, its reaped children's, and its live children's) and of this process. */
export async function markCpu(roots: CpuRoot[]): Promise<CpuMark> {
  const at = performance.now();
  const ownCpu = process.cpuUsage();
  const pids = (await readdir('/proc')).filter((e) => /^\d+$/.test(e)).map(Number);
  const stats = new Map<number, Stat>();
  await Promise.all(
    pids.map(async (pid) => {
      const s = await readStat(pid);
      if (s) stats.set(pid, s);
    }),
  );
  const ticks = new Map<string, number>();
  for (const root of roots) {
    const own = stats.get(root.pid);
    let total = own ? own.own + own.reaped : 0;
    for (const s of stats.values()) if (s.ppid === root.pid) total += s.own;
    ticks.set(root.name, total);
  }
  return { at, ticks, ownCpu };
}

export interface CpuShare {
  ms: number;
  /** CPU ms per dossier accepted in the phase. */
  msPerAccepted: number;
  /** CPU time ÷ wall time. */
  cores: number;
}

export interface CpuWindow {
  wallMs: number;
  /** Per process (group), then `load generator + simulator` and `total`. */
  processes: Record<string, CpuShare>;
}

/** CPU spent between two marks, per root and in the bench process, per accepted dossier and in cores. */
export function cpuBetween(a: CpuMark, b: CpuMark, accepted: number): CpuWindow {
  const wallMs = b.at - a.at;
  const share = (ms: number): CpuShare => ({
    ms: Math.round(ms),
    msPerAccepted: round(ms / Math.max(1, accepted), 3),
    cores: round(ms / Math.max(1, wallMs), 2),
  });
  const processes: Record<string, CpuShare> = {};
  let total = 0;
  for (const [name, end] of b.ticks) {
    const ms = ((end - (a.ticks.get(name) ?? 0)) * 1000) / CLOCK_TICKS;
    processes[name] = share(ms);
    total += ms;
  }
  const own = (b.ownCpu.user - a.ownCpu.user + b.ownCpu.system - a.ownCpu.system) / 1000;
  processes[LOAD_GENERATOR] = share(own);
  processes.total = share(total + own);
  return { wallMs: Math.round(wallMs), processes };
}
