// What the gateway knows of one dossier, as GET /v1/dossiers/{code} and the SOAP GetDossierState
// show it: the dossier, its events, and how far each message got toward the national portal.
import type { Dossier, DossierEvent } from '../../schemas/dossier.js';
import { Problem } from '../core/problems.js';
import { mayActOn, partiesOf } from '../partners/ownership.js';
import type { Partner, PartnerRegistry } from '../partners/registry.js';
import type { Db } from '../store/db.js';
import { messagesOfDossier } from '../store/messages.js';
import { NATIONAL_PORTAL } from '../delivery/destination-names.js';
import { deliveryView, type DeliveryView } from './delivery-view.js';

export interface DossierState {
  dossier: Dossier;
  status: string;
  events: (DossierEvent & { delivery: DeliveryView | null })[];
  deliveries: DeliveryView[];
}

/** Refuses a dossier the partner may not see exactly like one that does not exist. */
export async function dossierState(db: Db, registry: PartnerRegistry, partner: Partner, code: string): Promise<DossierState> {
  const [row] = await db.query<{ status: string; body: Dossier }>('SELECT status, body FROM dossiers WHERE code = $1', [code]);
  if (!row || mayActOn(registry, partner, 'read', await partiesOf(db, code)) !== 'allowed') {
    throw new Problem('dossier-not-found', `No dossier ${code} among the agencies you act for`);
  }
  const events = await db.query<{ body: DossierEvent; message_id: string }>(
    'SELECT body, message_id FROM dossier_events WHERE dossier_code = $1 ORDER BY sequence',
    [code],
  );
  const deliveries = (await messagesOfDossier(db, NATIONAL_PORTAL, code)).map(deliveryView);
  const byMessage = new Map(deliveries.map((d) => [d.messageId, d]));
  return {
    dossier: row.body,
    status: row.status,
    events: events.map((e) => ({ ...e.body, delivery: byMessage.get(e.message_id) ?? null })),
    deliveries,
  };
}
