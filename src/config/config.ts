// Configuration comes from environment variables only, read and checked once at start.
// Every problem is collected so an operator sees the whole list in one go, not one per restart.
import path from 'node:path';
import { readRedisSentinel, type RedisSentinelConfig } from './redis-sentinel.js';

export type ProcessRole = 'api' | 'worker' | 'simulators';

export interface Config {
  mode: 'development' | 'production';
  host: string;
  port: number;
  /** A worker-only process serves /metrics and health here (the API serves them on its own port). */
  metricsPort: number | undefined;
  publicBaseUrl: string | undefined;
  dataDir: string;
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  /** Redis through Sentinel instead of REDIS_URL (src/config/redis-sentinel.ts). */
  redisSentinel: RedisSentinelConfig | undefined;
  redisPrefix: string;
  roles: ReadonlySet<ProcessRole>;
  logLevel: string;
  /** Production on PGlite or a private redis-server only when the operator says so (ALLOW_EMBEDDED_IN_PRODUCTION). */
  allowEmbeddedInProduction: boolean;
  /** How long a start waits for PostgreSQL and Redis before it gives up with a non-zero exit. */
  connectTimeoutMs: number;
  partnersFile: string | undefined;
  fileUrlSecret: string | undefined;
  fileUrlTtlSeconds: number;
  maxFileBytes: number;
  attachmentUrlAllowlist: string[];
  signing: {
    /** PEM certificate files (leaf then chain), one per key; the first key signs, the others stay valid during a rotation. */
    certificateFiles: string[];
    keyFiles: string[];
    p12File: string | undefined;
    keyPassword: { value?: string; file?: string };
    trustStoreDir: string | undefined;
    staleCrl: 'fail' | 'allow';
    /** How often the trust store folder is read again, for CRLs the operator refreshed. */
    trustReloadMs: number;
  };
  auditLog: {
    /** The checkpoint origin line and the log key's name, e.g. lgsp.hanoi.gov.vn/audit-log. */
    origin: string;
    keyFile: string | undefined;
    publishDir: string | undefined;
    /** Verifier keys (C2SP tlog-cosignature) of the witnesses whose cosignatures are accepted. */
    witnessKeys: string[];
    checkpointIntervalMs: number;
    integrateIntervalMs: number;
    batchSize: number;
    /** Bodies older than this are pruned (the leaves and proofs stay); unset keeps them. */
    bodyRetentionDays: number | undefined;
  };
  postal: {
    /** The operator's order API base; unset (outside development) means no postal operator. */
    url: string | undefined;
    tokenUrl: string | undefined;
    consumerKey: string | undefined;
    consumerSecret: string | undefined;
    customerCode: string;
    variant: 'direct' | 'lgsp';
    pollIntervalMs: number;
    simulatorStepMs: number;
  };
  payments: {
    expiryMinutes: number;
    queryAfterMs: number;
    checkIntervalMs: number;
    /** The gateway's public base for providers' notifications; dev: this gateway. */
    national: { url: string | undefined; partnerCode: string | undefined; secret: string | undefined; token: string | undefined };
    vnpay: { payUrl: string | undefined; apiUrl: string | undefined; statementUrl: string | undefined; tmnCode: string | undefined; hashSecret: string | undefined };
  };
  protection: {
    partnerPerMinute: number;
    anonymousPerMinute: number;
    maxEventLoopDelayMs: number;
    maxEventLoopUtilization: number;
    retryAfterSeconds: number;
    /** Request line plus headers; Node answers 431 beyond it, before any route runs. */
    maxHeaderBytes: number;
    /** How old a callback's own time (EventTime, ThoiGianGD, vnp_PayDate) may be; seen message ids are remembered as long. */
    callbackWindowSeconds: number;
    /** How far ahead of the gateway's clock a callback's time may be. */
    callbackClockSkewSeconds: number;
    /** Refusals recorded one by one per partner (or address) and code each minute; the rest are counted and summarised. */
    refusalsLoggedPerMinute: number;
    /** How long one request (headers and body) may take to arrive; a slow body is cut off with 408. */
    requestTimeoutMs: number;
  };
  tls: {
    certificateFile: string | undefined;
    keyFile: string | undefined;
    /** The HTTPS listener that asks partners for client certificates; 0 picks a free port, unset means none. */
    mtlsPort: number | undefined;
  };
  nationalPortal: {
    url: string | undefined;
    username: string | undefined;
    password: string | undefined;
    /**
     * The province's agency code (madonvi): the default portal account's, and the gateway's own
     * OrganId in edXML TraceHeaders. Required in production; development uses DEVELOPMENT_AGENCY_CODE.
     */
    agencyCode: string | undefined;
    dstcode: string | undefined;
    loginPath: string;
    integrationPath: string;
    sharingPath: string;
    timeoutMs: number;
    simulatorPort: number;
  };
  portalCompatible: {
    /** How long a session of the portal-compatible endpoint lives (in Redis). */
    sessionTtlSeconds: number;
    /** How often the worker reads the portal's catalogues again; 0 only on start. */
    catalogueRefreshMs: number;
  };
  delivery: {
    maxAttempts: number;
    /** A message that keeps failing for transient reasons is dead-lettered only once this old, too. */
    giveUpAfterMs: number;
    backoffBaseMs: number;
    backoffMaxMs: number;
    batchSize: number;
    leaseMs: number;
    sweepIntervalMs: number;
    liveConcurrency: number;
    bulkCallsPerSecond: number;
    webhookTimeoutMs: number;
  };
  /** Group commit of acceptances (src/dossiers/group-commit.ts). */
  acceptGroup: { windowMs: number; maxSize: number; maxInFlight: number };
  soap: {
    /** How far a WS-Security Created/Expires may be off the gateway's clock. */
    clockSkewSeconds: number;
    /** How old a Created may be; a UsernameToken Nonce is remembered (in Redis) this long plus twice the skew. */
    freshnessSeconds: number;
  };
  /** How long the API waits on a Redis command before answering 503 (the connection also fails fast while down). */
  redisCommandTimeoutMs: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): Config {
  const { config, problems } = readConfig(env);
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** The configuration with every problem found; invalid values fall back to their defaults, so the rest can still be checked. */
export function readConfig(env: Env = process.env): { config: Config; problems: string[] } {
  const problems: string[] = [];
  const str = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value ? value : undefined;
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = str(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
      return fallback;
    }
    return value;
  };
  const url = (name: string): string | undefined => {
    const raw = str(name);
    if (raw === undefined) return undefined;
    try {
      const parsed = new URL(raw);
      if (!/^(https?|postgres(ql)?|rediss?):$/.test(parsed.protocol)) throw new Error('scheme');
      return raw.replace(/\/+$/, '');
    } catch {
      problems.push(`${name} must be a URL, got "${raw}"`);
      return undefined;
    }
  };

  const modeRaw = str('LGSP_MODE') ?? 'production';
  if (modeRaw !== 'development' && modeRaw !== 'production') {
    problems.push(`LGSP_MODE must be "development" or "production", got "${modeRaw}"`);
  }
  const mode = modeRaw === 'development' ? 'development' : 'production';

  const roles = new Set<ProcessRole>();
  for (const role of (str('PROCESS_ROLES') ?? 'api,worker,simulators').split(',').map((r) => r.trim())) {
    if (role === 'api' || role === 'worker' || role === 'simulators') roles.add(role);
    else problems.push(`PROCESS_ROLES may list api, worker, simulators; got "${role}"`);
  }

  const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
  const logLevel = str('LOG_LEVEL') ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}; got "${logLevel}"`);
  const allowEmbedded = str('ALLOW_EMBEDDED_IN_PRODUCTION') ?? 'false';
  if (allowEmbedded !== 'true' && allowEmbedded !== 'false') problems.push(`ALLOW_EMBEDDED_IN_PRODUCTION must be "true" or "false", got "${allowEmbedded}"`);

  const list = (name: string): string[] => (str(name) ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const staleCrl = str('CRL_STALE_POLICY') ?? 'fail';
  if (staleCrl !== 'fail' && staleCrl !== 'allow') problems.push(`CRL_STALE_POLICY must be "fail" or "allow", got "${staleCrl}"`);

  const config: Config = {
    mode,
    // A development gateway has simulators with development secrets behind it: not for the network.
    host: str('HOST') ?? (mode === 'development' ? '127.0.0.1' : '0.0.0.0'),
    port: int('PORT', 8080, 0, 65535),
    metricsPort: str('METRICS_PORT') === undefined ? undefined : int('METRICS_PORT', 0, 0, 65535),
    publicBaseUrl: url('PUBLIC_BASE_URL'),
    dataDir: path.resolve(str('DATA_DIR') ?? './data'),
    databaseUrl: url('DATABASE_URL'),
    redisUrl: url('REDIS_URL'),
    redisSentinel: readRedisSentinel(str, problems),
    redisPrefix: str('REDIS_PREFIX') ?? 'lgsp',
    roles,
    logLevel: LOG_LEVELS.includes(logLevel) ? logLevel : 'info',
    allowEmbeddedInProduction: allowEmbedded === 'true',
    connectTimeoutMs: int('STARTUP_CONNECT_TIMEOUT_SECONDS', 60, 1, 3600) * 1000,
    partnersFile: str('PARTNERS_FILE'),
    fileUrlSecret: str('FILE_URL_SECRET'),
    fileUrlTtlSeconds: int('FILE_URL_TTL_SECONDS', 7 * 24 * 3600, 60, 90 * 24 * 3600),
    maxFileBytes: int('MAX_FILE_BYTES', 20 * 1024 * 1024, 1024, 200 * 1024 * 1024),
    attachmentUrlAllowlist: (str('ATTACHMENT_URL_ALLOWLIST') ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    signing: {
      certificateFiles: list('SIGNING_CERT_FILE'),
      keyFiles: list('SIGNING_KEY_FILE'),
      p12File: str('SIGNING_P12_FILE'),
      keyPassword: { ...(str('SIGNING_KEY_PASSWORD') ? { value: str('SIGNING_KEY_PASSWORD')! } : {}), ...(str('SIGNING_KEY_PASSWORD_FILE') ? { file: str('SIGNING_KEY_PASSWORD_FILE')! } : {}) },
      trustStoreDir: str('TRUST_STORE_DIR'),
      staleCrl: staleCrl === 'allow' ? 'allow' : 'fail',
      trustReloadMs: int('TRUST_STORE_RELOAD_SECONDS', 600, 5, 86_400) * 1000,
    },
    auditLog: {
      origin: str('AUDIT_LOG_ORIGIN') ?? 'lgsp.localhost/audit-log',
      keyFile: str('AUDIT_LOG_KEY_FILE'),
      publishDir: str('AUDIT_PUBLISH_DIR'),
      witnessKeys: list('AUDIT_WITNESS_KEYS'),
      checkpointIntervalMs: int('AUDIT_CHECKPOINT_INTERVAL_MS', 2_000, 100, 600_000),
      integrateIntervalMs: int('AUDIT_INTEGRATE_INTERVAL_MS', 250, 10, 60_000),
      batchSize: int('AUDIT_BATCH_SIZE', 256, 1, 10_000),
      bodyRetentionDays: str('AUDIT_BODY_RETENTION_DAYS') === undefined ? undefined : int('AUDIT_BODY_RETENTION_DAYS', 0, 1, 36_500),
    },
    postal: {
      url: url('POSTAL_URL'),
      tokenUrl: url('POSTAL_TOKEN_URL'),
      consumerKey: str('POSTAL_CONSUMER_KEY'),
      consumerSecret: str('POSTAL_CONSUMER_SECRET'),
      customerCode: str('POSTAL_CUSTOMER_CODE') ?? 'LGSP',
      variant: str('POSTAL_VARIANT') === 'lgsp' ? 'lgsp' : 'direct',
      pollIntervalMs: int('POSTAL_POLL_INTERVAL_MS', 120_000, 100, 86_400_000),
      simulatorStepMs: int('POSTAL_SIMULATOR_STEP_MS', 5_000, 10, 3_600_000),
    },
    payments: {
      expiryMinutes: int('PAYMENT_EXPIRY_MINUTES', 15, 1, 7 * 24 * 60),
      queryAfterMs: int('PAYMENT_QUERY_AFTER_MS', 5 * 60_000, 100, 86_400_000),
      checkIntervalMs: int('PAYMENT_CHECK_INTERVAL_MS', 60_000, 50, 86_400_000),
      national: { url: url('NATIONAL_PAYMENT_URL'), partnerCode: str('NATIONAL_PAYMENT_PARTNER_CODE'), secret: str('NATIONAL_PAYMENT_SECRET'), token: str('NATIONAL_PAYMENT_TOKEN') },
      vnpay: { payUrl: url('VNPAY_PAY_URL'), apiUrl: url('VNPAY_API_URL'), statementUrl: url('VNPAY_STATEMENT_URL'), tmnCode: str('VNPAY_TMN_CODE'), hashSecret: str('VNPAY_HASH_SECRET') },
    },
    protection: {
      partnerPerMinute: int('RATE_LIMIT_PARTNER_PER_MINUTE', 12_000, 1, 100_000_000),
      anonymousPerMinute: int('RATE_LIMIT_ANONYMOUS_PER_MINUTE', 300, 1, 100_000_000),
      maxEventLoopDelayMs: int('LOAD_SHED_EVENT_LOOP_DELAY_MS', 1_000, 0, 60_000),
      maxEventLoopUtilization: int('LOAD_SHED_EVENT_LOOP_UTILIZATION_PERCENT', 0, 0, 100) / 100,
      retryAfterSeconds: int('LOAD_SHED_RETRY_AFTER_SECONDS', 10, 1, 3600),
      maxHeaderBytes: int('MAX_HEADER_BYTES', 16 * 1024, 1024, 1024 * 1024),
      callbackWindowSeconds: int('CALLBACK_WINDOW_SECONDS', 24 * 3600, 60, 10 * 366 * 86_400),
      callbackClockSkewSeconds: int('CALLBACK_CLOCK_SKEW_SECONDS', 300, 0, 3600),
      refusalsLoggedPerMinute: int('REFUSALS_LOGGED_PER_MINUTE', 20, 1, 100_000),
      requestTimeoutMs: int('REQUEST_TIMEOUT_MS', 60_000, 1_000, 3_600_000),
    },
    tls: {
      certificateFile: str('TLS_CERT_FILE'),
      keyFile: str('TLS_KEY_FILE'),
      mtlsPort: str('MTLS_PORT') === undefined ? undefined : int('MTLS_PORT', 0, 0, 65535),
    },
    nationalPortal: {
      url: url('NATIONAL_PORTAL_URL'),
      username: str('NATIONAL_PORTAL_USERNAME'),
      password: str('NATIONAL_PORTAL_PASSWORD'),
      // Never a placeholder in production: the code names the gateway to the portal and to every edXML receiver.
      agencyCode: str('NATIONAL_PORTAL_AGENCY_CODE') ?? (mode === 'development' ? DEVELOPMENT_AGENCY_CODE : undefined),
      dstcode: str('NATIONAL_PORTAL_DSTCODE'),
      loginPath: str('NATIONAL_PORTAL_LOGIN_PATH') ?? '/login',
      integrationPath: str('NATIONAL_PORTAL_INTEGRATION_PATH') ?? '/integration',
      sharingPath: str('NATIONAL_PORTAL_SHARING_PATH') ?? '/sharing',
      timeoutMs: int('NATIONAL_PORTAL_TIMEOUT_MS', 30_000, 100, 600_000),
      simulatorPort: int('NATIONAL_PORTAL_SIMULATOR_PORT', 0, 0, 65535),
    },
    portalCompatible: {
      sessionTtlSeconds: int('PORTAL_COMPATIBLE_SESSION_TTL_SECONDS', 1800, 60, 86_400),
      catalogueRefreshMs: int('PORTAL_CATALOGUE_REFRESH_MS', 6 * 3_600_000, 0, 7 * 86_400_000),
    },
    delivery: {
      maxAttempts: int('DELIVERY_MAX_ATTEMPTS', 12, 1, 1000),
      giveUpAfterMs: int('DELIVERY_GIVE_UP_AFTER_MS', 24 * 3_600_000, 0, 30 * 24 * 3_600_000),
      backoffBaseMs: int('DELIVERY_BACKOFF_BASE_MS', 2_000, 1, 3_600_000),
      backoffMaxMs: int('DELIVERY_BACKOFF_MAX_MS', 15 * 60_000, 1, 24 * 3_600_000),
      batchSize: int('DELIVERY_BATCH_SIZE', 50, 1, 500),
      leaseMs: int('DELIVERY_LEASE_MS', 120_000, 100, 3_600_000),
      sweepIntervalMs: int('SWEEP_INTERVAL_MS', 30_000, 50, 3_600_000),
      liveConcurrency: int('DELIVERY_CONCURRENCY', 8, 1, 64),
      bulkCallsPerSecond: int('BULK_CALLS_PER_SECOND', 2, 1, 1000),
      webhookTimeoutMs: int('WEBHOOK_TIMEOUT_MS', 10_000, 100, 120_000),
    },
    acceptGroup: {
      windowMs: int('ACCEPT_GROUP_WINDOW_MS', 2, 0, 50),
      maxSize: int('ACCEPT_GROUP_MAX', 64, 1, 1000),
      maxInFlight: int('ACCEPT_GROUP_IN_FLIGHT', 4, 1, 8),
    },
    soap: {
      clockSkewSeconds: int('SOAP_CLOCK_SKEW_SECONDS', 300, 0, 3600),
      freshnessSeconds: int('SOAP_FRESHNESS_SECONDS', 300, 1, 86_400),
    },
    redisCommandTimeoutMs: int('REDIS_COMMAND_TIMEOUT_MS', 2_000, 50, 60_000),
  };

  for (const prefix of config.attachmentUrlAllowlist) {
    if (!/^https?:\/\/[^/]+\//.test(prefix)) {
      problems.push(`ATTACHMENT_URL_ALLOWLIST entries must be URL prefixes ending in a path, like https://host/path/; got "${prefix}"`);
    }
  }
  if (config.roles.size === 0) problems.push('PROCESS_ROLES is empty');
  const { signing, tls } = config;
  if (signing.certificateFiles.length !== signing.keyFiles.length) {
    problems.push(`SIGNING_CERT_FILE lists ${signing.certificateFiles.length} file(s) and SIGNING_KEY_FILE ${signing.keyFiles.length}: give one key per certificate`);
  }
  if (signing.p12File && signing.keyFiles.length > 0) problems.push('Give the signing key either as SIGNING_P12_FILE or as SIGNING_CERT_FILE + SIGNING_KEY_FILE, not both');
  if (signing.p12File && !signing.keyPassword.value && !signing.keyPassword.file) problems.push('SIGNING_P12_FILE needs SIGNING_KEY_PASSWORD or SIGNING_KEY_PASSWORD_FILE');
  if (config.payments.national.url && (!config.payments.national.partnerCode || !config.payments.national.secret)) {
    problems.push('NATIONAL_PAYMENT_URL needs NATIONAL_PAYMENT_PARTNER_CODE and NATIONAL_PAYMENT_SECRET');
  }
  if (config.payments.vnpay.payUrl && (!config.payments.vnpay.tmnCode || !config.payments.vnpay.hashSecret || !config.payments.vnpay.apiUrl)) {
    problems.push('VNPAY_PAY_URL needs VNPAY_API_URL, VNPAY_TMN_CODE and VNPAY_HASH_SECRET');
  }
  const postalVariant = str('POSTAL_VARIANT');
  if (postalVariant && postalVariant !== 'direct' && postalVariant !== 'lgsp') problems.push(`POSTAL_VARIANT must be "direct" or "lgsp", got "${postalVariant}"`);
  if (config.postal.url && (!config.postal.tokenUrl || !config.postal.consumerKey || !config.postal.consumerSecret)) {
    problems.push('POSTAL_URL needs POSTAL_TOKEN_URL, POSTAL_CONSUMER_KEY and POSTAL_CONSUMER_SECRET');
  }
  if (signing.keyPassword.value && signing.keyPassword.file) problems.push('Give SIGNING_KEY_PASSWORD or SIGNING_KEY_PASSWORD_FILE, not both');
  if (Boolean(tls.certificateFile) !== Boolean(tls.keyFile)) problems.push('TLS_CERT_FILE and TLS_KEY_FILE go together');

  if (mode === 'production') problems.push(...productionGaps(config, str));
  return { config, problems };
}

