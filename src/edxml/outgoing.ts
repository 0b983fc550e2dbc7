// A stored package as it leaves the gateway, pushed or fetched: the envelope as the gateway signed it,
// then each attachment streamed from the database as base64, part by part.
import { packageChunks } from '../../adapters/edxml/index.js';
import type { Queryable } from '../store/db.js';
import { attachmentBytes, missingAttachments } from './attachments.js';
import type { StoredAttachment } from './store.js';

/** Thrown before the first byte when an attachment of the package is not in the database. */
export class AttachmentsMissing extends Error {}

export async function outgoingChunks(q: Queryable, envelope: string, attachments: readonly StoredAttachment[]): Promise<AsyncGenerator<Buffer>> {
  // Checked up front: a package cut off halfway would reach the receiver as a broken body.
  const missing = await missingAttachments(q, [...new Set(attachments.map((a) => a.sha256))]);
  if (missing.length > 0) throw new AttachmentsMissing(`attachment(s) ${missing.join(', ')} are not in the database (docs/edxml.md, "Where attachments live")`);
  return packageChunks(envelope, attachments.map((a) => ({ reference: a, source: { chunks: attachmentBytes(q, a.sha256) } })));
}
