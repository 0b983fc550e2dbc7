// W3C Trace Context (https://www.w3.org/TR/trace-context/): a request's trace id is taken from its
// `traceparent` header (or started here), kept with the messages it causes, and carried to every
// outbound call they make, each call a new span of the same trace.
import { pooledRandomBytes } from '../core/random-pool.js';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

export interface TraceContext {
  traceId: string;
  spanId: string;
  flags: string;
}

/** The context of a valid version-00 header; anything else is ignored, as the specification asks. */
export function parseTraceparent(header: unknown): TraceContext | undefined {
  if (typeof header !== 'string') return undefined;
  const match = TRACEPARENT.exec(header.trim());
  if (!match || match[1] === ZERO_TRACE || match[2] === ZERO_SPAN) return undefined;
  return { traceId: match[1]!, spanId: match[2]!, flags: match[3]! };
}

export function formatTraceparent(context: TraceContext): string {
  return `00-${context.traceId}-${context.spanId}-${context.flags}`;
}

/** A new span in the trace of `parent` (a new trace when there is none). */
export function childSpan(parent: TraceContext | undefined): TraceContext {
  return {
    traceId: parent?.traceId ?? pooledRandomBytes(16).toString('hex'),
    spanId: pooledRandomBytes(8).toString('hex'),
    flags: parent?.flags ?? '00',
  };
}

/** The traceparent header for an outbound call made on behalf of a stored `traceparent`. */
export function outboundTraceparent(stored: string | null | undefined): string {
  return formatTraceparent(childSpan(parseTraceparent(stored)));
}
