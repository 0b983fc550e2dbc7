// What the gateway's logger costs per line, written to a destination that drops the bytes: the
// request lines (Fastify's former pair, and the single line of src/plugins/request-log.ts), a delivery
// outcome and a logged error. Prints microseconds per line; compare runs on the same machine only.
// Usage: npx tsx bench/log-lines.ts [lines per shape, default 200000]
import { createLogger } from '../src/logging/logger.js';

const N = Number(process.argv[2] ?? 200_000);
const logger = createLogger({ level: 'info', destination: { write: () => true } });
const request = logger.child({ reqId: '3f1c2a9e-7b41-4c1e-9a55-0d6b1e2f3a4b' }).child({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736' });
const fakeRequest = { method: 'POST', url: '/v1/dossiers/H26.39-241203-0001/events', host: '127.0.0.1:8080', ip: '127.0.0.1', socket: { remotePort: 51234 }, headers: {} };
const fakeReply = { statusCode: 202 };
const error = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });

const shapes: Record<string, () => void> = {
  'incoming request (Fastify)': () => request.info({ req: fakeRequest }, 'incoming request'),
  'request completed (Fastify)': () => request.info({ res: fakeReply, responseTime: 1.234 }, 'request completed'),
  'request completed (single line)': () =>
    request.info({ method: 'POST', url: '/v1/dossiers/H26.39-241203-0001/events', statusCode: 202, responseTime: 1.234, partner: 'one-stop-h26' }, 'request completed'),
  'delivery outcome': () =>
    logger.info({ event: 'delivery', messageId: '01JE2ZK7', destination: 'national-portal', lane: 'realtime', attempt: 1, outcome: 'delivered' }, 'delivery delivered'),
  'error': () => request.error({ err: error }, 'request failed'),
};

for (const [name, write] of Object.entries(shapes)) {
  for (let i = 0; i < N / 10; i++) write(); // warm-up
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) write();
  const micros = Number(process.hrtime.bigint() - start) / 1000 / N;
  console.log(`${name.padEnd(34)} ${micros.toFixed(3)} µs/line`);
}
