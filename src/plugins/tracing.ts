// Every request gets a span in a W3C trace: the caller's trace when it sent a traceparent, else a new
// one. The trace id goes on every log line of the request and with every message it causes.
import fp from 'fastify-plugin';
import { childSpan, formatTraceparent, parseTraceparent } from '../observability/trace-context.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** This request's own span, as a traceparent header value. */
    traceparent: string;
  }
}

export default fp(
  async (app) => {
    app.decorateRequest('traceparent', '');
    app.addHook('onRequest', async (request) => {
      const span = childSpan(parseTraceparent(request.headers.traceparent));
      request.traceparent = formatTraceparent(span);
      request.log = request.log.child({ traceId: span.traceId });
    });
  },
  { name: 'tracing' },
);
