// Partners authenticate with x-api-key; routes declare the roles they admit.
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { Problem } from '../core/problems.js';
import type { Partner, PartnerRegistry, Role } from '../partners/registry.js';

declare module 'fastify' {
  interface FastifyRequest {
    partner?: Partner;
  }
}

export function requireRole(...roles: Role[]) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    if (!request.partner) throw new Problem('unauthenticated');
    if (!roles.some((r) => request.partner!.roles.has(r))) {
      throw new Problem('forbidden-role', `This route is for the role${roles.length > 1 ? 's' : ''} ${roles.join(', ')}`);
    }
  };
}

export default fp<{ registry: PartnerRegistry }>(
  async (app, { registry }) => {
    app.decorateRequest('partner', undefined);
    app.addHook('onRequest', async (request) => {
      const key = request.headers['x-api-key'];
      const partner = registry.authenticate(typeof key === 'string' ? key : undefined);
      if (partner) request.partner = partner;
    });
  },
  { name: 'auth' },
);

/** The partner of a request that passed requireRole. */
export function partnerOf(request: FastifyRequest): Partner {
  if (!request.partner) throw new Problem('unauthenticated');
  return request.partner;
}
