// The canonical payment request: what one-stop software sends to POST /v1/payments. Amounts are
// integer VND; a provider's own units and field names stay in its adapter.
import { Type, type Static } from '@sinclair/typebox';
import { DossierCode } from './dossier.js';

export const PAYMENT_PROVIDERS = ['national', 'vnpay'] as const;

export const FeeLineSchema = Type.Object(
  {
    code: Type.String({ pattern: '^[A-Za-z0-9._-]{1,50}$' }),
    name: Type.String({ minLength: 1, maxLength: 300 }),
    kind: Type.Union([Type.Literal('fee'), Type.Literal('charge')], { description: 'lệ phí (fee) or phí (charge)' }),
    amount: Type.Integer({ minimum: 1, maximum: 10_000_000_000, description: 'VND' }),
  },
  { additionalProperties: false },
);

export const PaymentRequest = Type.Object(
  {
    dossierCode: DossierCode,
    lines: Type.Array(FeeLineSchema, { minItems: 1, maxItems: 50 }),
    provider: Type.Union(PAYMENT_PROVIDERS.map((p) => Type.Literal(p))),
    returnUrl: Type.String({ pattern: '^https?://', maxLength: 1000 }),
    payer: Type.Object(
      {
        name: Type.String({ minLength: 1, maxLength: 200 }),
        idNumber: Type.String({ pattern: '^[A-Za-z0-9]{6,20}$' }),
        address: Type.Optional(Type.String({ maxLength: 500 })),
      },
      { additionalProperties: false },
    ),
    clientIp: Type.Optional(Type.String({ maxLength: 45, description: "The payer's IP address as the one-stop system saw it" })),
  },
  { additionalProperties: false },
);
export type PaymentRequest = Static<typeof PaymentRequest>;
