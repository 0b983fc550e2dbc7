// Pushes edXML packages to the receiving system's endpoint: the envelope as the gateway signed it,
// then each attachment streamed from the database as base64. 2xx is delivered; 408/429/5xx and network
// failures are retried; other 4xx are final (the receiver refused the package).
import { Readable } from 'node:stream';
import { request } from 'undici';
import { AttachmentsMissing, outgoingChunks } from './outgoing.js';
import { EDXML } from '../delivery/destination-names.js';
import type { Directory } from './directory.js';
import { getPackage } from './store.js';
import { connectionFailure, httpOutcome } from '../core/http-outcome.js';
import type { OutboundSigner } from '../crypto/outbound-signer.js';
import { outboundTraceparent } from '../observability/trace-context.js';
import type { Queryable } from '../store/db.js';
import type { OutboundMessage } from '../store/messages.js';
import type { Destination, ItemOutcome } from '../delivery/destination.js';

export class EdxmlDestination implements Destination {
  readonly maxBatch = 1;

  constructor(
    private readonly db: Queryable,
    private readonly directory: Directory,
    private readonly signer: OutboundSigner,
    private readonly timeoutMs: number,
  ) {}

  endpoint(message: OutboundMessage): string {
    return `${EDXML}:${(message.payload as { organId: string }).organId}`;
  }

  async deliver(messages: OutboundMessage[]): Promise<Map<string, ItemOutcome>> {
    const outcomes = new Map<string, ItemOutcome>();
    for (const message of messages) outcomes.set(message.id, await this.send(message));
    return outcomes;
  }

  private async send(message: OutboundMessage): Promise<ItemOutcome> {
    const { packageId, organId } = message.payload as { packageId: string; organId: string };
    const entry = this.directory.get(organId);
    const row = await getPackage(this.db, packageId);
    if (!entry?.endpoint) return { result: 'refused', error: `agency ${organId} has no push endpoint in the directory any more` };
    if (!row?.envelope) return { result: 'refused', error: `package ${packageId} is gone` };
    const sentBody = Buffer.from(row.envelope, 'utf8');
    const signatureValue = /<ds:SignatureValue>([^<]+)<\/ds:SignatureValue>/.exec(row.envelope)?.[1] ?? '';
    const signature = { ...this.signer.record(sentBody, ''), format: 'xmldsig' as const, value: signatureValue };
    try {
      const body = Readable.from(await outgoingChunks(this.db, row.envelope, row.attachments));
      const response = await request(entry.endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/xml; charset=utf-8',
          'x-lgsp-message-id': message.id,
          'x-edxml-package-id': packageId,
          traceparent: outboundTraceparent(message.traceparent),
        },
        body,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
      await response.body.dump();
      const outcome = httpOutcome(response.statusCode);
      if (outcome.kind === 'ok') return { result: 'delivered', sentBody, signature };
      const error = `receiver answered ${outcome.reason}`;
      return { result: outcome.kind === 'refused' ? 'refused' : 'retry', error, sentBody, signature };
    } catch (error) {
      // Bytes on the disk of an instance not yet started on this version (docs/edxml.md): retried until imported.
      if (error instanceof AttachmentsMissing) return { result: 'retry', error: error.message, sentBody, signature };
      return { result: 'retry', error: `receiver unreachable: ${connectionFailure(error).reason}`, sentBody, signature };
    }
  }
}
