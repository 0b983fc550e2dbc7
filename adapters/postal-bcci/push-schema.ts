// The operator's push to the gateway's callback (README.md, "Push"): the JSON Schema of the wire body,
// which the postal wing's route validates with, and its reading into canonical reports. Kept here so
// that src/ never spells VNPost's field names.
import { Type, type Static } from '@sinclair/typebox';
import type { IncomingReport } from '../../src/postal/operator.js';
import { fromVnpostEvent } from './translate.js';

/** One event of a push, as VNPost-style systems send it: codes and ids as numbers or strings. */
const PushEvent = Type.Object(
  {
    Id: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Integer()])),
    ItemCode: Type.Optional(Type.String({ maxLength: 64 })),
    StatusCode: Type.Union([Type.String({ minLength: 1, maxLength: 20 }), Type.Integer()]),
    StatusMessage: Type.Optional(Type.String({ maxLength: 500 })),
    EventTime: Type.String({ minLength: 1, maxLength: 40 }),
    POSID: Type.Optional(Type.Union([Type.String({ maxLength: 50 }), Type.Integer()])),
    Notes: Type.Optional(Type.Union([Type.String({ maxLength: 500 }), Type.Null()])),
  },
  { additionalProperties: true, maxProperties: 40 },
);

/** The body of a push. */
export const VnpostPushBody = Type.Object(
  {
    OrderNumber: Type.String({ minLength: 1, maxLength: 80 }),
    ItemCode: Type.Optional(Type.String({ maxLength: 64 })),
    Events: Type.Array(PushEvent, { minItems: 1, maxItems: 200 }),
  },
  { additionalProperties: true, maxProperties: 40 },
);
export type VnpostPushBody = Static<typeof VnpostPushBody>;

export type PushReading = { orderNumber: string; reports: IncomingReport[] } | { unreadableEventId: string };

/** The order number and the canonical reports of a valid push, or the id ('' when none) of the first event whose status code or time cannot be read. */
export function readVnpostPush(push: VnpostPushBody): PushReading {
  const reports: IncomingReport[] = [];
  for (const event of push.Events) {
    const report = fromVnpostEvent(event);
    if (!report) return { unreadableEventId: String(event.Id ?? '') };
    reports.push(report);
  }
  return { orderNumber: push.OrderNumber, reports };
}
