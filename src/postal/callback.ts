// A postal operator's push, once the route has read its events into canonical reports: the replay
// rule first (docs/callbacks.md: event times in the window, bytes not seen), then the reports are
// applied as polled ones are, and settled.
import type { CallbackGuards } from '../callbacks/replay-guard.js';
import { Problem } from '../core/problems.js';
import type { IncomingReport } from './operator.js';
import { applyReports } from './reports.js';
import { settleReports, type SettleDeps } from './settle.js';
import type { WriteContext } from './shipments.js';

export interface PushDeps extends SettleDeps {
  guards: CallbackGuards;
}

/** The push as the operator's signed bytes and what they say. */
export interface Push {
  ctx: WriteContext;
  rawBodySha256: string;
  orderNumber: string;
  reports: readonly IncomingReport[];
}

export type PushOutcome = Record<'received' | 'applied' | 'duplicate' | 'stale' | 'contradicting', number>;

export async function receivePush(deps: PushDeps, { ctx, rawBodySha256, orderNumber, reports }: Push): Promise<PushOutcome> {
  // An operator may push a backlog of old events, but not one from the future, and not only old ones.
  const { guards } = deps;
  const times = reports.map((r) => guards.replay.judgeTime(new Date(r.at)));
  if (times.includes('in-future') || times.every((t) => t === 'too-old')) {
    throw new Problem('callback-stale', 'An EventTime is ahead of the clock beyond the allowed skew, or every EventTime is older than the window');
  }
  // The signed bytes identify the push: the same bytes again are a replay (or the operator's
  // retry), acknowledged as duplicates without touching the shipment or the log.
  const replayKind = `postal:${ctx.partner.id}`;
  if ((await guards.replay.seen(replayKind, rawBodySha256)) !== undefined) {
    await guards.refusals.record({ source: ctx.partner.id, partnerId: ctx.partner.id, endpoint: ctx.endpoint, errorCode: 'callback-replayed' });
    return { received: reports.length, applied: 0, duplicate: reports.length, stale: 0, contradicting: 0 };
  }
  const result = await applyReports(deps.db, deps.registry, orderNumber, reports, 'push', {
    direction: 'in',
    partnerId: ctx.partner.id,
    endpoint: ctx.endpoint,
    body: ctx.rawBody,
    outcome: 'accepted',
    signature: ctx.signature,
  });
  if (!result) throw new Problem('shipment-not-found', `No shipment with order number ${orderNumber}`);
  await guards.replay.remember(replayKind, rawBodySha256, 'applied');
  await settleReports(result, deps);
  return { received: reports.length, ...result.counts };
}
