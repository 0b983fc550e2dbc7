// The simulators role: the national portal's simulator, when there is no real portal to talk to (and
// always in development). The postal operator's simulator starts with the postal wing (postal-setup.ts).
import type { Logger } from 'pino';
import { startNationalPortalSimulator, type PortalSimulator } from '../../adapters/national-portal/index.js';
import type { Config } from '../config/config.js';
import { DEV_PORTAL_ACCOUNT } from '../config/startup-check.js';
import { jwsChecker } from '../crypto/jws-checker.js';
import type { SigningMaterial } from '../crypto/signing-setup.js';
import type { Closers } from './closers.js';

export async function startSimulators(config: Config, logger: Logger, signing: SigningMaterial | undefined, closers: Closers): Promise<PortalSimulator | undefined> {
  const dev = config.mode === 'development';
  if (!config.roles.has('simulators') || !(dev || !config.nationalPortal.url)) return undefined;
  const simulator = await startNationalPortalSimulator({
    // Like a partner that insists on signatures: in development the gateway's own are checked.
    ...(signing ? { checkSignature: jwsChecker(signing.trust) } : {}),
    host: dev ? '127.0.0.1' : config.host,
    port: config.nationalPortal.simulatorPort,
    accounts: [dev ? DEV_PORTAL_ACCOUNT : { username: config.nationalPortal.username ?? 'lgsp', password: config.nationalPortal.password ?? 'lgsp-dev' }],
    loginPath: config.nationalPortal.loginPath,
    integrationPath: config.nationalPortal.integrationPath,
    sharingPath: config.nationalPortal.sharingPath,
  });
  closers.add(() => simulator.close());
  logger.info({ url: simulator.url }, 'national portal simulator listening');
  return simulator;
}
