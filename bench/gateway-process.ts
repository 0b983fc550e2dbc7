// The gateway under test, in a Node process of its own (forked by bench/run.ts), so that the load
// generator and the simulator never share its event loop and its memory figures are its own.
// Configuration comes from the environment exactly as for `npm start` in production; the parent
// talks to it over the IPC channel (bench/child-ipc.ts) and asks it for database/queue counts.
import { loadConfig } from '../src/config/config.js';
import { createLogger } from '../src/logging/logger.js';
import { serving, startGateway, type ServingGateway } from '../src/compose/gateway.js';
import { failed, serveParent } from './child-ipc.js';
import type { GatewayCounts } from './protocol.js';

async function counts(gateway: ServingGateway): Promise<GatewayCounts> {
  const states = await gateway.db.query<{ state: string; n: number }>('SELECT state, count(*)::int AS n FROM messages GROUP BY state');
  const [attempts] = await gateway.db.query<{ total: number; max: number }>(
    'SELECT coalesce(sum(attempts), 0)::int AS total, coalesce(max(attempts), 0)::int AS max FROM messages',
  );
  const [dossiers] = await gateway.db.query<{ n: number }>('SELECT count(*)::int AS n FROM dossiers');
  const log = await gateway.db.query<{ direction: string; outcome: string; n: number }>(
    'SELECT direction, outcome, count(*)::int AS n FROM message_log GROUP BY direction, outcome ORDER BY direction, outcome',
  );
  return {
    dossiers: dossiers?.n ?? 0,
    messagesByState: Object.fromEntries(states.map((r) => [r.state, r.n])),
    deliveryAttempts: attempts?.total ?? 0,
    maxAttemptsOfOneMessage: attempts?.max ?? 0,
    messageLog: Object.fromEntries(log.map((r) => [`${r.direction}:${r.outcome}`, r.n])),
    queueDepth: await gateway.queues.depth(),
  };
}

async function main(): Promise<void> {
  if (!process.send) throw new Error('bench/gateway-process.ts is forked by bench/run.ts (it needs the IPC channel)');
  const config = loadConfig(process.env);
  const logger = createLogger({ level: config.logLevel });
  const gateway = serving(await startGateway(config, logger));
  serveParent({ counts: () => counts(gateway), close: () => gateway.close() }, { url: gateway.url ?? '', engine: gateway.db.engine });
}

main().catch(failed);
