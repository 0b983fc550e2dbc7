// The SOAP front door's messages, as TypeBox: the canonical Dossier and DossierEvent wrapped in one
// element per operation. The XSD (schemas/soap/one-stop.xsd) is rendered from these, and requests are
// read and responses written by walking them, so the XML names are the JSON names of /v1.
import { Type, type TSchema } from '@sinclair/typebox';
import { Dossier, DossierCode, DossierEvent, DossierStatus } from '../../schemas/dossier.js';
import { DeliveryView } from '../dossiers/delivery-view.js';

export const SOAP_SERVICE_NS = 'https://lgsp.gateway/soap/one-stop/v1';

const Lane = Type.Union([Type.Literal('live'), Type.Literal('bulk')], { description: 'bulk: a re-sync on the low-priority lane' });
const Change = Type.Union(['create', 'update', 'event', 'unchanged'].map((c) => Type.Literal(c)));

const Accepted = Type.Object({
  dossierCode: Type.String(),
  messageId: Type.Optional(Type.String({ description: 'Absent when nothing changed and nothing was ever sent' })),
  change: Change,
});

const EventState = Type.Object({ ...DossierEvent.properties, delivery: Type.Optional(DeliveryView) });

/** Request and response element of each operation, by operation name. */
export const OPERATIONS = {
  SubmitDossier: {
    request: Type.Object({ dossier: Dossier, lane: Type.Optional(Lane) }),
    response: Accepted,
  },
  SubmitProgressEvent: {
    request: Type.Object({ dossierCode: DossierCode, event: DossierEvent, lane: Type.Optional(Lane) }),
    response: Accepted,
  },
  GetDossierState: {
    request: Type.Object({ dossierCode: DossierCode }),
    response: Type.Object({
      dossier: Dossier,
      status: DossierStatus,
      events: Type.Array(EventState),
      deliveries: Type.Array(DeliveryView, { description: 'Every message toward the national portal, in order' }),
    }),
  },
} as const satisfies Record<string, { request: TSchema; response: TSchema }>;

export type OperationName = keyof typeof OPERATIONS;

/** What a SOAP Fault carries in its detail: the stable code, as in docs/errors.md. */
export const GatewayFault = Type.Object({
  code: Type.String(),
  message: Type.String(),
  reason: Type.Optional(Type.String({ description: 'For malformed-xml: why the XML was refused (doctype, entity, too_large…)' })),
  errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
});

/** Named complex types of the XSD: the canonical model's own objects. */
export const NAMED_TYPES: Record<string, TSchema> = { Dossier, DossierEvent };

/** A list is a wrapper element named for the property, holding one element per item: documents/document. */
export function itemName(listName: string): string {
  if (listName.endsWith('ies')) return `${listName.slice(0, -3)}y`;
  return listName.endsWith('s') ? listName.slice(0, -1) : listName;
}
