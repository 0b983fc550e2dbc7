// The canonical postal shipment (bưu chính công ích): what one-stop software sends to
// POST /v1/postal/shipments. The operator's wire names are mapped once, in adapters/postal-bcci.
import { Type, type Static } from '@sinclair/typebox';
import { Address, DossierCode, Timestamp } from './dossier.js';

export const SHIPMENT_KINDS = ['pickup', 'delivery'] as const;

/** Canonical statuses; every operator code maps to one of them (adapters/postal-bcci/README.md). */
export const SHIPMENT_STATUSES = ['registered', 'collecting', 'picked_up', 'in_transit', 'delivered', 'failed', 'returned', 'cancelled'] as const;
export const ShipmentStatus = Type.Union(SHIPMENT_STATUSES.map((s) => Type.Literal(s)));
export type ShipmentStatus = Static<typeof ShipmentStatus>;

export const Party = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    phone: Type.String({ pattern: '^\\+?[0-9]{8,15}$' }),
    email: Type.Optional(Type.String({ format: 'email', maxLength: 200 })),
    address: Address,
  },
  { additionalProperties: false },
);

export const ShipmentRequest = Type.Object(
  {
    kind: Type.Union(SHIPMENT_KINDS.map((k) => Type.Literal(k)), {
      description: 'pickup: the citizen sends papers to the agency; delivery: the agency sends the result to the citizen',
    }),
    dossierCode: DossierCode,
    sender: Party,
    receiver: Party,
    procedure: Type.Object({ code: Type.String({ minLength: 1, maxLength: 50 }), name: Type.String({ minLength: 1, maxLength: 500 }) }, { additionalProperties: false }),
    cod: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000_000, description: 'VND to collect on delivery' })),
    note: Type.Optional(Type.String({ maxLength: 500 })),
    returnDossierOnDelivery: Type.Optional(Type.Boolean({ description: 'delivery only: when delivered, the dossier moves to RETURNED' })),
  },
  { additionalProperties: false },
);
export type ShipmentRequest = Static<typeof ShipmentRequest>;

/** One status report from the operator, in canonical terms. */
export const ShipmentReport = Type.Object(
  {
    status: ShipmentStatus,
    operatorCode: Type.String({ maxLength: 20, description: 'The operator status code as reported' }),
    message: Type.Optional(Type.String({ maxLength: 500 })),
    at: Timestamp,
    postOffice: Type.Optional(Type.String({ maxLength: 50 })),
    note: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);
export type ShipmentReport = Static<typeof ShipmentReport>;
