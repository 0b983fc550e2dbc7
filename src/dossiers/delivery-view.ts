// How a message's delivery looks to partners: the stored state, plus "held" for a message waiting
// behind a dead one in its dossier's line.
import { Type, type Static } from '@sinclair/typebox';
import type { OutboundMessage } from '../store/messages.js';

export const DeliveryView = Type.Object({
  messageId: Type.String(),
  kind: Type.String(),
  state: Type.Union(['pending', 'failed', 'held', 'delivered', 'dead', 'superseded'].map((s) => Type.Literal(s))),
  attempts: Type.Integer(),
  lastError: Type.Union([Type.String(), Type.Null()]),
  note: Type.Union([Type.String(), Type.Null()]),
  nextAttemptAt: Type.Union([Type.String(), Type.Null()]),
  deliveredAt: Type.Union([Type.String(), Type.Null()]),
  lane: Type.String(),
});
export type DeliveryView = Static<typeof DeliveryView>;

export function deliveryView(m: OutboundMessage & { held?: boolean }): DeliveryView {
  const open = m.state === 'pending' || m.state === 'failed';
  return {
    messageId: m.id,
    kind: m.kind,
    state: open && m.held ? 'held' : m.state,
    attempts: m.attempts,
    lastError: m.lastError,
    note: m.outcomeNote,
    nextAttemptAt: open ? new Date(m.nextAttemptAt).toISOString() : null,
    deliveredAt: m.deliveredAt ? new Date(m.deliveredAt).toISOString() : null,
    lane: m.lane,
  };
}