/** The gateway's agency code in development when none is set: plainly not a real one (real codes read like 000.00.12.H26). */
export const DEVELOPMENT_AGENCY_CODE = 'LGSP-DEVELOPMENT';

/** What a production start needs that development fills in itself (dev keys, dev partners, simulators). */
function productionGaps(config: Config, str: (name: string) => string | undefined): string[] {
  const gaps: string[] = [];
  const gatewayRole = config.roles.has('api') || config.roles.has('worker');
  if (gatewayRole && !config.partnersFile) gaps.push('PARTNERS_FILE is required in production (the partner registry)');
  if (config.roles.has('api') && !config.fileUrlSecret) {
    gaps.push('FILE_URL_SECRET is required in production (it signs the attachment URLs given to the national portal)');
  }
  if (config.fileUrlSecret && config.fileUrlSecret.length < 32) gaps.push('FILE_URL_SECRET must be at least 32 characters');
  if (config.roles.has('worker')) {
    if (!config.nationalPortal.url) {
      gaps.push('NATIONAL_PORTAL_URL is required in production (the simulator only starts in development)');
    }
    if (!config.nationalPortal.username || !config.nationalPortal.password) {
      gaps.push('NATIONAL_PORTAL_USERNAME and NATIONAL_PORTAL_PASSWORD are required in production');
    }
  }
  if (gatewayRole && !config.nationalPortal.agencyCode) {
    gaps.push("NATIONAL_PORTAL_AGENCY_CODE is required in production (the province's agency code: madonvi of the gateway's portal account, and the gateway's OrganId in edXML TraceHeaders)");
  }
  if (gatewayRole && !config.signing.p12File && config.signing.keyFiles.length === 0) {
    gaps.push('A signing key is required in production: SIGNING_CERT_FILE + SIGNING_KEY_FILE, or SIGNING_P12_FILE (see certs/README.md)');
  }
  if (gatewayRole && !config.signing.trustStoreDir) {
    gaps.push('TRUST_STORE_DIR is required in production (the CA certificates and CRLs partner signatures are checked against)');
  }
  if (gatewayRole && !config.auditLog.keyFile) {
    gaps.push('AUDIT_LOG_KEY_FILE is required in production (the Ed25519 note key that signs audit checkpoints; see docs/audit-log.md)');
  }
  if (gatewayRole && !str('AUDIT_LOG_ORIGIN')) gaps.push('AUDIT_LOG_ORIGIN is required in production (the name of this log, e.g. lgsp.hanoi.gov.vn/audit-log)');
  if (config.tls.mtlsPort !== undefined && !config.tls.certificateFile) gaps.push('MTLS_PORT needs TLS_CERT_FILE and TLS_KEY_FILE in production');
  if (config.roles.has('api') && !config.publicBaseUrl) {
    gaps.push('PUBLIC_BASE_URL is required in production (the address the national portal downloads attachments from)');
  }
  if (gatewayRole && !config.allowEmbeddedInProduction) {
    const embedded = 'is required in production; set ALLOW_EMBEDDED_IN_PRODUCTION=true to run on the embedded one knowingly';
    if (!config.databaseUrl) gaps.push(`DATABASE_URL ${embedded} (PGlite in DATA_DIR)`);
    if (!config.redisUrl && !config.redisSentinel) {
      gaps.push(`REDIS_URL ${embedded} (a private redis-server without a managed backup), or reach Redis through Sentinel: REDIS_SENTINELS and REDIS_SENTINEL_MASTER`);
    }
  }
  return gaps;
}
