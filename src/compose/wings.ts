// The wings both gateway roles share, set up once from the core: acceptance, the national portal and
// the other delivery roads (webhook, edXML, postal), payments, and the processor that delivers.
import { NationalPortalClient, NationalPortalDestination, type TranslateContext } from '../../adapters/national-portal/index.js';
import { PostalDestination } from '../../adapters/postal-bcci/index.js';
import { EDXML, NATIONAL_PORTAL, POSTAL, WEBHOOK } from '../delivery/destination-names.js';
import type { Destination } from '../delivery/destination.js';
import { DeliveryProcessor } from '../delivery/processor.js';
import { WebhookDestination } from '../delivery/webhook-destination.js';
import type { AcceptContext } from '../dossiers/accept.js';
import { EdxmlDestination } from '../edxml/destination.js';
import type { EdxmlContext } from '../edxml/receive.js';
import { setUpEdxml } from '../edxml/setup.js';
import { setUpPayments, type PaymentProviders } from '../payments/setup.js';
import { setUpPostal, type PostalSetup } from '../postal/setup.js';
import { shipmentOrders } from '../postal/store.js';
import type { Core } from './core.js';

export interface Wings {
  accept: AcceptContext;
  /** Absent when no portal URL is known (a worker refuses to start without one). */
  portalClient: NationalPortalClient | undefined;
  edxml: EdxmlContext;
  postal: PostalSetup | undefined;
  payments: PaymentProviders;
  processor: DeliveryProcessor;
}

export async function setUpWings(core: Core, portalUrl: string | undefined): Promise<Wings> {
  const { config, db, registry, outbound, signing, logger, closers } = core;
  const accept: AcceptContext = { db, registry, attachmentUrlAllowlist: config.attachmentUrlAllowlist, grouping: config.acceptGroup };
  const destinations = new Map<string, Destination>();
  const portalClient = portalUrl ? nationalPortal(core, portalUrl) : undefined;
  if (portalClient) {
    const attachments: TranslateContext = { attachmentUrl: (ref) => (ref.fileId ? core.fileLinks.url(ref.fileId) : ref.url) };
    destinations.set(NATIONAL_PORTAL, new NationalPortalDestination(portalClient, registry, attachments, outbound));
  }
  destinations.set(WEBHOOK, new WebhookDestination(registry, config.delivery.webhookTimeoutMs, outbound));
  const edxml = await setUpEdxml(config, db, registry, signing.trust, signing.keyRing.active);
  destinations.set(EDXML, new EdxmlDestination(db, edxml.directory, edxml.attachmentDir, outbound, config.delivery.webhookTimeoutMs));
  const postal = await setUpPostal(config, outbound, signing.devPkiDir, logger);
  if (postal) {
    destinations.set(POSTAL, new PostalDestination(shipmentOrders(db), postal.client, outbound, postal.allocateItemCode));
    closers.add(async () => {
      await postal.client.close();
      await postal.simulator?.close();
    });
  }
  closers.add(async () => {
    for (const d of destinations.values()) await d.close?.();
  });
  const payments = await setUpPayments(config, outbound, logger);
  closers.add(() => payments.close());
  const processor = new DeliveryProcessor({ db, destinations, registry, delivery: config.delivery, queue: core.queues, logger, metrics: core.metrics });
  return { accept, portalClient, edxml, postal, payments, processor };
}

function nationalPortal({ config, outbound }: Core, baseUrl: string): NationalPortalClient {
  const portal = config.nationalPortal;
  return new NationalPortalClient({
    baseUrl,
    loginPath: portal.loginPath,
    integrationPath: portal.integrationPath,
    sharingPath: portal.sharingPath,
    timeoutMs: portal.timeoutMs,
    ...(portal.dstcode ? { dstcode: portal.dstcode } : {}),
    sign: (body) => outbound.jws(body),
  });
}
