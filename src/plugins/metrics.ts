// Times every request under its route template (never the raw URL, which would explode the label
// set) and serves /metrics to the admin role.
import fp from 'fastify-plugin';
import type { GatewayMetrics } from '../observability/metrics.js';
import { requireRole } from './auth.js';

export default fp<{ metrics: GatewayMetrics }>(
  async (app, { metrics }) => {
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
    app.get('/metrics', { preHandler: requireRole('admin'), schema: { tags: ['operations'], summary: 'Prometheus metrics (admin role)', hide: false } }, async (_request, reply) => {
      return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    });
  },
  { name: 'metrics', dependencies: ['auth'] },
);
