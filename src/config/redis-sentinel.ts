// Redis reached through Sentinel: the sentinels are asked where the master is, and asked again after
// a failover, so a promoted replica takes over without a new REDIS_URL. Read from REDIS_SENTINELS,
// REDIS_SENTINEL_MASTER, REDIS_PASSWORD and REDIS_SENTINEL_PASSWORD (README, Configuration).

export interface SentinelAddress {
  host: string;
  port: number;
}

export interface RedisSentinelConfig {
  sentinels: SentinelAddress[];
  /** The name the sentinels monitor the master under (`sentinel monitor <name> …`). */
  masterName: string;
  /** The password of the master and its replicas (Redis `requirepass`). */
  password: string | undefined;
  /** The sentinels' own password, when they have one. */
  sentinelPassword: string | undefined;
}

/** The port a sentinel listens on unless told otherwise. */
export const DEFAULT_SENTINEL_PORT = 26379;

/** `host`, `host:port`, or `[ipv6]:port`. */
function parseAddress(entry: string): SentinelAddress | undefined {
  const match = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry) ?? /^([^:[\]\s]+)(?::(\d+))?$/.exec(entry);
  if (!match) return undefined;
  const port = match[2] === undefined ? DEFAULT_SENTINEL_PORT : Number(match[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return { host: match[1]!, port };
}

/**
 * The Sentinel settings, or undefined when REDIS_SENTINELS is unset; every problem goes to `problems`.
 * A password without sentinels is refused rather than ignored: with REDIS_URL the password belongs in the URL.
 */
export function readRedisSentinel(str: (name: string) => string | undefined, problems: string[]): RedisSentinelConfig | undefined {
  const list = str('REDIS_SENTINELS');
  const masterName = str('REDIS_SENTINEL_MASTER');
  const password = str('REDIS_PASSWORD');
  const sentinelPassword = str('REDIS_SENTINEL_PASSWORD');
  if (list === undefined) {
    for (const name of ['REDIS_SENTINEL_MASTER', 'REDIS_PASSWORD', 'REDIS_SENTINEL_PASSWORD'] as const) {
      if (str(name) !== undefined) problems.push(`${name} needs REDIS_SENTINELS (with REDIS_URL, put the password in the URL: redis://:password@host:6379)`);
    }
    return undefined;
  }
  const entries = list.split(',').map((s) => s.trim()).filter(Boolean);
  const sentinels: SentinelAddress[] = [];
  for (const entry of entries) {
    const address = parseAddress(entry);
    if (address) sentinels.push(address);
    else problems.push(`REDIS_SENTINELS entries must be host or host:port (IPv6 as [address]:port), comma-separated; got "${entry}"`);
  }
  if (entries.length === 0) problems.push('REDIS_SENTINELS lists no sentinel');
  if (masterName === undefined) problems.push('REDIS_SENTINELS needs REDIS_SENTINEL_MASTER (the master name the sentinels monitor)');
  if (str('REDIS_URL') !== undefined) problems.push('Give Redis either as REDIS_URL or as REDIS_SENTINELS + REDIS_SENTINEL_MASTER, not both');
  return { sentinels, masterName: masterName ?? '', password, sentinelPassword };
}
