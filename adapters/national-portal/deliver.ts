// One batch toward the portal, and what became of each item in it. The portal judges a call as a
// whole, so a refused batch is split in halves until the refused items stand alone: one poison
// item then costs about 2·log2(n) extra calls instead of holding back the rest of the batch.
import { foldText, type CallOptions, type NationalPortalClient, type PortalAccount, type PortalAnswer } from './client.js';
import type { ItemOutcome } from '../../src/delivery/destination.js';
import type { PortalService } from './wire.js';

export interface BatchItem {
  /** The caller's id (the message id). */
  id: string;
  /** MaHoSo, for the caller's bookkeeping. */
  code: string;
  /** The wire item. */
  item: object;
}

type Refusal = Extract<PortalAnswer, { kind: 'refused' | 'already-exists' }>;

// Refusals of a single item that may succeed later without anyone changing the item:
// - the dossier it refers to is not (yet) on the portal: a progress or update racing its create,
//   or a procedure code the portal's catalogue has not published yet;
// - the portal says it is busy or failing and asks to try again.
// Everything else (validation errors, unknown codes) is permanent: retrying the same bytes cannot help.
const RETRYABLE_MESSAGES = ['khong ton tai', 'chua ton tai', 'qua tai', 'dang ban', 'thu lai', 'timeout', 'loi he thong'];

export function isRetryableRefusal(answer: { errorCode: string; message: string }): boolean {
  const message = foldText(answer.message);
  return RETRYABLE_MESSAGES.some((phrase) => message.includes(phrase));
}

export async function deliverBatch(
  client: NationalPortalClient,
  account: PortalAccount,
  service: PortalService,
  isUpdating: boolean | undefined,
  items: BatchItem[],
  call: CallOptions = {},
): Promise<Map<string, ItemOutcome>> {
  const outcomes = new Map<string, ItemOutcome>();
  const syncsDossier = service === 'DongBoHoSoMC';

  // `recovering` marks a resend in the other mode, so that a portal contradicting itself
  // ("already exists" to the create, "does not exist" to the update) cannot make us loop.
  const deliver = async (group: BatchItem[], asUpdate: boolean | undefined, recovering = false): Promise<void> => {
    const answer = await client.send(account, { service, isUpdating: asUpdate, data: group.map((i) => i.item) }, call);
    if (answer.kind === 'ok') {
      for (const i of group) outcomes.set(i.id, { result: 'delivered', ...(recovering && asUpdate ? { note: 'already-existed' } : {}) });
    } else if (answer.kind === 'unavailable') {
      for (const i of group) outcomes.set(i.id, { result: 'retry', error: `portal unavailable: ${answer.reason}`, ...(answer.retryAfterMs !== undefined ? { retryAfterMs: answer.retryAfterMs } : {}) });
    } else if (group.length > 1) {
      // Halves in order, so that items of the batch still reach the portal in the order given.
      const middle = Math.ceil(group.length / 2);
      await deliver(group.slice(0, middle), asUpdate, recovering);
      await deliver(group.slice(middle), asUpdate, recovering);
    } else if (syncsDossier && !recovering && answer.kind === 'already-exists' && asUpdate !== true) {
      // A create the portal already has (a retry after a lost answer, a re-sync) is sent again as an update.
      await deliver(group, true, true);
    } else if (syncsDossier && !recovering && asUpdate === true && (await portalLacks(group[0]!))) {
      // An update of a dossier the portal does not have (its create was lost, or the portal was
      // restored from a backup): TraCuuHoSo confirms, and the dossier is sent again as a create.
      await deliver(group, false, true);
    } else {
      for (const i of group) outcomes.set(i.id, singleRefusal(answer));
    }
  };

  const portalLacks = async (item: BatchItem): Promise<boolean> => (await client.dossierExists(account, item.code, call).catch(() => true)) === false;

  if (items.length > 0) await deliver(items, isUpdating);
  return outcomes;
}

function singleRefusal(answer: Refusal): ItemOutcome {
  const error = `portal refused (error_code ${answer.errorCode}): ${answer.message}`;
  return isRetryableRefusal(answer) ? { result: 'retry', error } : { result: 'refused', error };
}
