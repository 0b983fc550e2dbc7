// A document's trail: who sent it, every package about it with its hops and deliveries, and every
// status the receivers reported. Only systems involved in the document (and admins) may read it.
import { STATUS_CODES, type StatusCode } from '../../adapters/edxml/index.js';
import { Problem } from '../core/problems.js';
import { mayReadTrail } from '../partners/ownership.js';
import type { Partner } from '../partners/registry.js';
import type { Db } from '../store/db.js';
import { deliveriesOf, hopsOf, packagesOfDocument, type DeliveryRow } from './store.js';

export async function documentTrail(db: Db, partner: Partner, documentId: string) {
  const all = await packagesOfDocument(db, documentId);
  const deliveries = await deliveriesOf(db, all.map((p) => p.id));
  const involved = mayReadTrail(partner, all.some((p) => p.partnerId === partner.id) || deliveries.some((d) => d.partnerId === partner.id));
  // Refused packages are shown to whoever sent them (and to admins) only.
  const visible = all.filter((p) => p.state === 'accepted' || p.partnerId === partner.id || partner.roles.has('admin'));
  if (!involved || visible.length === 0) throw new Problem('edxml-not-found', `No edXML document ${documentId} among yours`);
  const document = visible.find((p) => p.kind === 'document' && p.state === 'accepted');
  return {
    documentId,
    sender: document?.partnerId ?? null,
    packages: visible.map((p) => ({
      packageId: p.id,
      kind: p.kind,
      state: p.state,
      sentBy: p.partnerId,
      from: p.fromOrganId,
      to: p.toOrganIds,
      statusCode: p.statusCode,
      refusal: p.refusalCode ? { code: p.refusalCode, reason: p.refusalReason ?? '' } : null,
      receivedAt: new Date(p.receivedAt).toISOString(),
      hops: hopsOf(p),
      deliveries: deliveries.filter((d) => d.packageId === p.id).map(deliveryView),
    })),
    statuses: visible.flatMap((p) => {
      const envelope = p.header?.envelope;
      if (envelope?.kind !== 'status') return [];
      const s = envelope.status;
      return [{ from: s.from.organId, statusCode: s.statusCode, meaning: STATUS_CODES[s.statusCode as StatusCode], description: s.description ?? null, timestamp: s.timestamp, staff: s.staffInfo?.staff ?? null, receivedAt: new Date(p.receivedAt).toISOString() }];
    }),
  };
}

function deliveryView(d: DeliveryRow) {
  const iso = (v: Date | null) => (v ? new Date(v).toISOString() : null);
  const state = d.mode === 'inbox' ? (d.acknowledgedAt ? 'acknowledged' : 'in-inbox') : (d.state ?? 'pending');
  return { organId: d.organId, partnerId: d.partnerId, mode: d.mode, state, attempts: d.attempts ?? 0, lastError: d.lastError, deliveredAt: iso(d.deliveredAt), acknowledgedAt: iso(d.acknowledgedAt) };
}
