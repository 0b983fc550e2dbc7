// The wings both gateway roles share, set up once from the core: acceptance, the national portal and
// the other delivery roads (webhook, edXML, postal), payments, and the processor that delivers.
import { NationalPortalClient, NationalPortalDestination, type TranslateContext } from '../../adapters/national-portal/index.js';
import { EDXML, NATIONAL_PORTAL, POSTAL, WEBHOOK } from '../delivery/destination-names.js';
import type { Destination } from '../delivery/destination.js';
import { DeliveryProcessor } from '../delivery/processor.js';
import { WebhookDestination } from '../delivery/webhook-destination.js';
import type { AcceptContext } from '../dossiers/accept.js';
import type { EdxmlContext } from '../edxml/receive.js';
import * as edxmlWing from '../edxml/setup.js';
import * as paymentsWing from '../payments/setup.js';
import * as postalWing from '../postal/setup.js';
import type { Core } from './core.js';

export interface Wings {
  accept: AcceptContext;
  /** Absent when no portal URL is known (a worker refuses to start without one). */
  portalClient: NationalPortalClient | undefined;
  edxml: EdxmlContext;
  postal: postalWing.PostalSetup | undefined;
  payments: paymentsWing.PaymentProviders;
  processor: DeliveryProcessor;
}

export async function setUpWings(core: Core, portalUrl: string | undefined): Promise<Wings> {
  const { config, db, registry, outbound, closers } = core;
  const accept: AcceptContext = { db, registry, attachmentUrlAllowlist: config.attachmentUrlAllowlist, grouping: config.acceptGroup };
  const destinations = new Map<string, Destination>();
  const portalClient = portalUrl ? nationalPortal(core, portalUrl) : undefined;
  if (portalClient) {
    const attachments: TranslateContext = { attachmentUrl: (ref) => (ref.fileId ? core.fileLinks.url(ref.fileId) : ref.url) };
    destinations.set(NATIONAL_PORTAL, new NationalPortalDestination(portalClient, registry, attachments, outbound));
  }
  destinations.set(WEBHOOK, new WebhookDestination(registry, config.delivery.webhookTimeoutMs, outbound));
  const edxml = await edxmlWing.setUp(core);
  destinations.set(EDXML, edxml.destination);
  const postal = await postalWing.setUp(core);
  if (postal) {
    destinations.set(POSTAL, postal.destination);
    closers.add(() => postal.close());
  }
  closers.add(async () => {
    for (const d of destinations.values()) await d.close?.();
  });
  const payments = await paymentsWing.setUp(core);
  closers.add(() => payments.close());
  const processor = new DeliveryProcessor({ db, destinations, registry, delivery: config.delivery, queue: core.queues, logger: core.logger, metrics: core.metrics });
  return { accept, portalClient, edxml: edxml.context, postal, payments, processor };
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
