// The SOAP front door for one-stop systems that speak only SOAP 1.1: the WSDL and its XSD, and one
// endpoint whose operations join the canonical path of /v1. Everything here answers in SOAP terms,
// refusals included (a Fault with the stable code in its detail), never in problem+json.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { Type, type TSchema } from '@sinclair/typebox';
import { CertificateCatalog } from '../audit/certificates.js';
import { refusalSource, type RefusalLog } from '../audit/refusal-log.js';
import { sha256Hex } from '../core/hash.js';
import { Problem } from '../core/problems.js';
import type { Signer } from '../crypto/signer.js';
import type { TrustChecker } from '../crypto/trust.js';
import type { Enqueuer } from '../delivery/enqueuer.js';
import type { AcceptContext } from '../dossiers/accept.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import { toProblem } from '../plugins/problems.js';
import { faultEnvelope, payloadOf, readSoapCall, signedResponse } from './envelope.js';
import { checkTimes, NonceMemory, type FreshnessRules } from './freshness.js';
import { runOperation, WRITE_OPERATIONS, type Validate } from './operations.js';
import { parseSoap, soapPartner, verifySoapSignature } from './security.js';
import { validationErrors } from '../plugins/validation-errors.js';
import type { Db } from '../store/db.js';
import type { PartnerRegistry } from '../partners/registry.js';

export interface SoapFrontDoorOptions {
  db: Db;
  registry: PartnerRegistry;
  accept: AcceptContext;
  queue: Enqueuer;
  trust: TrustChecker;
  /** The gateway's signer: every response is signed with it. */
  signer: Signer;
  metrics?: GatewayMetrics;
  /** Where UsernameToken nonces are remembered, shared by every API instance. */
  redis: Redis;
  redisPrefix: string;
  freshness: FreshnessRules;
  /** Refused calls are recorded (metadata only, sampled) as on every other route. */
  refusals: RefusalLog;
}

export const SOAP_PATH = '/soap/one-stop';
/** As for JSON: files travel by reference (POST /v1/files), so a dossier message stays small. */
const MAX_SOAP_BYTES = 1024 * 1024;
const XML_TYPE = 'text/xml; charset=utf-8';
// tsc emits no .wsdl/.xsd: under tsx they are two levels up (src/soap), after a build three (dist/src/soap).
const DESCRIPTION_FOLDERS = [new URL('../../schemas/soap/', import.meta.url), new URL('../../../schemas/soap/', import.meta.url)];
const PLACEHOLDER_LOCATION = 'http://localhost:8080/soap/one-stop';

/** What the refusal's log record says about a call, filled in as the call is read. */
interface CallTrace {
  operation?: string;
  partnerId?: string;
  dossierCode?: string;
}

/** The validator Fastify compiles for /v1 bodies (same Ajv, same options), applied to what the XML said. */
function canonicalValidator(request: FastifyRequest): Validate {
  return (schema: TSchema, value: unknown, path: string) => {
    const check = request.compileValidationSchema(schema);
    if (check(value)) return;
    const errors = validationErrors(check.errors ?? [], path);
    throw new Problem('invalid-request', 'The message does not match the schema', { errors });
  };
}

