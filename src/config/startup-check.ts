// Everything that can be checked before a process starts anything: the settings and the partner
// registry, reported together in one list. `npm start` and `lgsp check-config` both run it, so an
// operator can check a change without starting the gateway.
import { ConfigError, readConfig, type Config } from './config.js';
import { PartnerRegistry, type PortalDefaults } from '../partners/registry.js';

/** The national portal simulator's development account; the dev gateway logs in with it. */
export const DEV_PORTAL_ACCOUNT = { username: 'lgsp', password: 'lgsp-dev' };

/** The national portal account agencies without their own use. */
export function portalDefaults(config: Config): PortalDefaults {
  const dev = config.mode === 'development';
  return {
    agencyCode: config.nationalPortal.agencyCode,
    username: config.nationalPortal.username ?? (dev ? DEV_PORTAL_ACCOUNT.username : undefined),
    password: config.nationalPortal.password ?? (dev ? DEV_PORTAL_ACCOUNT.password : undefined),
  };
}

export interface StartupCheck {
  config: Config;
  /** Set when PARTNERS_FILE names a registry (development makes its own in DATA_DIR otherwise). */
  registry: PartnerRegistry | undefined;
}

/** Reads the settings and the registry they name; throws one ConfigError listing every problem found in both. */
export async function checkStartup(env: Record<string, string | undefined> = process.env): Promise<StartupCheck> {
  const { config, problems } = readConfig(env);
  let registry: PartnerRegistry | undefined;
  if (config.partnersFile && (config.roles.has('api') || config.roles.has('worker'))) {
    try {
      registry = await PartnerRegistry.fromFile(config.partnersFile, { defaults: portalDefaults(config), env, allowAnyAgency: config.mode === 'development' });
    } catch (error) {
      problems.push(`PARTNERS_FILE ${config.partnersFile}: ${(error as Error).message}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { config, registry };
}
