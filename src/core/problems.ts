// Refusals on /v1 routes are RFC 9457 problem details with a stable `code` that partners can branch on.
// The catalogue below is the whole list; docs/errors.md describes each code.

export const PROBLEM_TYPES = {
  'invalid-request': { status: 400, title: 'The request does not match the schema' },
  'malformed-json': { status: 400, title: 'The body is not valid JSON' },
  'json-too-deep': { status: 400, title: 'The JSON body is nested too deeply' },
  'malformed-xml': { status: 400, title: 'The body is not acceptable XML (malformed, too large, or with a DOCTYPE, entities, comments or processing instructions)' },
  'attachment-not-allowed': { status: 400, title: 'An attachment URL is not on the allow-list and is not a gateway file' },
  'unknown-file': { status: 400, title: 'A referenced file id is not one of your uploaded files' },
  'edxml-malformed': { status: 400, title: 'The edXML package is not one the strict reader accepts' },
  'invalid-utf8': { status: 400, title: 'The body is not valid UTF-8' },
  'malformed-http': { status: 400, title: 'The request is not well-formed HTTP' },
  'callback-stale': { status: 400, title: "The callback's time is outside the accepted window" },
  unauthenticated: { status: 401, title: 'A valid x-api-key header or client certificate is required' },
  'signature-missing': { status: 401, title: 'This partner must sign its messages: the X-JWS-Signature header is missing' },
  'signature-invalid': { status: 401, title: 'The message signature does not verify over the bytes received' },
  'certificate-untrusted': { status: 401, title: 'The signing certificate is not trusted for this partner at this time' },
  'certificate-revoked': { status: 401, title: 'The signing certificate is revoked' },
  'forbidden-role': { status: 403, title: 'Your partner role may not use this route' },
  'forbidden-agency': { status: 403, title: 'You do not act for this agency' },
  'edxml-sender-mismatch': { status: 403, title: 'The From agency of the edXML package is not one your system serves' },
  'invalid-file-link': { status: 403, title: 'The file link is invalid or has expired' },
  'not-found': { status: 404, title: 'No such resource' },
  'dossier-not-found': { status: 404, title: 'No such dossier among those you may see' },
  'message-not-found': { status: 404, title: 'No such message' },
  'shipment-not-found': { status: 404, title: 'No such shipment among yours' },
  'payment-not-found': { status: 404, title: 'No such payment among yours' },
  'edxml-not-found': { status: 404, title: 'No such edXML document or inbox item among yours' },
  'illegal-transition': { status: 409, title: 'The status machine does not allow this transition' },
  'status-change-requires-event': { status: 409, title: 'Change a dossier status with an event, not an update' },
  'sequence-gap': { status: 409, title: 'The event sequence skips a number' },
  'sequence-conflict': { status: 409, title: 'An event with this sequence was already accepted with other content' },
  'dossier-not-created': { status: 409, title: 'Create the dossier before sending its events' },
  'idempotency-key-reused': { status: 409, title: 'The Idempotency-Key was used for a different request' },
  'message-not-dead': { status: 409, title: 'Only a dead-lettered message can be replayed' },
  'agency-change': { status: 409, title: 'A dossier cannot move to another agency' },
  'fee-already-paid': { status: 409, title: 'A fee line of this dossier is already paid' },
  'shipment-exists': { status: 409, title: 'A shipment of this kind already exists for the dossier' },
  'shipment-not-cancellable': { status: 409, title: 'The shipment can no longer be cancelled' },
  'edxml-duplicate': { status: 409, title: 'This DocumentId was already sent with other content' },
  'dossier-handed-over': { status: 409, title: 'The dossier was handed over: the agency holding it now reports its progress' },
  'payload-too-large': { status: 413, title: 'The body is larger than this route accepts' },
  'uri-too-long': { status: 414, title: 'A path parameter is longer than any id the gateway knows' },
  'unsupported-media-type': { status: 415, title: 'This content type is not accepted here' },
  'edxml-unknown-receiver': { status: 422, title: 'A To agency of the edXML package is not in the directory, or its system does not take this package' },
  'edxml-unknown-document': { status: 422, title: 'The package answers or changes a document that was not sent (to its From agency)' },
  'headers-too-large': { status: 431, title: 'The request headers are too large' },
  'rate-limited': { status: 429, title: 'Too many requests' },
  'internal-error': { status: 500, title: 'The gateway failed; nothing was stored' },
  unavailable: { status: 503, title: 'A dependency of the gateway is unavailable' },
  overloaded: { status: 503, title: 'The gateway is overloaded; retry later' },
  'message-expired': { status: 401, title: 'The WS-Security Created or Expires is outside the accepted window' },
  'nonce-replayed': { status: 401, title: 'The UsernameToken Nonce was already used within the accepted window' },
  'invalid-characters': { status: 400, title: 'A string holds a NUL character or a lone surrogate, which is not text the gateway can store' },
  'ambiguous-json': { status: 400, title: 'The JSON has a duplicate key or an integer beyond 2^53, which JSON readers disagree on' },
  'unstorable-value': { status: 400, title: 'A value cannot be stored as given' },
  'request-timeout': { status: 408, title: 'The request did not arrive in time (REQUEST_TIMEOUT_MS)' },
  'reconciliation-not-found': { status: 404, title: 'No such reconciliation' },
  'reconciliation-not-done': { status: 409, title: 'The reconciliation has no report yet: it is queued, running or failed' },
} as const;

export type ProblemCode = keyof typeof PROBLEM_TYPES;

export const PROBLEM_TYPE_BASE = 'https://lgsp.gateway/problems/';

export class Problem extends Error {
  readonly status: number;
  readonly title: string;
  constructor(
    readonly code: ProblemCode,
    readonly detail?: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(detail ?? PROBLEM_TYPES[code].title);
    this.name = 'Problem';
    this.status = PROBLEM_TYPES[code].status;
    this.title = PROBLEM_TYPES[code].title;
  }

  toJSON(instance?: string): Record<string, unknown> {
    return {
      type: PROBLEM_TYPE_BASE + this.code,
      title: this.title,
      status: this.status,
      code: this.code,
      ...(this.detail ? { detail: this.detail } : {}),
      ...(instance ? { instance } : {}),
      ...this.extensions,
    };
  }
}
