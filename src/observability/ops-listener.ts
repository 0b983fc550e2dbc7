// A process that serves no API (PROCESS_ROLES=worker) still has metrics worth scraping: delivery
// attempts and latency are counted where deliveries happen. With METRICS_PORT set it listens there
// for /metrics (admin role, as on the API) and /healthz, /readyz, and nothing else.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { RefusalLog } from '../audit/refusal-log.js';
import type { PartnerRegistry } from '../partners/registry.js';
import auth from '../plugins/auth.js';
import metricsPlugin from '../plugins/metrics.js';
import problems from '../plugins/problems.js';
import healthRoutes from '../routes/health.js';
import type { Db } from '../store/db.js';
import type { GatewayMetrics } from './metrics.js';

export interface OpsListenerDeps {
  db: Db;
  registry: PartnerRegistry;
  metrics: GatewayMetrics;
  pingRedis: () => Promise<unknown>;
  logger: Logger;
  /** Refusals recorded one by one each minute, per source and code (REFUSALS_LOGGED_PER_MINUTE). */
  refusalsLoggedPerMinute: number;
}

export async function startOpsListener(deps: OpsListenerDeps, host: string, port: number): Promise<{ app: FastifyInstance; url: string }> {
  // Scrapes and probes are not logged; Fastify's top-level disableRequestLogging is deprecated (FSTDEP023).
  const app = Fastify({ loggerInstance: deps.logger as FastifyBaseLogger, logController: new LogController({ disableRequestLogging: true }) });
  // Refused scrapes are sampled into the message log as on the API.
  const refusals = new RefusalLog(deps.db, deps.metrics, deps.refusalsLoggedPerMinute, deps.logger);
  refusals.start();
  app.addHook('onClose', () => refusals.stop());
  await app.register(problems, { refusals });
  await app.register(auth, { registry: deps.registry });
  await app.register(metricsPlugin, { metrics: deps.metrics, registry: deps.registry });
  await app.register(healthRoutes, { db: deps.db, pingRedis: deps.pingRedis });
  const url = await app.listen({ host, port });
  return { app, url };
}
