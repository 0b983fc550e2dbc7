// The child side of the IPC protocol (bench/protocol.ts), shared by the processes bench/run.ts forks
// (the gateway, the bare route): memory samples every 100 ms, phase marks (CPU, event-loop
// utilisation and delay), a forced GC, counts where the child has any, and close.
import { monitorEventLoopDelay, performance, type EventLoopUtilization } from 'node:perf_hooks';
import type { ChildMessage, GatewayCounts, MemorySample, ParentMessage, PhaseFigures } from './protocol.js';

const SAMPLE_MS = 100;

export function send(message: ChildMessage): void {
  process.send?.(message);
}

export function memory(): MemorySample {
  const m = process.memoryUsage();
  return { t: Date.now(), rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers };
}

export interface ChildHandlers {
  counts?: () => Promise<GatewayCounts>;
  close: () => Promise<void>;
}

/** Answers the parent's messages, then tells it the child is ready at `url`. */
export function serveParent(handlers: ChildHandlers, ready: { url: string; engine: string }): void {
  if (!process.send) throw new Error('this process is forked by bench/run.ts (it needs the IPC channel)');
  const sampler = setInterval(() => send({ type: 'memory', sample: memory() }), SAMPLE_MS);
  const phases = new Map<string, { cpu: NodeJS.CpuUsage; elu: EventLoopUtilization; delay: ReturnType<typeof monitorEventLoopDelay>; t: number }>();

  async function handle(message: ParentMessage): Promise<void> {
    switch (message.type) {
      case 'phase-start': {
        const delay = monitorEventLoopDelay({ resolution: 10 });
        delay.enable();
        phases.set(message.name, { cpu: process.cpuUsage(), elu: performance.eventLoopUtilization(), delay, t: performance.now() });
        send({ type: 'phase-started', name: message.name });
        return;
      }
      case 'phase-end': {
        const start = phases.get(message.name);
        if (!start) throw new Error(`no phase ${message.name}`);
        start.delay.disable();
        const cpu = process.cpuUsage(start.cpu);
        const elu = performance.eventLoopUtilization(start.elu);
        const ms = (ns: number) => (Number.isFinite(ns) ? ns / 1e6 : 0);
        const figures: PhaseFigures = {
          wallMs: performance.now() - start.t,
          cpuUserMs: cpu.user / 1000,
          cpuSystemMs: cpu.system / 1000,
          eventLoopUtilization: elu.utilization,
          eventLoopDelayMs: { p50: ms(start.delay.percentile(50)), p99: ms(start.delay.percentile(99)), max: ms(start.delay.max) },
        };
        phases.delete(message.name);
        send({ type: 'phase-figures', name: message.name, figures });
        return;
      }
      case 'counts': {
        if (!handlers.counts) throw new Error('this process keeps no counts');
        send({ type: 'counts', counts: await handlers.counts() });
        return;
      }
      case 'gc': {
        const gc = (globalThis as { gc?: () => void }).gc;
        if (gc) {
          gc();
          gc();
        }
        send({ type: 'gc-done', sample: memory(), collected: Boolean(gc) });
        return;
      }
      case 'close': {
        clearInterval(sampler);
        await handlers.close();
        send({ type: 'closed' });
        process.disconnect();
        return;
      }
    }
  }

  process.on('message', (raw) => {
    void handle(raw as ParentMessage).catch((error: Error) => send({ type: 'error', message: error.message }));
  });
  send({ type: 'ready', url: ready.url, pid: process.pid, engine: ready.engine, sample: memory() });
}

/** The last word of a child that failed to start. */
export function failed(error: Error): void {
  send({ type: 'error', message: error.stack ?? error.message });
  process.exitCode = 1;
  setTimeout(() => process.exit(1), 100);
}