const soapFrontDoor: FastifyPluginAsync<SoapFrontDoorOptions> = async (app, { db, registry, accept, queue, trust, signer, metrics, redis, redisPrefix, freshness, refusals }) => {
  const nonces = new NonceMemory(redis, redisPrefix, freshness);
  const catalog = new CertificateCatalog(db);
  const folder = DESCRIPTION_FOLDERS.find((url) => existsSync(new URL('one-stop.wsdl', url)));
  if (!folder) throw new Error(`The SOAP service description is in none of ${DESCRIPTION_FOLDERS.map((url) => url.pathname).join(', ')}`);
  const [wsdl, xsd] = await Promise.all([readFile(new URL('one-stop.wsdl', folder), 'utf8'), readFile(new URL('one-stop.xsd', folder), 'utf8')]);
  const traces = new WeakMap<FastifyRequest, CallTrace>();

  app.addContentTypeParser(['text/xml', 'application/xml'], { parseAs: 'buffer', bodyLimit: MAX_SOAP_BYTES }, (_request, body, done) => done(null, body));

  const sendFault = async (request: FastifyRequest, reply: FastifyReply, error: unknown) => {
    const problem = error instanceof Problem ? error : toProblem(error as FastifyError);
    if (problem.code === 'internal-error') request.log.error({ err: error }, 'SOAP call failed');
    if (problem.code.startsWith('signature_') || problem.code.startsWith('certificate_')) metrics?.signatureFailures.inc({ code: problem.code });
    if (request.method === 'POST' && problem.status < 500) {
      const trace = traces.get(request) ?? {};
      const partnerId = trace.partnerId ?? request.partner?.id;
      await refusals.recordOrWarn(
        {
          source: refusalSource(partnerId, request.ip),
          partnerId,
          endpoint: `POST ${SOAP_PATH}${trace.operation ? ` ${trace.operation}` : ''}`,
          dossierCode: trace.dossierCode && trace.dossierCode.length <= 64 ? trace.dossierCode : undefined,
          errorCode: problem.code,
        },
        request.log,
      );
    }
    // SOAP 1.1 over HTTP answers every Fault with 500 (WS-I Basic Profile 1.1, R1126).
    return reply.code(500).type(XML_TYPE).send(faultEnvelope(problem));
  };
  // Refusals before the handler (body too large, content type, rate limit) are Faults too.
  app.setErrorHandler(async (error, request, reply) => sendFault(request, reply, error));

  const wsdlSchema = {
    tags: ['soap'],
    summary: 'The WSDL of the SOAP front door (SOAP 1.1, document/literal)',
    querystring: Type.Object({ wsdl: Type.Optional(Type.String()) }),
  };
  app.get(SOAP_PATH, { schema: wsdlSchema }, async (request, reply) => {
    // The address clients call is the one they fetched the WSDL from.
    const host = /^[A-Za-z0-9.:[\]-]{1,255}$/.test(request.host) ? request.host : 'localhost';
    return reply.type(XML_TYPE).send(wsdl.replace(PLACEHOLDER_LOCATION, `${request.protocol}://${host}${SOAP_PATH}`));
  });
  app.get(`${SOAP_PATH}.xsd`, { schema: { tags: ['soap'], summary: 'The XSD the WSDL imports' } }, async (_request, reply) => reply.type(XML_TYPE).send(xsd));

  app.post(
    SOAP_PATH,
    {
      schema: {
        tags: ['soap'],
        summary: 'SOAP 1.1 endpoint: SubmitDossier, SubmitProgressEvent, GetDossierState',
        description:
          'text/xml SOAP envelopes as described by the WSDL (GET ?wsdl). Authentication: WS-Security UsernameToken (partner id, API key as PasswordText) or x-api-key. ' +
          'Optional XML Signature over soap:Body (required for mustSign partners). Responses are signed; refusals are SOAP Faults with a stable code.',
        headers: Type.Object({ 'x-api-key': Type.Optional(Type.String()), soapaction: Type.Optional(Type.String()) }),
      },
    },
    async (request, reply) => {
      const trace: CallTrace = {};
      traces.set(request, trace);
      try {
        const raw = request.body;
        if (!Buffer.isBuffer(raw)) throw new Problem('unsupported-media-type', 'Send a SOAP 1.1 envelope as text/xml');
        const call = readSoapCall(parseSoap(raw, MAX_SOAP_BYTES));
        trace.operation = call.operation;
        const partner = soapPartner(call, { partner: request.partner, apiKeySent: request.headers['x-api-key'] !== undefined }, registry);
        trace.partnerId = partner.id;
        if (!partner.roles.has('one-stop') && !partner.roles.has('agency-system')) {
          throw new Problem('forbidden-role', 'The SOAP front door is for the roles one-stop, agency-system');
        }
        const write = WRITE_OPERATIONS.has(call.operation);
        let payload = call.payload;
        let signature;
        if (call.signed) {
          const verified = await verifySoapSignature(raw, partner, request.receivedAt, { trust, registry: registry, catalog, maxBytes: MAX_SOAP_BYTES });
          // Business data is read from the document whose signature was checked, and nowhere else.
          payload = payloadOf(verified.document);
          signature = verified.signature;
        } else if (partner.mustSign && write) {
          throw new Problem('signature-missing', 'This partner must sign its SOAP requests: an XML Signature over soap:Body');
        }
        await nonces.remember(partner.id, call, checkTimes(call, request.receivedAt, freshness));
        const result = await runOperation(
          {
            db,
            registry,
            accept,
            queue,
            log: request.log,
            validate: canonicalValidator(request),
            request: {
              partner,
              endpoint: `POST ${SOAP_PATH} ${call.operation}`,
              rawBody: raw,
              rawBodySha256: sha256Hex(raw),
              traceparent: request.traceparent,
              signature,
              idempotencyKey: undefined,
            },
            onDossierCode: (code) => {
              trace.dossierCode = code;
            },
          },
          call.operation,
          payload,
        );
        return reply.type(XML_TYPE).send(signedResponse(call.operation, result, signer));
      } catch (error) {
        return sendFault(request, reply, error);
      }
    },
  );
};

export default soapFrontDoor;
