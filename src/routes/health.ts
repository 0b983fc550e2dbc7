// Liveness says the process answers; readiness says it can do its job (database and Redis reachable).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { Problem } from '../core/problems.js';
import { sendProblem } from '../plugins/problems.js';
import { pingDatabase, type Db } from '../store/db.js';

export interface HealthRouteOptions {
  db: Db;
  pingRedis: () => Promise<unknown>;
}

const Status = Type.Object({ status: Type.String(), checks: Type.Optional(Type.Record(Type.String(), Type.String())) });

const healthRoutes: FastifyPluginAsyncTypebox<HealthRouteOptions> = async (app, { db, pingRedis }) => {
  app.get('/healthz', { schema: { tags: ['health'], response: { 200: Status } } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { tags: ['health'], response: { 200: Status } } }, async (_request, reply) => {
    const within = <T>(p: Promise<T>) => Promise.race([p, new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 2000).unref())]);
    const [database, redis] = await Promise.allSettled([within(pingDatabase(db)), within(pingRedis())]);
    const checks = { database: database.status === 'fulfilled' ? 'ok' : 'unreachable', redis: redis.status === 'fulfilled' ? 'ok' : 'unreachable' };
    if (database.status === 'fulfilled' && redis.status === 'fulfilled') return { status: 'ready', checks };
    return sendProblem(reply, new Problem('unavailable', `Not ready: ${Object.entries(checks).filter(([, v]) => v !== 'ok').map(([k]) => k).join(', ')} unreachable`, { checks }));
  });
};

export default healthRoutes;
