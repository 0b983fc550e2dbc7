// Issue 16: one partner notification. Delivery outcomes, shipment reports and payments all tell a
// partner through partnerNotification(); these pin the message it makes: the webhook destination,
// the partner's line (`<partner>|<line>`), its lane and trace, one batch per partner, and nothing at
// all for a partner without a webhook.
import { describe, expect, it } from 'vitest';
import { partnerNotification } from '../../src/delivery/partner-notification.js';
import { WEBHOOK } from '../../src/delivery/destination-names.js';
import { PartnerRegistry, hashApiKey } from '../../src/partners/registry.js';

const partner = (id: string, webhookUrl?: string) => ({
  id,
  name: id,
  roles: ['one-stop'],
  apiKeys: [{ id: `${id}-key`, sha256: hashApiKey(`${id}-secret`) }],
  agencies: [{ code: 'A1' }],
  ...(webhookUrl ? { webhookUrl } : {}),
});
const registry = PartnerRegistry.fromDocument(
  { partners: [partner('hanoi-one-stop', 'https://one-stop.example/hooks'), partner('silent-one-stop')] },
  { defaults: { agencyCode: '000.00.00.H26', username: 'tinh', password: 'pw' }, allowAnyAgency: false },
);

describe('the partner notification', () => {
  it("is the webhook message on the partner's line, lane and trace, batched per partner", () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const message = partnerNotification(registry, {
      partnerId: 'hanoi-one-stop',
      kind: 'notification',
      dossierCode: 'H26.1-0001',
      line: 'H26.1-0001',
      lane: 'bulk',
      traceparent,
      payload: { type: 'delivery.succeeded' },
    });
    expect(message).toMatchObject({
      destination: WEBHOOK,
      kind: 'notification',
      partnerId: 'hanoi-one-stop',
      dossierCode: 'H26.1-0001',
      orderKey: 'hanoi-one-stop|H26.1-0001',
      lane: 'bulk',
      batchKey: `${WEBHOOK}|hanoi-one-stop`,
      traceparent,
      payload: { type: 'delivery.succeeded' },
    });
  });

  it("puts a shipment's reports on the shipment's own line", () => {
    const message = partnerNotification(registry, {
      partnerId: 'hanoi-one-stop',
      kind: 'shipment-status',
      dossierCode: 'H26.1-0001',
      line: 'shipment:7d1c',
      lane: 'live',
      payload: {},
    });
    expect(message?.orderKey).toBe('hanoi-one-stop|shipment:7d1c');
    expect(message?.traceparent).toBeUndefined();
  });

  it('is nothing for a partner without a webhook, or one the registry does not know', () => {
    for (const partnerId of ['silent-one-stop', 'gone']) {
      expect(partnerNotification(registry, { partnerId, kind: 'notification', dossierCode: 'X', line: 'X', lane: 'live', payload: {} })).toBeUndefined();
    }
  });
});
