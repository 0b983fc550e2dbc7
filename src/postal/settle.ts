// What follows once a shipment's reports are committed: their webhook notifications are queued, and a
// delivered result shipment whose requester asked for it moves the dossier to RETURNED, as an event
// of the dossier's own line (so the national portal learns it too).
import type { Logger } from 'pino';
import type { DossierEvent } from '../../schemas/dossier.js';
import { sha256Hex } from '../core/hash.js';
import { Problem } from '../core/problems.js';
import type { Enqueuer } from '../delivery/enqueuer.js';
import { enqueueAfterCommit } from '../delivery/enqueue-after-commit.js';
import { acceptEvent, type AcceptContext } from '../dossiers/accept.js';
import type { PartnerRegistry } from '../partners/registry.js';
import type { Db } from '../store/db.js';
import type { ApplyResult } from './reports.js';

export interface SettleDeps {
  db: Db;
  registry: PartnerRegistry;
  accept: AcceptContext;
  queue: Enqueuer;
  logger: Logger;
}

export async function settleReports(result: ApplyResult, deps: SettleDeps): Promise<void> {
  const enqueue = [...result.enqueue];
  const { shipment } = result;
  if (result.deliveredAt && shipment.kind === 'delivery' && shipment.request.returnDossierOnDelivery) {
    enqueue.push(...(await returnDossier(result, deps)));
  }
  await enqueueAfterCommit(deps.queue, enqueue, deps.logger);
}

async function returnDossier({ shipment, deliveredAt }: ApplyResult, { db, registry, accept, logger }: SettleDeps) {
  const partner = registry.get(shipment.partner_id);
  const [dossier] = await db.query<{ last_event_sequence: number }>('SELECT last_event_sequence FROM dossiers WHERE code = $1', [shipment.dossier_code]);
  if (!partner || !dossier) {
    logger.warn({ shipmentId: shipment.id }, 'result delivered, but the dossier is not known here: not moved to RETURNED');
    return [];
  }
  const event: DossierEvent = {
    sequence: dossier.last_event_sequence + 1,
    status: 'RETURNED',
    at: deliveredAt!,
    actor: { name: 'Bưu chính công ích', title: 'Postal public service' },
    note: `Kết quả đã phát cho công dân qua bưu chính (${shipment.item_code ?? shipment.order_number})`,
  };
  const body = Buffer.from(JSON.stringify(event));
  try {
    const accepted = await acceptEvent(
      accept,
      // The key makes the move happen once, however often the delivered report is settled.
      { partner, endpoint: 'postal:delivered', rawBodySha256: sha256Hex(body), rawBody: body, idempotencyKey: `postal-return:${shipment.id}`, lane: 'live' },
      shipment.dossier_code,
      event,
    );
    return accepted.enqueue;
  } catch (error) {
    if (!(error instanceof Problem)) throw error;
    logger.warn({ shipmentId: shipment.id, code: error.code }, 'result delivered, but the dossier could not move to RETURNED');
    return [];
  }
}
