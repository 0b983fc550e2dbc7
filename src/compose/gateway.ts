// Puts the gateway together from a Config: the simulators this process plays, then the core (database,
// Redis, partners, signer), the wings, and the api and worker roles. server.ts calls it for `npm start`;
// tests call it with their own Config and real servers.
import { mkdir } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { PortalSimulator } from '../../adapters/national-portal/index.js';
import type { Config } from '../config/config.js';
import { loadSigningMaterial } from '../crypto/signing-setup.js';
import type { DeliveryProcessor } from '../delivery/processor.js';
import { startOpsListener } from '../observability/ops-listener.js';
import type { PartnerRegistry } from '../partners/registry.js';
import type { DeliveryQueues } from '../queue/delivery-queue.js';
import type { Sweeper } from '../queue/sweeper.js';
import type { Db } from '../store/db.js';
import { startApi } from './api.js';
import { Closers } from './closers.js';
import { buildCore, type Core } from './core.js';
import { startSimulators } from './simulators.js';
import { startWorker } from './worker.js';
import { setUpWings } from './wings.js';

interface Running {
  config: Config;
  simulator: PortalSimulator | undefined;
  /** Stops accepting, lets in-flight requests and deliveries finish, then closes every connection. */
  close(): Promise<void>;
}

/** A process with the api or worker role (it may run the simulators too). */
export interface ServingGateway extends Running {
  kind: 'gateway';
  db: Db;
  registry: PartnerRegistry;
  queues: DeliveryQueues;
  processor: DeliveryProcessor;
  sweeper: Sweeper | undefined;
  app: FastifyInstance | undefined;
  /** The address the API listens on, when this process serves it. */
  url: string | undefined;
  /** The mTLS listener's address, when MTLS_PORT is set. */
  mtlsUrl: string | undefined;
  /** A worker-only process's /metrics and health listener, when METRICS_PORT is set. */
  metricsUrl: string | undefined;
}

/** A process with only the simulators role: no database, no queues, no API of the gateway's own. */
export interface SimulatorsOnly extends Running {
  kind: 'simulators';
}

export type Gateway = ServingGateway | SimulatorsOnly;

export async function startGateway(config: Config, logger: Logger): Promise<Gateway> {
  const closers = new Closers(logger);
  try {
    return await assemble(config, logger, closers);
  } catch (error) {
    await closers.closeAll();
    throw error;
  }
}

/** For callers that started api or worker roles and need their parts (tests, the benchmark). */
export function serving(gateway: Gateway): ServingGateway {
  if (gateway.kind !== 'gateway') throw new Error('This process runs only the simulators role');
  return gateway;
}

async function assemble(config: Config, logger: Logger, closers: Closers): Promise<Gateway> {
  await mkdir(config.dataDir, { recursive: true });
  const close = () => closers.closeAll();
  const gatewayRoles = config.roles.has('api') || config.roles.has('worker');
  // In development the simulator checks the gateway's signatures, so it needs the signing material too.
  const signing = gatewayRoles || config.mode === 'development' ? await loadSigningMaterial(config, logger) : undefined;
  const simulator = await startSimulators(config, logger, signing, closers);
  if (!gatewayRoles || !signing) return { kind: 'simulators', config, simulator, close };

  const core = await buildCore(config, logger, signing, closers);
  const wings = await setUpWings(core, config.nationalPortal.url ?? simulator?.url);
  const sweeper = config.roles.has('worker') ? await startWorker(core, wings) : undefined;
  const api = config.roles.has('api') ? await startApi(core, wings) : undefined;
  const metricsUrl = api ? undefined : await opsListener(core);
  const { db, registry, queues } = core;
  return { kind: 'gateway', config, db, registry, queues, processor: wings.processor, sweeper, app: api?.app, url: api?.url, mtlsUrl: api?.mtlsUrl, metricsUrl, simulator, close };
}

/** A process without the API still answers /metrics and health, when METRICS_PORT is set. */
async function opsListener({ config, db, registry, metrics, apiRedis, logger, closers }: Core): Promise<string | undefined> {
  if (config.metricsPort === undefined) return undefined;
  const ops = await startOpsListener({ db, registry, metrics, pingRedis: () => apiRedis.ping(), logger, refusalsLoggedPerMinute: config.protection.refusalsLoggedPerMinute }, config.host, config.metricsPort);
  closers.add(() => ops.app.close());
  logger.info({ url: ops.url }, 'metrics listener ready');
  return ops.url;
}
