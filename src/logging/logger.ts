// pino JSON logs with personal data redacted (promise 5). Redaction happens at the serializers of the
// few keys that may carry personal data (personal-data.ts), not on every line: pino's wildcard redact
// paths (`*.field`) ran a path walk on every key of every line, several % of the gateway's CPU.
// `redact` keeps only exact paths, which pino looks up by key: the secret headers of a request, and the
// personal fields at the top of a logged object.
import pino, { type Logger } from 'pino';
import { CARRIER_KEYS, CENSOR, PERSONAL_FIELDS, withoutPersonalData } from './personal-data.js';

export const REDACT_PATHS = [
  'req.headers["x-api-key"]',
  'req.headers.authorization',
  'req.headers.cookie',
  // Top-level `name` is pino's logger name; a personal name below the top is in a carrier key or an error.
  ...PERSONAL_FIELDS.filter((f) => f !== 'name'),
];

/**
 * A request URL as it may be logged: the path, and the names of query parameters without their values.
 * Signed attachment links carry `expires` and `signature` in the query: whoever reads the log must not
 * be able to download a citizen's papers with them. Other query values (dossier codes, a provider's
 * notification fields) are not needed to follow a request and are dropped as well.
 */
export function loggableUrl(url: string): string {
  const at = url.indexOf('?');
  if (at < 0) return url;
  const names = url
    .slice(at + 1)
    .split('&')
    .filter(Boolean)
    .map((pair) => `${pair.split('=')[0]!.slice(0, 64)}=[redacted]`);
  return `${url.slice(0, at)}?${names.join('&')}`;
}

/** Members of database errors that quote the statement, its parameters or the values refused. */
const QUERY_MEMBERS = ['query', 'params', 'parameters', 'queryOptions', 'detail', 'where', 'internalQuery', 'hint'];
const QUOTED = /"[^"]*"|'[^']*'/g;
/** What pino's error serializer writes itself: the class, the message and the stack, texts not objects. */
const ERROR_TEXT_MEMBERS = new Set(['type', 'message', 'stack']);

/**
 * Errors as logged: pino's standard serializer, less whatever carries SQL parameters or refused values
 * (PGlite errors carry `params`, PostgreSQL's `detail` and `where` quote the row; the message of a data
 * exception quotes the value: `invalid input syntax for type uuid: "..."`).
 */
export function loggableError(error: unknown): unknown {
  if (!(error instanceof Error)) return withoutPersonalData(error);
  const serialized = pino.stdSerializers.err(error) as unknown as Record<string, unknown>;
  for (const member of QUERY_MEMBERS) delete serialized[member];
  // Whatever else an error carries (a partner's answer, a request body) is a carrier too.
  for (const member of Object.keys(serialized)) {
    if (!ERROR_TEXT_MEMBERS.has(member)) serialized[member] = withoutPersonalData(serialized[member]);
  }
  const code = (error as { code?: unknown }).code;
  if ('severity' in error && typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
    for (const member of ['message', 'stack'] as const) {
      if (typeof serialized[member] === 'string') serialized[member] = (serialized[member] as string).replace(QUOTED, '"[redacted]"');
    }
  }
  return serialized;
}

interface LoggedRequest {
  method?: string;
  url?: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
}

/** Fastify's request serializer, with the URL made loggable. */
function loggableRequest(req: LoggedRequest): Record<string, unknown> {
  return { method: req.method, url: loggableUrl(req.url ?? ''), host: req.host, remoteAddress: req.ip, remotePort: req.socket?.remotePort };
}

export function createLogger(options: { level: string; name?: string; destination?: pino.DestinationStream }): Logger {
  return pino(
    {
      name: options.name ?? 'lgsp-gateway',
      level: options.level,
      redact: { paths: REDACT_PATHS, censor: CENSOR },
      serializers: { ...Object.fromEntries(CARRIER_KEYS.map((key) => [key, withoutPersonalData])), req: loggableRequest, err: loggableError },
      formatters: { level: (label) => ({ level: label }) },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination,
  );
}
