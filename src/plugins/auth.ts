// Partners authenticate with x-api-key, or on the mTLS listener with a client certificate that the
// trust store accepts and the registry maps to them; routes declare the roles they admit.
import type { X509Certificate } from 'node:crypto';
import { TLSSocket } from 'node:tls';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { Problem } from '../core/problems.js';
import { peerCertificateChain } from '../crypto/peer-certificates.js';
import type { TrustChecker } from '../crypto/trust.js';
import type { Partner, PartnerRegistry, Role } from '../partners/registry.js';

declare module 'fastify' {
  interface FastifyRequest {
    partner?: Partner;
  }
}

/** Used as a route's preParsing hook: after the rate limits (onRequest), before the body is even read. */
export function requireRole(...roles: Role[]) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    if (!request.partner) throw new Problem('unauthenticated');
    if (!roles.some((r) => request.partner!.roles.has(r))) {
      throw new Problem('forbidden-role', `This route is for the role${roles.length > 1 ? 's' : ''} ${roles.join(', ')}`);
    }
  };
}

export interface AuthOptions {
  registry: PartnerRegistry;
  /** Set on the mTLS listener: client certificates are checked against it. */
  clientCertificates?: TrustChecker;
}

export default fp<AuthOptions>(
  async (app, { registry, clientCertificates }) => {
    app.decorateRequest('partner', undefined);
    app.addHook('onRequest', async (request) => {
      const key = request.headers['x-api-key'];
      const byKey = registry.authenticate(typeof key === 'string' ? key : undefined);
      const byCertificate = clientCertificates ? partnerOfClientCertificate(request, registry, clientCertificates) : undefined;
      if (byKey && byCertificate && byKey.id !== byCertificate.id) {
        throw new Problem('certificate-untrusted', 'The client certificate and the API key belong to different partners');
      }
      const partner = byKey ?? byCertificate;
      if (partner) request.partner = partner;
    });
  },
  { name: 'auth' },
);

/** The partner a TLS client certificate maps to; refuses a certificate that is presented but not good. */
function partnerOfClientCertificate(request: FastifyRequest, registry: PartnerRegistry, trust: TrustChecker): Partner | undefined {
  const socket = request.raw.socket;
  if (!(socket instanceof TLSSocket)) return undefined;
  const chain: X509Certificate[] = peerCertificateChain(socket);
  if (chain.length === 0) return undefined;
  const verdict = trust.check(chain, { at: new Date(), purpose: 'tls-client' });
  if (!verdict.ok) throw new Problem(verdict.code, `Client certificate: ${verdict.reason}`);
  const partner = registry.partnerForCertificate(chain[0]!);
  if (!partner) throw new Problem('certificate-untrusted', 'The client certificate is not registered for any partner');
  return partner;
}

/** The partner of a request that passed requireRole. */
export function partnerOf(request: FastifyRequest): Partner {
  if (!request.partner) throw new Problem('unauthenticated');
  return request.partner;
}

/** The password of `Authorization: Basic …`, where a browser, or Prometheus' basic_auth, carries the API key on the routes that accept it. */
export function basicAuthPassword(request: FastifyRequest): string | undefined {
  const match = /^Basic ([A-Za-z0-9+/=]{1,400})$/.exec(request.headers.authorization ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : decoded.slice(colon + 1);
}
