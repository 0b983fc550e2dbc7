// Detached JWS on partner writes (X-JWS-Signature over the exact body bytes). A partner registered as
// mustSign is refused without one; any partner who sends one must send a good one. The check runs
// before schema validation, so nothing an unverified sender wrote is even looked at, let alone stored.
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { CertificateCatalog } from '../audit/certificates.js';
import { Problem } from '../core/problems.js';
import { JWS_HEADER, JwsError, verifyDetachedJws } from '../crypto/jws.js';
import { checkPartnerCertificate, type SignatureRecord } from '../crypto/partner-signature.js';
import type { TrustChecker } from '../crypto/trust.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { Partner, PartnerRegistry } from '../partners/registry.js';
import type { Db } from '../store/db.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** When the request arrived: certificates are judged at this moment, not when a check happens to run. */
    receivedAt: Date;
    /** The verified signature of the request body, for the message log. */
    signature?: SignatureRecord;
  }
  interface FastifyContextConfig {
    /** The body carries its own signature (an edXML package): no detached JWS is asked for. */
    signedInBody?: boolean;
  }
}

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH']);

export interface SignatureOptions {
  db: Db;
  trust: TrustChecker;
  registry: PartnerRegistry;
  metrics?: GatewayMetrics;
}

/** What a signature check needs: the signers' certificates are kept in the catalog for the log. */
export type SignatureChecks = Omit<SignatureOptions, 'db'> & { catalog: CertificateCatalog };

/**
 * Checks the request body's detached JWS for this partner and records it on the request; nothing
 * to do for an unsigned request of a partner that need not sign. Throws a Problem otherwise.
 * Endpoints that learn the partner from the body (the portal-compatible session) call it themselves.
 */
export async function checkBodySignature(request: FastifyRequest, partner: Partner, { catalog, trust, registry, metrics }: SignatureChecks): Promise<void> {
  const header = request.headers[JWS_HEADER];
  if (header === undefined && !partner.mustSign) return;
  try {
    const verified = verifyDetachedJws(typeof header === 'string' ? header : undefined, request.rawBody ?? Buffer.alloc(0));
    checkPartnerCertificate(verified.certificateChain, partner, request.receivedAt, { trust, registry });
    request.signature = {
      format: 'jws-detached',
      value: header as string,
      keyId: verified.keyId,
      chain: await catalog.remember(verified.certificateChain),
    };
  } catch (error) {
    const problem = error instanceof JwsError ? new Problem(error.code, error.reason) : error;
    if (problem instanceof Problem) metrics?.signatureFailures.inc({ code: problem.code });
    throw problem;
  }
}

export default fp<SignatureOptions>(
  async (app, { db, ...options }) => {
    const checks: SignatureChecks = { catalog: new CertificateCatalog(db), ...options };
    app.decorateRequest('receivedAt', null as unknown as Date);
    app.decorateRequest('signature', undefined);
    app.addHook('onRequest', async (request) => {
      request.receivedAt = new Date();
    });
    app.addHook('preValidation', async (request) => {
      const partner = request.partner;
      if (!partner || !WRITE_METHODS.has(request.method) || !request.url.startsWith('/v1/')) return;
      if (request.routeOptions.config.signedInBody) return;
      await checkBodySignature(request, partner, checks);
    });
  },
  { name: 'signatures', dependencies: ['auth'] },
);
