// Makes the generated OpenAPI document say what the gateway really does, in one place rather than in
// every route file: refusals as application/problem+json (or the partner's protocol where a route
// speaks one), the error statuses every route can answer, security per route, success content types
// that are not JSON, enums instead of anyOf of one-value enums, status texts instead of "Default
// Response", and examples. The tables below are keyed by `METHOD /path` as the document spells paths.
import { STATUS_CODES } from 'node:http';
import { PROBLEM_TYPES, Problem, type ProblemCode } from '../core/problems.js';
import { PROBLEM_EXAMPLE, REQUEST_EXAMPLES, RESPONSE_EXAMPLES } from './openapi-examples.js';

export const PROBLEM_TYPE = 'application/problem+json';

/** Who may call: nobody in particular, a partner's API key, or the API key also as the HTTP Basic password. */
type Access = 'public' | 'api-key' | 'api-key-or-basic';

interface OperationFacts {
  access?: Access;
  /** Refusals in the partner's protocol (answered by the route itself), not as problem details. */
  protocolErrors?: boolean;
  /** Refusals this route gives beyond those every route of its kind gives. */
  moreErrors?: string[];
  /** Success bodies that are not JSON: status → content types. */
  produces?: Record<string, string[]>;
}

const TEXT = 'text/plain; charset=utf-8';
const XML = 'text/xml; charset=utf-8';

const FACTS: Record<string, OperationFacts> = {
  'GET /healthz': { access: 'public' },
  'GET /readyz': { access: 'public' },
  'GET /checkpoint': { access: 'public', produces: { 200: [TEXT] } },
  'GET /metrics': { access: 'api-key-or-basic', produces: { 200: ['text/plain; version=0.0.4; charset=utf-8'] } },
  // A signed, expiring link is the credential; the body is the file as uploaded.
  'GET /files/{id}': { access: 'public', moreErrors: ['403'], produces: { 200: ['application/octet-stream'] } },
  'GET /v1/audit/checkpoint': { produces: { 200: [TEXT] } },
  'GET /v1/audit/checkpoints/{size}': { produces: { 200: [TEXT] } },
  'GET /v1/payments/{id}/receipt': { produces: { 200: ['application/pdf'] } },
  'GET /v1/admin/reconciliations/{id}': { produces: { 200: ['application/json', 'text/csv; charset=utf-8'] } },
  'GET /v1/edxml/inbox/{id}': { produces: { 200: ['application/xml; charset=utf-8'] } },
  // Providers sign their notifications; the answer is in the provider's protocol.
  'GET /v1/payments/notifications/{provider}': { access: 'public', protocolErrors: true, produces: { 200: ['application/json', TEXT] } },
  'POST /v1/payments/notifications/{provider}': { access: 'public', protocolErrors: true, produces: { 200: ['application/json', TEXT] } },
  'GET /soap/one-stop': { access: 'public', produces: { 200: [XML] } },
  'GET /soap/one-stop.xsd': { access: 'public', produces: { 200: [XML] } },
  // WS-Security UsernameToken in the envelope, or x-api-key; refusals are SOAP Faults.
  'POST /soap/one-stop': { protocolErrors: true, produces: { 200: [XML], 500: [XML] } },
  // The portal's own login and session token, carried in the body.
  'POST /portal-compatible/login': { access: 'public', protocolErrors: true },
  'POST /portal-compatible/integration': { access: 'public', protocolErrors: true },
  'POST /portal-compatible/sharing': { access: 'public', protocolErrors: true },
};

const SECURITY: Record<Access, Array<Record<string, string[]>>> = {
  public: [],
  'api-key': [{ apiKey: [] }],
  'api-key-or-basic': [{ apiKey: [] }, { basic: [] }],
};

type Json = Record<string, any>;

export const SECURITY_SCHEMES = {
  apiKey: { type: 'apiKey', name: 'x-api-key', in: 'header', description: "The partner's API key. On the mTLS listener a registered client certificate also identifies the partner." },
  basic: { type: 'http', scheme: 'basic', description: 'The API key as the password (any user name), for Prometheus and browsers.' },
} as const;

/**
 * Per route, before the document is built: a query string that is a free map (a provider's signed
 * parameters) cannot be OpenAPI parameters, so it is described in words instead.
 */
export function documentedSchema(schema: Json | undefined): Json | undefined {
  const query = schema?.querystring;
  if (!query || !query.patternProperties) return schema;
  const { querystring: _free, ...rest } = schema;
  return { ...rest, description: [rest.description, 'Any query parameters (at most 64), as the provider sends them.'].filter(Boolean).join(' ') };
}

/** The document with the facts above applied; the input is not changed. */
export function honestDocument(input: Json): Json {
  const doc: Json = structuredClone(input);
  doc.components ??= {};
  doc.components.securitySchemes = { ...doc.components.securitySchemes, ...SECURITY_SCHEMES };
  doc.components.schemas ??= {};
  doc.components.schemas.Problem ??= problemSchema();
  for (const [path, operations] of Object.entries<Json>(doc.paths ?? {})) {
    for (const [method, operation] of Object.entries<Json>(operations)) {
      describeOperation(`${method.toUpperCase()} ${path}`, path, operation);
    }
  }
  return enumsFromLiteralUnions(doc);
}

