// The national portal as a delivery destination: canonical snapshots are translated at send time
// (so attachment links are fresh), batched per service and isUpdating, and sent with the adapter.
import type { Dossier, DossierEvent } from '../../schemas/dossier.js';
import { portalCallOf } from './batching.js';
import { deliverBatch } from './deliver.js';
import type { NationalPortalClient } from './client.js';
import { toDossierItem, toProgressItem, type TranslateContext } from './translate.js';
import type { OutboundSigner } from '../../src/crypto/outbound-signer.js';
import { outboundTraceparent } from '../../src/observability/trace-context.js';
import type { PartnerRegistry } from '../../src/partners/registry.js';
import type { OutboundMessage } from '../../src/store/messages.js';
import type { Destination, ItemOutcome } from '../../src/delivery/destination.js';
import { signCall } from '../../src/audit/call-manifest.js';

export class NationalPortalDestination implements Destination {
  readonly maxBatch = 500;

  constructor(
    private readonly client: NationalPortalClient,
    private readonly registry: PartnerRegistry,
    private readonly attachments: TranslateContext,
    private readonly signer: OutboundSigner,
  ) {}

  endpoint(message: OutboundMessage): string {
    return `national-portal:${portalCallOf(message.kind).service}`;
  }

  async deliver(messages: OutboundMessage[]): Promise<Map<string, ItemOutcome>> {
    const first = messages[0]!;
    const account = this.registry.portalAccountFor(first.agencyCode ?? '');
    if (!account) {
      const error = `no national portal account is configured for agency ${first.agencyCode}`;
      return new Map(messages.map((m) => [m.id, { result: 'retry', error }]));
    }
    const sent = messages.map((m) => {
      const item = m.kind === 'dossier-event' ? toProgressItem(m.dossierCode!, (m.payload as { event: DossierEvent }).event) : toDossierItem(m.payload as Dossier, this.attachments);
      return { id: m.id, code: m.dossierCode!, item, bytes: Buffer.from(JSON.stringify(item)) };
    });
    const { service, isUpdating } = portalCallOf(first.kind);
    // The call carries many citizens' dossiers: one signature over the call's manifest of salted
    // commitments, so that an auditor can check one dossier's record without seeing the others.
    const signatures = signCall(this.signer, { destination: 'national-portal', endpoint: this.endpoint(first) }, sent.map((s) => s.bytes));
    const items = sent.map((s, i) => ({ ...s, signature: signatures[i]! }));
    // A call carries many messages; it continues the trace of the first, the one that opened the batch.
    const outcomes = await deliverBatch(this.client, account, service, isUpdating, items, { traceparent: outboundTraceparent(first.traceparent) });
    return new Map(
      items.map(({ id, bytes, signature }) => {
        const outcome: ItemOutcome = outcomes.get(id) ?? { result: 'retry', error: 'the adapter reported nothing for this item' };
        return [id, { ...outcome, sentBody: bytes, signature }];
      }),
    );
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
