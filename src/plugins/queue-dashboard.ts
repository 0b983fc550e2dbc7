// The BullMQ dashboard (bull-board) at /admin/queues, for the admin role. A browser cannot add an
// x-api-key header to a page it navigates to, so here the key is also taken from HTTP Basic
// credentials (any user name, the API key as password): the 401 asks the browser for them.
// The board is read-only: the database, not Redis, is the record of deliveries, so cleaning or
// editing jobs would only fight the sweeper; dead letters are replayed through /v1/admin instead.
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyPluginAsync } from 'fastify';
import { Problem } from '../core/problems.js';
import type { PartnerRegistry } from '../partners/registry.js';
import { basicAuthPassword } from './auth.js';
import { sendProblem } from './problems.js';

export const QUEUE_DASHBOARD_PATH = '/admin/queues';
const REALM = 'Basic realm="LGSP queue dashboard", charset="UTF-8"';

export interface QueueDashboardOptions {
  registry: PartnerRegistry;
  queues: readonly Queue[];
}

const queueDashboard: FastifyPluginAsync<QueueDashboardOptions> = async (app, { registry, queues }) => {
  // Answers here rather than throwing: bull-board installs its own error handler in the child context,
  // which would turn a refusal into its 500.
  app.addHook('onRequest', async (request, reply) => {
    const partner = request.partner ?? registry.authenticate(basicAuthPassword(request));
    if (!partner) return sendProblem(reply.header('www-authenticate', REALM), new Problem('unauthenticated', 'Sign in with an admin API key (HTTP Basic, the key as password, or x-api-key)'));
    request.partner = partner;
    if (!partner.roles.has('admin')) return sendProblem(reply, new Problem('forbidden-role', 'The queue dashboard is for the admin role'));
  });

  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(QUEUE_DASHBOARD_PATH);
  createBullBoard({
    queues: queues.map((q) => new BullMQAdapter(q, { readOnlyMode: true })),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'LGSP queues' } },
  });
  await app.register(serverAdapter.registerPlugin());
};

export default queueDashboard;
