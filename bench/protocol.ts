// Messages between bench/run.ts and the processes it forks (bench/gateway-process.ts, bench/bare-process.ts).

/** The bare process's routes: parse only, and parse plus the Dossier schema. */
export const BARE_PATHS = { parse: '/bare', validate: '/bare-validated' } as const;
/** The naive durable service's one route (bench/naive-process.ts). */
export const NAIVE_PATH = '/naive';

export interface MemorySample {
  /** ms since the epoch */
  t: number;
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}

export interface PhaseFigures {
  wallMs: number;
  cpuUserMs: number;
  cpuSystemMs: number;
  /** 0..1: the share of the phase the gateway's event loop was busy. */
  eventLoopUtilization: number;
  eventLoopDelayMs: { p50: number; p99: number; max: number };
}

export interface GatewayCounts {
  dossiers: number;
  messagesByState: Record<string, number>;
  deliveryAttempts: number;
  maxAttemptsOfOneMessage: number;
  messageLog: Record<string, number>;
  queueDepth: Record<string, Record<string, number>>;
}

export type ParentMessage =
  | { type: 'phase-start'; name: string }
  | { type: 'phase-end'; name: string }
  | { type: 'counts' }
  | { type: 'gc' }
  | { type: 'close' };

export type ChildMessage =
  | { type: 'ready'; url: string; pid: number; engine: string; sample: MemorySample }
  | { type: 'memory'; sample: MemorySample }
  | { type: 'phase-started'; name: string }
  | { type: 'phase-figures'; name: string; figures: PhaseFigures }
  | { type: 'counts'; counts: GatewayCounts }
  | { type: 'gc-done'; sample: MemorySample; collected: boolean }
  | { type: 'closed' }
  | { type: 'error'; message: string };
