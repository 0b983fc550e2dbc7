// The gateway under test, in a Node process of its own (forked by bench/run.ts), so that the load
// generator and the simulator never share its event loop and its memory figures are its own.
// Configuration comes from the environment exactly as for `npm start` in production; the parent
// talks to it over the IPC channel: memory samples every 100 ms, phase marks (CPU, event-loop
// utilisation and delay), database/queue counts, a forced GC, and close.
import { monitorEventLoopDelay, performance, type EventLoopUtilization } from 'node:perf_hooks';
import { loadConfig } from '../src/config/config.js';
import { createLogger } from '../src/logging/logger.js';
import { startGateway, type Gateway } from '../src/runtime.js';
import type { ChildMessage, MemorySample, ParentMessage, PhaseFigures } from './protocol.js';

const SAMPLE_MS = 100;

function send(message: ChildMessage): void {
  process.send?.(message);
}

function memory(): MemorySample {
  const m = process.memoryUsage();
  return { t: Date.now(), rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers };
}

async function main(): Promise<void> {
  if (!process.send) throw new Error('bench/gateway-process.ts is forked by bench/run.ts (it needs the IPC channel)');
  const config = loadConfig(process.env);
  const logger = createLogger({ level: config.logLevel });
  const gateway: Gateway = await startGateway(config, logger);

  const sampler = setInterval(() => send({ type: 'memory', sample: memory() }), SAMPLE_MS);
  const phases = new Map<string, { cpu: NodeJS.CpuUsage; elu: EventLoopUtilization; delay: ReturnType<typeof monitorEventLoopDelay>; t: number }>();

  process.on('message', (raw) => {
    const message = raw as ParentMessage;
    void handle(message).catch((error: Error) => send({ type: 'error', message: error.message }));
  });

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
        const states = await gateway.db.query<{ state: string; n: number }>('SELECT state, count(*)::int AS n FROM messages GROUP BY state');
        const [attempts] = await gateway.db.query<{ total: number; max: number }>(
          'SELECT coalesce(sum(attempts), 0)::int AS total, coalesce(max(attempts), 0)::int AS max FROM messages',
        );
        const [dossiers] = await gateway.db.query<{ n: number }>('SELECT count(*)::int AS n FROM dossiers');
        const log = await gateway.db.query<{ direction: string; outcome: string; n: number }>(
          'SELECT direction, outcome, count(*)::int AS n FROM message_log GROUP BY direction, outcome ORDER BY direction, outcome',
        );
        const depth = await gateway.queues.depth();
        send({
          type: 'counts',
          counts: {
            dossiers: dossiers?.n ?? 0,
            messagesByState: Object.fromEntries(states.map((r) => [r.state, r.n])),
            deliveryAttempts: attempts?.total ?? 0,
            maxAttemptsOfOneMessage: attempts?.max ?? 0,
            messageLog: Object.fromEntries(log.map((r) => [`${r.direction}:${r.outcome}`, r.n])),
            queueDepth: depth,
          },
        });
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
        await gateway.close();
        send({ type: 'closed' });
        process.disconnect();
        return;
      }
    }
  }

  send({ type: 'ready', url: gateway.url ?? '', pid: process.pid, engine: gateway.db.engine, sample: memory() });
}

main().catch((error: Error) => {
  send({ type: 'error', message: error.stack ?? error.message });
  process.exitCode = 1;
  setTimeout(() => process.exit(1), 100);
});
