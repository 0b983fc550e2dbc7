// `npm start` / `node dist/src/server.js`: read the configuration, start the roles this process plays,
// and shut down gracefully on SIGTERM/SIGINT (stop accepting, finish in-flight work, close queues).
import { ConfigError } from './config/config.js';
import { checkStartup } from './config/startup-check.js';
import { routeConsoleThroughLogger } from './logging/console-bridge.js';
import { tryItCommands } from './try-it.js';
import { createLogger } from './logging/logger.js';
import { startGateway } from './compose/gateway.js';

async function main(): Promise<void> {
  let config;
  try {
    ({ config } = await checkStartup());
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n\nFor a local try-out, run "npm start" (it sets LGSP_MODE=development).\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  const logger = createLogger({ level: config.logLevel });
  routeConsoleThroughLogger(logger);
  const gateway = await startGateway(config, logger).catch((error: Error) => {
    // One report, in the JSON log; pino's default destination writes it before the exit.
    logger.fatal({ err: { message: error.message } }, `the gateway could not start: ${error.message}`);
    process.exit(1);
  });
  const url = gateway.kind === 'gateway' ? gateway.url : undefined;
  logger.info({ mode: config.mode, roles: [...config.roles], url }, 'gateway started');
  if (url && config.mode === 'development') {
    process.stdout.write(`Gateway listening on ${url}  (OpenAPI: ${url}/docs)\n\n${tryItCommands(url, config.dataDir)}\n`);
  }

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 30_000);
    force.unref();
    gateway.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

void main();
