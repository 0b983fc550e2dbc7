// The load generator: autocannon, one unique body per request (a `setupRequest` that hands out the
// next body), either as fast as the answers come from C connections (saturation) or at a fixed
// overall rate. Latencies are kept exactly, one sample per answer, from autocannon's own `response`
// timing: its histogram "corrects" for coordinated omission with a 1 ms expected interval at our
// rates, which would fill it with invented samples.
//
// How autocannon paces `overallRate` (lib/httpClient.js): each connection gets rate/C requests per
// second and sends them back to back as answers come, then waits for the next one-second tick. So
// "500/s from 16 connections" is bursts of 16 in flight at the start of each second until the
// second's quota is met, not evenly spaced arrivals; bench/README.md says so next to the figures.
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';

export interface LoadSpec {
  /** The server's base URL (http://host:port). */
  url: string;
  path: string;
  headers: Record<string, string>;
  /** One body per request: the run ends when each has been answered once (or at durationS). */
  bodies: string[];
  /**
   * Run for this long instead (autocannon's duration), ending early only if the bodies run out. A run
   * by count ends on autocannon's whole-second tick, so short runs by count under-report the rate.
   */
  durationS?: number | undefined;
  connections: number;
  /** Overall requests a second; undefined means as fast as answers come. */
  rate?: number | undefined;
  timeoutS?: number;
}

export interface LoadResult {
  startedAt: number;
  endedAt: number;
  wallS: number;
  /** Requests answered, whatever the status. */
  answered: number;
  /** Answers 202. */
  accepted: number;
  /** `status problem-type` → count for every answer other than 202, and `network <error>` → count. */
  refusals: Record<string, number>;
  /** One sample per answer, ms from sending to the whole answer read. */
  latencyMs: Float64Array;
  /** performance.now() when the 202 naming each dossier code arrived. */
  acceptedAt: Map<string, number>;
  /** Answers a second actually achieved: for a fixed-rate run, shows whether the rate was offered. */
  answeredPerSecond: number;
}

export async function runLoad(spec: LoadSpec, progress?: (answered: number, accepted: number) => void): Promise<LoadResult> {
  const { bodies } = spec;
  const latencies = new Float64Array(bodies.length);
  const acceptedAt = new Map<string, number>();
  const refusals: Record<string, number> = {};
  let next = 0;
  let answered = 0;
  let accepted = 0;
  const connections = Math.min(spec.connections, bodies.length);
  const startedAt = performance.now();
  let finish!: (error: unknown) => void;
  const finished = new Promise<void>((resolve, reject) => (finish = (error) => (error ? reject(error as Error) : resolve())));
  const instance = autocannon({
    url: spec.url,
    connections,
    pipelining: 1,
    ...(spec.durationS ? { duration: spec.durationS } : { amount: bodies.length }),
    timeout: spec.timeoutS ?? 30,
    ...(spec.rate ? { overallRate: spec.rate, ignoreCoordinatedOmission: true } : {}),
    requests: [
      {
        method: 'POST',
        path: spec.path,
        headers: { 'content-type': 'application/json', ...spec.headers },
        // autocannon builds each request once, just before sending it: one body each, in order.
        setupRequest: (request) => {
          if (next === bodies.length - 1 && spec.durationS) setImmediate(() => instance.stop());
          return { ...request, body: bodies[next++ % bodies.length] };
        },
        onResponse: (status, body) => {
          if (status === 202) {
            accepted += 1;
            const code = dossierCodeOf(body);
            if (code) acceptedAt.set(code, performance.now());
            return;
          }
          const key = `${status}${problemType(body)}`;
          refusals[key] = (refusals[key] ?? 0) + 1;
        },
      },
    ],
  }, (error) => finish(error));
  instance.on('response', (_client, _status, _bytes, responseTime) => {
    if (answered < latencies.length) latencies[answered] = responseTime;
    answered += 1;
    progress?.(answered, accepted);
  });
  instance.on('reqError', (error: Error) => {
    const key = `network ${(error as { code?: string }).code ?? error.message}`;
    refusals[key] = (refusals[key] ?? 0) + 1;
  });
  await finished;
  const endedAt = performance.now();
  const wallS = (endedAt - startedAt) / 1000;
  return {
    startedAt,
    endedAt,
    wallS,
    answered,
    accepted,
    refusals,
    latencyMs: latencies.subarray(0, Math.min(answered, latencies.length)),
    acceptedAt,
    answeredPerSecond: answered / wallS,
  };
}

function dossierCodeOf(body: string): string | undefined {
  try {
    const code = (JSON.parse(body) as { dossierCode?: unknown }).dossierCode;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}

function problemType(body: string): string {
  try {
    const type = String((JSON.parse(body) as { type?: string }).type ?? '').split('/').pop();
    return type ? ` ${type}` : '';
  } catch {
    return '';
  }
}

/**
 * The same run spread over several servers (e.g. two API processes): the bodies, connections and
 * rate split evenly, one autocannon instance each, all at once; their answers merged.
 */
export async function runLoadSpread(urls: string[], spec: Omit<LoadSpec, 'url'>, progress?: (answered: number, accepted: number) => void): Promise<LoadResult> {
  if (urls.length === 1) return runLoad({ ...spec, url: urls[0]! }, progress);
  const n = urls.length;
  const counts = urls.map(() => ({ answered: 0, accepted: 0 }));
  // Whole numbers for autocannon, the remainder to the first ones, at least one each.
  const share = (total: number, i: number) => Math.max(1, Math.floor(total / n) + (i < total % n ? 1 : 0));
  const runs = await Promise.all(
    urls.map((url, i) =>
      runLoad(
        {
          ...spec,
          url,
          bodies: spec.bodies.filter((_, j) => j % n === i),
          connections: share(spec.connections, i),
          rate: spec.rate ? share(spec.rate, i) : undefined,
        },
        (answered, accepted) => {
          counts[i] = { answered, accepted };
          progress?.(counts.reduce((a, c) => a + c.answered, 0), counts.reduce((a, c) => a + c.accepted, 0));
        },
      ),
    ),
  );
  const startedAt = Math.min(...runs.map((r) => r.startedAt));
  const endedAt = Math.max(...runs.map((r) => r.endedAt));
  const wallS = (endedAt - startedAt) / 1000;
  const refusals: Record<string, number> = {};
  for (const r of runs) for (const [k, v] of Object.entries(r.refusals)) refusals[k] = (refusals[k] ?? 0) + v;
  const latencyMs = new Float64Array(runs.reduce((a, r) => a + r.latencyMs.length, 0));
  let at = 0;
  for (const r of runs) {
    latencyMs.set(r.latencyMs, at);
    at += r.latencyMs.length;
  }
  const answered = runs.reduce((a, r) => a + r.answered, 0);
  return {
    startedAt,
    endedAt,
    wallS,
    answered,
    accepted: runs.reduce((a, r) => a + r.accepted, 0),
    refusals,
    latencyMs,
    acceptedAt: new Map(runs.flatMap((r) => [...r.acceptedAt])),
    answeredPerSecond: answered / wallS,
  };
}