function describeOperation(key: string, path: string, operation: Json): void {
  const facts = FACTS[key] ?? {};
  const access = facts.access ?? 'api-key';
  operation.security = SECURITY[access];
  const responses: Json = (operation.responses ??= {});

  for (const [status, types] of Object.entries(facts.produces ?? {})) {
    const schema = responses[status]?.content?.['application/json']?.schema ?? (types.some((t) => t.startsWith('application/json')) ? {} : { type: 'string' });
    responses[status] = { ...responses[status], content: Object.fromEntries(types.map((t) => [t, { schema: t.startsWith('application/json') ? schema : { type: 'string', ...(t.includes('pdf') || t.includes('octet') ? { format: 'binary' } : {}) } }])) };
  }

  if (!facts.protocolErrors) {
    // What the gateway's own error handler answers, whatever the route.
    const statuses = ['500', '503'];
    if (path.startsWith('/v1/')) statuses.push('429');
    if (access !== 'public') statuses.push('401', '403');
    if (operation.parameters?.length || operation.requestBody) statuses.push('400');
    if (path.includes('{')) statuses.push('404');
    if (operation.requestBody) statuses.push('413', '415');
    statuses.push(...(facts.moreErrors ?? []));
    for (const status of statuses) responses[status] ??= problemResponse(status);
    for (const [status, response] of Object.entries<Json>(responses)) {
      if (!/^[45]/.test(status)) continue;
      const json = response.content?.['application/json'];
      if (json) response.content = problemResponse(status).content;
    }
  } else if (path.startsWith('/v1/')) {
    // Rate limits and failures before the provider's adapter still reach the gateway's handler.
    responses['429'] ??= problemResponse('429');
  }

  for (const [status, response] of Object.entries<Json>(responses)) {
    if (!response.description || response.description === 'Default Response') response.description = statusText(status);
    const example = RESPONSE_EXAMPLES[`${key} ${status}`];
    if (example !== undefined && response.content?.['application/json']) response.content['application/json'].example = example;
  }
  const requestExample = REQUEST_EXAMPLES[key];
  const requestJson = operation.requestBody?.content?.['application/json'];
  if (requestExample !== undefined && requestJson) requestJson.example = requestExample;
}

/** A problem response whose example is the first catalogue code of that status. */
function problemResponse(status: string): Json {
  const code = (Object.keys(PROBLEM_TYPES) as ProblemCode[]).find((c) => String(PROBLEM_TYPES[c].status) === status);
  const example = code ? new Problem(code).toJSON() : PROBLEM_EXAMPLE;
  return { description: '', content: { [PROBLEM_TYPE]: { schema: { $ref: '#/components/schemas/Problem' }, example } } };
}

function statusText(status: string): string {
  if (status === '4XX') return 'Refused (problem details; see docs/errors.md)';
  if (status === '5XX') return 'Failed; nothing was stored';
  if (status === 'default') return 'Any other answer';
  return STATUS_CODES[Number(status)] ?? status;
}

function problemSchema(): Json {
  return {
    type: 'object',
    description: 'RFC 9457 problem details; `code` is stable (docs/errors.md). Schema refusals add `errors`.',
    required: ['type', 'title', 'status', 'code'],
    additionalProperties: true,
    properties: {
      type: { type: 'string' },
      title: { type: 'string' },
      status: { type: 'integer' },
      code: { type: 'string', description: 'Stable error code; see docs/errors.md' },
      detail: { type: 'string' },
      instance: { type: 'string' },
      errors: {
        type: 'array',
        maxItems: 20,
        items: {
          type: 'object',
          properties: { path: { type: 'string' }, message: { type: 'string' }, keyword: { type: 'string' }, allowedValues: { type: 'array', items: {} } },
        },
      },
    },
    example: PROBLEM_EXAMPLE,
  };
}

/**
 * TypeBox writes `Union([Literal('live'), Literal('bulk')])` as anyOf of one-value enums (or consts),
 * which Swagger UI shows as its first branch only; one `enum` says the same and shows every value.
 */
export function enumsFromLiteralUnions<T>(node: T): T {
  if (Array.isArray(node)) return node.map(enumsFromLiteralUnions) as T;
  if (!node || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node as Json)) out[k] = enumsFromLiteralUnions(v);
  for (const keyword of ['anyOf', 'oneOf']) {
    const branches = out[keyword];
    if (!Array.isArray(branches) || branches.length === 0) continue;
    const values = branches.map(literalOf);
    if (values.some((v) => v === undefined)) continue;
    const types = new Set(branches.map((b: Json) => b.type));
    delete out[keyword];
    if (types.size === 1 && [...types][0] !== undefined) out.type = [...types][0];
    out.enum = values.map((v) => v!.value);
  }
  return out as T;
}

function literalOf(branch: Json): { value: unknown } | undefined {
  const keys = Object.keys(branch).filter((k) => k !== 'type');
  if (keys.length !== 1) return undefined;
  if (keys[0] === 'const') return { value: branch.const };
  if (keys[0] === 'enum' && Array.isArray(branch.enum) && branch.enum.length === 1) return { value: branch.enum[0] };
  return undefined;
}
