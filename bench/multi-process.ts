// The multi-process phase (PostgreSQL only): the gateway as separate API processes (PROCESS_ROLES=api)
// and worker processes (PROCESS_ROLES=worker) against the same PostgreSQL, Redis and simulator as the
// single-process phases, after that gateway has stopped. The saturation load is spread over the API
// processes; the workers deliver. Figures: accepted/s, delivered/s, CPU per process.
import type { DeliveryWatch } from './delivery-watch.js';
import { warmUp, type EngineOptions } from './engine.js';
import { offerAndFollow, type NamedProcess, type PhaseResult } from './phase.js';
import type { GatewayCounts } from './protocol.js';
import type { Stack } from './stack.js';
import { mib } from './stats.js';

export interface MultiProcessOptions extends Pick<EngineOptions, 'warmup' | 'concurrency' | 'deliveryTimeoutS'> {
  /** Saturation for this long; 0: by count. */
  seconds: number;
  /** Pool of unique bodies (by count: the number offered). */
  count: number;
}

export interface MultiProcessResult {
  layout: { api: number; worker: number };
  processes: { name: string; roles: string; pid: number; peakRssMiB: number }[];
  saturation: PhaseResult;
  /** The whole database afterwards (all phases of the engine), as the first API process counts it. */
  counts: GatewayCounts;
}

export async function measureMultiProcess(stack: Stack, watch: DeliveryWatch, o: MultiProcessOptions, layout = { api: 2, worker: 2 }): Promise<MultiProcessResult> {
  const wanted = [
    ...Array.from({ length: layout.api }, (_, i) => ({ name: `api ${i + 1}`, roles: 'api' })),
    ...Array.from({ length: layout.worker }, (_, i) => ({ name: `worker ${i + 1}`, roles: 'worker' })),
  ];
  // Migrations run under an advisory lock and are already applied: the processes may start together.
  const started = await Promise.all(wanted.map(async (w) => ({ ...w, process: await stack.forkGateway(w.roles, w.name.replace(' ', '-')) })));
  const gateways: NamedProcess[] = started.map((s) => ({ name: s.name, process: s.process }));
  try {
    const apiUrls = started.filter((s) => s.roles === 'api').map((s) => s.process.ready.url);
    await warmUp(stack, watch, apiUrls, o, 'MW');
    const samplesFrom = started.map((s) => s.process.samples.length);
    const saturation = await offerAndFollow(stack, watch, {
      name: 'multi-process',
      prefix: 'M',
      count: o.count,
      connections: o.concurrency,
      durationS: o.seconds || undefined,
      deliveryTimeoutS: o.deliveryTimeoutS,
      gateways,
    });
    stack.log(`multi-process (${layout.api} api + ${layout.worker} worker): ${saturation.load.perSecond} accepted/s, ${saturation.delivery.perSecond} delivered/s`);
    const counts = (await started[0]!.process.ask({ type: 'counts' }, 'counts')).counts;
    const processes = started.map((s, i) => ({
      name: s.name,
      roles: s.roles,
      pid: s.process.ready.pid,
      peakRssMiB: mib(Math.max(s.process.ready.sample.rss, ...s.process.samples.slice(samplesFrom[i]).map((m) => m.rss))),
    }));
    return { layout, processes, saturation, counts };
  } finally {
    await Promise.all(started.map((s) => s.process.stop()));
  }
}
