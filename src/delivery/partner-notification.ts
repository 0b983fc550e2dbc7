// The one way to tell a partner, through its webhook, that something it sent moved on (a delivery,
// a payment, a shipment). A partner without a webhook URL is told nothing; the message goes on the
// webhook destination's line that `line` names, so the partner hears one subject's news in order.
import { randomUUID } from 'node:crypto';
import type { PartnerRegistry } from '../partners/registry.js';
import type { Queryable } from '../store/db.js';
import { insertMessage, type Lane, type NewMessage } from '../store/messages.js';
import { WEBHOOK } from './destination-names.js';

export interface PartnerNotification {
  partnerId: string;
  /** The message kind, e.g. 'payment-status'. */
  kind: string;
  dossierCode: string;
  /** What the notifications are ordered by, after the partner: e.g. `payment:<id>` or the dossier code. */
  line: string;
  lane: Lane;
  payload: Record<string, unknown>;
  traceparent?: string | undefined;
}

/** The webhook message for a notification, or undefined when the partner has no webhook. */
export function partnerNotification(registry: PartnerRegistry, n: PartnerNotification): NewMessage | undefined {
  const partner = registry.get(n.partnerId);
  if (!partner?.webhookUrl) return undefined;
  return {
    id: randomUUID(),
    destination: WEBHOOK,
    kind: n.kind,
    partnerId: partner.id,
    dossierCode: n.dossierCode,
    orderKey: `${partner.id}|${n.line}`,
    lane: n.lane,
    batchKey: `${WEBHOOK}|${partner.id}`,
    traceparent: n.traceparent,
    payload: n.payload,
  };
}

/** Writes the notification in the caller's transaction; answers what to enqueue once it commits. */
export async function queuePartnerNotification(tx: Queryable, registry: PartnerRegistry, n: PartnerNotification): Promise<{ id: string; lane: Lane } | undefined> {
  const message = partnerNotification(registry, n);
  if (!message) return undefined;
  await insertMessage(tx, message);
  return { id: message.id, lane: message.lane };
}
