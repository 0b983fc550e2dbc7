// A stored package as it leaves the gateway, pushed or fetched: the envelope as the gateway signed it,
// then each attachment streamed from disk as base64.
import { packageChunks } from '../../adapters/edxml/index.js';
import { attachmentFile } from './receive.js';
import type { StoredAttachment } from './store.js';

export function outgoingChunks(envelope: string, attachments: readonly StoredAttachment[], attachmentDir: string): AsyncGenerator<Buffer> {
  return packageChunks(envelope, attachments.map((a) => ({ reference: a, source: { file: attachmentFile(attachmentDir, a.sha256) } })));
}
