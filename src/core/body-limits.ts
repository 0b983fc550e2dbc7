// How many bytes each kind of request body may have (docs/errors.md, payload-too-large). Each limit
// is a few times the largest legitimate body, so that a hostile one is cut off while it is still
// being read; the whole-gateway default (JSON_BODY_LIMIT in app.ts) fits a dossier with 200 documents.
export const BODY_LIMITS = {
  /** A progress event: a status, an actor, a note and a few result documents. */
  event: 256 * 1024,
  /** A postal operator's push: at most 200 events. */
  postalPush: 256 * 1024,
  /** A shipment request or a payment request. */
  request: 64 * 1024,
  /** A payment provider's notification: one transaction's fields. */
  notification: 16 * 1024,
  /** Administrative writes: a reconciliation day, a cosignature line, an empty replay or cancel. */
  command: 4 * 1024,
} as const;
