// Personal data out of what is logged (promise 5), done where it can be: on the few objects that may
// carry it, not on every log line. The field names cover the canonical model and the adapters' personal
// wire fields (each adapter spells its own).
import { PERSONAL_WIRE_FIELDS as PORTAL_PERSONAL_FIELDS } from '../../adapters/national-portal/index.js';
import { PERSONAL_WIRE_FIELDS as PAYMENT_PERSONAL_FIELDS } from '../../adapters/payment/national/index.js';

const CANONICAL_PERSONAL_FIELDS = ['name', 'idNumber', 'identifiers', 'phone', 'fax', 'email', 'address', 'applicant', 'payer', 'sender', 'receiver'];
const SECRET_FIELDS = ['session', 'password'];

export const PERSONAL_FIELDS: readonly string[] = [...CANONICAL_PERSONAL_FIELDS, ...PORTAL_PERSONAL_FIELDS, ...PAYMENT_PERSONAL_FIELDS, ...SECRET_FIELDS];
const PERSONAL = new Set(PERSONAL_FIELDS);

export const CENSOR = '[redacted]';

/**
 * Log keys whose value may be a dossier, a partner's message or answer, or a part of one. No code path
 * logs one today (every log call names ids, counts and error messages); the logger still sanitizes
 * these keys, so that an object logged by mistake under a likely name keeps its personal fields out.
 */
export const CARRIER_KEYS = [
  'dossier', 'dossiers', 'item', 'items', 'body', 'payload', 'data', 'detail', 'details', 'request', 'response', 'answer',
  'partnerAnswer', 'notification', 'receipt', 'payment', 'shipment', 'record', 'records', 'result', 'headers', 'params', 'query',
];

/** Deeper than this, a logged object is cut: nothing the gateway logs on purpose nests so far. */
const MAX_DEPTH = 10;

/**
 * A copy of `value` with every personal field, at any depth, replaced by the censor. Strings and numbers
 * pass unchanged (free text is the callers' to clean: see sanitizePortalMessage); objects are walked as
 * JSON.stringify would see them, so what is printed is exactly what was checked.
 */
export function withoutPersonalData(value: unknown): unknown {
  return walk(value, 0, new Set());
}

function walk(value: unknown, depth: number, ancestors: Set<object>): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (ancestors.has(value)) return '[Circular]';
  if (depth >= MAX_DEPTH) return '[truncated]';
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return walk(toJSON.call(value), depth, ancestors);
  ancestors.add(value);
  let copy: unknown;
  if (Array.isArray(value)) copy = value.map((element) => walk(element, depth + 1, ancestors));
  else {
    const out: Record<string, unknown> = {};
    for (const [key, member] of Object.entries(value)) out[key] = PERSONAL.has(key) ? CENSOR : walk(member, depth + 1, ancestors);
    copy = out;
  }
  ancestors.delete(value);
  return copy;
}
