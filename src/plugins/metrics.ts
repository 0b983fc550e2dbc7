// Times every request under its route template (never the raw URL, which would explode the label
// set) and serves /metrics to the admin role, by x-api-key or, for Prometheus' basic_auth, with the
// key as the HTTP Basic password.
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { PartnerRegistry } from '../partners/registry.js';
import { basicAuthPassword, requireRole } from './auth.js';

export default fp<{ metrics: GatewayMetrics; registry: PartnerRegistry }>(
  async (app, { metrics, registry }) => {
    const scraper = requireRole('admin');
    app.addHook('onResponse', async (request, reply) => {
      metrics.httpRequests.observe(
        {
          route: request.routeOptions.url ?? 'unmatched',
          method: request.method,
          status: String(reply.statusCode),
          partner: request.partner?.id ?? 'anonymous',
        },
        reply.elapsedTime / 1000,
      );
    });
    const preHandler = async (request: FastifyRequest, reply: FastifyReply) => {
      request.partner ??= registry.authenticate(basicAuthPassword(request));
      await scraper(request, reply);
    };
    app.get('/metrics', { preHandler, schema: { tags: ['operations'], summary: 'Prometheus metrics (admin role)', hide: false } }, async (_request, reply) => {
      return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    });
  },
  { name: 'metrics', dependencies: ['auth'] },
);
