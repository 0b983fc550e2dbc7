// A process that serves no API (PROCESS_ROLES=worker) still has metrics worth scraping: delivery
// attempts and latency are counted where deliveries happen. With METRICS_PORT set it listens there
// for /metrics (admin role, as on the API) and /healthz, /readyz, and nothing else.
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
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
}

export async function startOpsListener(deps: OpsListenerDeps, host: string, port: number): Promise<{ app: FastifyInstance; url: string }> {
  const app = Fastify({ loggerInstance: deps.logger as FastifyBaseLogger, disableRequestLogging: true });
  await app.register(problems, { db: deps.db });
  await app.register(auth, { registry: deps.registry });
  await app.register(metricsPlugin, { metrics: deps.metrics, registry: deps.registry });
  await app.register(healthRoutes, { db: deps.db, pingRedis: deps.pingRedis });
  const url = await app.listen({ host, port });
  return { app, url };
}
