// Accepting a dossier or a progress event: the business rules, then one transaction that stores the
// change, its outbound message and its message-log record together. A 202 is only ever answered
// after that transaction commits (promise 1); any refusal throws before anything is written (promise 4).
import { randomUUID } from 'node:crypto';
import type { Dossier, DossierEvent, DossierStatus } from '../../schemas/dossier.js';
import { canonicalJson } from '../core/canonical-json.js';
import { sha256Hex } from '../core/hash.js';
import { Problem } from '../core/problems.js';
import { TRANSITIONS, canTransition } from '../core/status.js';
import { appendLog } from '../audit/message-log.js';
import type { SignatureRecord } from '../crypto/partner-signature.js';
import { ownedFileIds } from '../files/file-store.js';
import { holderOf } from '../edxml/store.js';
import type { Partner, PartnerRegistry } from '../partners/registry.js';
import type { Db, Queryable } from '../store/db.js';
import { recallResponse, rememberResponse, type StoredResponse } from '../store/idempotency.js';
import { headOfLine, insertMessage, supersedeDead, type Lane } from '../store/messages.js';
import { isAllowedAttachmentUrl } from './attachment-urls.js';

export const NATIONAL_PORTAL = 'national-portal';
export type DossierMessageKind = 'dossier-create' | 'dossier-update' | 'dossier-event';

export interface AcceptContext {
  db: Db;
  registry: PartnerRegistry;
  attachmentUrlAllowlist: readonly string[];
}

export interface AcceptRequest {
  partner: Partner;
  endpoint: string;
  rawBodySha256: string;
  /** The exact bytes received, kept (salted, prunable) for the auditors' log. */
  rawBody: Buffer;
  traceparent?: string | undefined;
  signature?: SignatureRecord | undefined;
  idempotencyKey: string | undefined;
  lane: Lane;
  /**
   * The portal's protocol lets a dossier update carry a new status (the portal-compatible endpoint
   * sets this): the change is accepted when the status machine allows it, and the next event with
   * that status is read as the step that made it (docs/portal-compatible.md).
   */
  statusMayChangeByUpdate?: boolean;
}

export interface Accepted extends StoredResponse {
  /** Messages to put in the queue once the transaction has committed. */
  enqueue: { id: string; lane: Lane }[];
}

interface DossierRow {
  code: string;
  agency_code: string;
  status: DossierStatus;
  body: Dossier;
  body_sha256: string;
  last_event_sequence: number;
  /** The status an update moved the dossier from, until an event explains the move. */
  status_updated_from: DossierStatus | null;
}

export function portalBatchKey(registry: PartnerRegistry, kind: DossierMessageKind, agencyCode: string): string {
  const service = kind === 'dossier-event' ? 'CapNhatTienDoHoSoMC' : 'DongBoHoSoMC';
  const updating = kind === 'dossier-create' ? 'False' : kind === 'dossier-update' ? 'True' : '';
  return `${service}|${updating}|${registry.portalAccountFor(agencyCode)?.key ?? `unconfigured:${agencyCode}`}`;
}

export async function acceptDossier(ctx: AcceptContext, req: AcceptRequest, dossier: Dossier): Promise<Accepted> {
  if (!ctx.registry.actsFor(req.partner, dossier.agency.code)) {
    throw new Problem('forbidden-agency', `You do not act for agency ${dossier.agency.code}`);
  }
  const bodySha = sha256Hex(canonicalJson(dossier));
  return withIdempotency(ctx.db, req, async (tx) => {
    await checkAttachments(tx, ctx.attachmentUrlAllowlist, req.partner, dossier);
    const [existing] = await tx.query<DossierRow>('SELECT * FROM dossiers WHERE code = $1 FOR UPDATE', [dossier.code]);
    let kind: DossierMessageKind = 'dossier-create';
    if (existing) {
      if (!ctx.registry.actsFor(req.partner, existing.agency_code)) {
        throw new Problem('forbidden-agency', `Dossier ${dossier.code} belongs to an agency you do not act for`);
      }
      if (existing.agency_code !== dossier.agency.code) {
        throw new Problem('agency-change', `Dossier ${dossier.code} belongs to agency ${existing.agency_code}`);
      }
      const statusChange = existing.status !== dossier.status;
      if (statusChange && req.statusMayChangeByUpdate) {
        if (!canTransition(existing.status, dossier.status)) throw illegalTransition(existing.status, dossier.status);
      } else if (statusChange) {
        throw new Problem('status-change-requires-event', `The dossier is ${existing.status}; send ${dossier.status} as an event`, {
          currentStatus: existing.status,
          events: `/v1/dossiers/${encodeURIComponent(dossier.code)}/events`,
        });
      }
      if (existing.body_sha256 === bodySha) {
        const [last] = await tx.query<{ id: string }>(
          `SELECT id FROM messages WHERE destination = $1 AND order_key = $2 AND kind <> 'dossier-event' ORDER BY order_seq DESC LIMIT 1`,
          [NATIONAL_PORTAL, dossier.code],
        );
        return { statusCode: 202, body: acceptedBody(dossier.code, last?.id ?? null, 'unchanged'), enqueue: [] };
      }
      await tx.query(
        `UPDATE dossiers SET body = $2, body_sha256 = $3, updated_at = now(),
           status = $4, status_updated_from = CASE WHEN $4 = status THEN status_updated_from ELSE status END WHERE code = $1`,
        [dossier.code, JSON.stringify(dossier), bodySha, dossier.status],
      );
      // A corrected dossier replaces a sync the portal refused; if that was the create, this becomes the create.
      const superseded = await supersedeDead(tx, NATIONAL_PORTAL, dossier.code, ['dossier-create', 'dossier-update']);
      const createDelivered = await tx.query(
        `SELECT 1 FROM messages WHERE destination = $1 AND order_key = $2 AND kind = 'dossier-create' AND state IN ('pending', 'failed', 'delivered')`,
        [NATIONAL_PORTAL, dossier.code],
      );
      kind = superseded.includes('dossier-create') && createDelivered.length === 0 ? 'dossier-create' : 'dossier-update';
    } else {
      await tx.query(
        `INSERT INTO dossiers (code, agency_code, partner_id, status, body, body_sha256) VALUES ($1, $2, $3, $4, $5, $6)`,
        [dossier.code, dossier.agency.code, req.partner.id, dossier.status, JSON.stringify(dossier), bodySha],
      );
    }
    const messageId = await enqueueForPortal(ctx, tx, req, kind, dossier.code, dossier.agency.code, dossier);
    return {
      statusCode: 202,
      body: acceptedBody(dossier.code, messageId, kind === 'dossier-create' ? 'create' : 'update'),
      // A new dossier's line holds only this message: no need to ask for its head.
      enqueue: existing ? await lineToEnqueue(tx, dossier.code, messageId, req.lane) : [{ id: messageId, lane: req.lane }],
    };
  });
}

export async function acceptEvent(ctx: AcceptContext, req: AcceptRequest, code: string, event: DossierEvent): Promise<Accepted> {
  const bodySha = sha256Hex(canonicalJson(event));
  return withIdempotency(ctx.db, req, async (tx) => {
    const [dossier] = await tx.query<DossierRow>('SELECT * FROM dossiers WHERE code = $1 FOR UPDATE', [code]);
    // After a hand-over (edXML, docs/edxml.md) the agency holding the dossier reports its progress.
    const holder = dossier ? ((await holderOf(tx, code))?.agencyCode ?? dossier.agency_code) : undefined;
    if (!dossier || !holder || !(ctx.registry.actsFor(req.partner, holder) || ctx.registry.actsFor(req.partner, dossier.agency_code))) {
      throw new Problem('dossier-not-found', `No dossier ${code} among the agencies you act for; create it with POST /v1/dossiers first`);
    }
    if (!ctx.registry.actsFor(req.partner, holder)) {
      throw new Problem('dossier-handed-over', `Dossier ${code} was handed over to agency ${holder}, which reports its progress now`, { holder });
    }
    const [same] = await tx.query<{ body_sha256: string; message_id: string }>(
      'SELECT body_sha256, message_id FROM dossier_events WHERE dossier_code = $1 AND sequence = $2',
      [code, event.sequence],
    );
    if (same) {
      if (same.body_sha256 === bodySha) return { statusCode: 202, body: acceptedBody(code, same.message_id, 'unchanged'), enqueue: [] };
      throw new Problem('sequence-conflict', `Event ${event.sequence} of ${code} was already accepted with other content`);
    }
    const expected = dossier.last_event_sequence + 1;
    if (event.sequence !== expected) {
      throw new Problem('sequence-gap', `The next event of ${code} must have sequence ${expected}`, { expectedSequence: expected });
    }
    // After an update that changed the status, an event with that status is the step that made the change.
    const from = dossier.status_updated_from !== null && event.status === dossier.status ? dossier.status_updated_from : dossier.status;
    if (!canTransition(from, event.status)) throw illegalTransition(from, event.status);
    const body = applyEvent(dossier.body, event);
    await tx.query(
      `UPDATE dossiers SET status = $2, body = $3, body_sha256 = $4, last_event_sequence = $5, status_updated_from = NULL, updated_at = now() WHERE code = $1`,
      [code, event.status, JSON.stringify(body), sha256Hex(canonicalJson(body)), event.sequence],
    );
    const messageId = await enqueueForPortal(ctx, tx, req, 'dossier-event', code, dossier.agency_code, { dossierCode: code, event });
    await tx.query(
      'INSERT INTO dossier_events (dossier_code, sequence, status, body, body_sha256, message_id) VALUES ($1, $2, $3, $4, $5, $6)',
      [code, event.sequence, event.status, JSON.stringify(event), bodySha, messageId],
    );
    return { statusCode: 202, body: acceptedBody(code, messageId, 'event'), enqueue: await lineToEnqueue(tx, code, messageId, req.lane) };
  });
}

function illegalTransition(from: DossierStatus, to: DossierStatus): Problem {
  return new Problem('illegal-transition', `A dossier in ${from} cannot move to ${to}`, { from, to, allowed: TRANSITIONS[from] });
}

/** The dossier as it stands after an event: status and the dates the portal reads from the dossier. */
function applyEvent(body: Dossier, event: DossierEvent): Dossier {
  const next: Dossier = { ...body, status: event.status };
  if (event.dueAt) next.dueAt = event.dueAt;
  if (event.status === 'RECEIVED' && !next.receivedAt) next.receivedAt = event.at;
  if (event.status === 'REJECTED') next.rejectedAt = event.at;
  if (event.status === 'RETURNED') next.returnedAt = event.at;
  return next;
}

async function enqueueForPortal(
  ctx: AcceptContext,
  tx: Queryable,
  req: AcceptRequest,
  kind: DossierMessageKind,
  code: string,
  agencyCode: string,
  payload: unknown,
): Promise<string> {
  const id = randomUUID();
  await insertMessage(tx, {
    id,
    destination: NATIONAL_PORTAL,
    kind,
    partnerId: req.partner.id,
    dossierCode: code,
    agencyCode,
    orderKey: code,
    lane: req.lane,
    batchKey: portalBatchKey(ctx.registry, kind, agencyCode),
    payload,
    traceparent: req.traceparent,
  });
  await appendLog(tx, {
    direction: 'in',
    partnerId: req.partner.id,
    endpoint: req.endpoint,
    dossierCode: code,
    messageId: id,
    body: req.rawBody,
    outcome: 'accepted',
    signature: req.signature,
  });
  return id;
}

/** The new message, and the head of its line if that is another one (a line unblocked by a supersede). */
async function lineToEnqueue(tx: Queryable, code: string, messageId: string, lane: Lane): Promise<{ id: string; lane: Lane }[]> {
  const head = await headOfLine(tx, NATIONAL_PORTAL, code);
  return head && head.id !== messageId ? [{ id: messageId, lane }, head] : [{ id: messageId, lane }];
}

function acceptedBody(code: string, messageId: string | null, change: 'create' | 'update' | 'event' | 'unchanged'): Record<string, unknown> {
  return { dossierCode: code, messageId, change, links: { dossier: `/v1/dossiers/${encodeURIComponent(code)}` } };
}

async function withIdempotency(db: Db, req: AcceptRequest, work: (tx: Queryable) => Promise<Accepted>): Promise<Accepted> {
  const key = req.idempotencyKey;
  const attempt = () =>
    db.transaction(async (tx) => {
      if (key) {
        const recalled = await recallResponse(tx, req.partner.id, key, req.rawBodySha256);
        if (recalled) return { ...recalled, enqueue: [] };
      }
      const result = await work(tx);
      if (key) await rememberResponse(tx, req.partner.id, key, req.rawBodySha256, result);
      return result;
    });
  try {
    return await attempt();
  } catch (error) {
    // Two requests with one key raced: the loser's insert hit the key; the retry answers from it.
    if (key && (error as { code?: string }).code === '23505') return attempt();
    throw error;
  }
}

async function checkAttachments(tx: Queryable, allowlist: readonly string[], partner: Partner, dossier: Dossier): Promise<void> {
  const refs = [...(dossier.documents ?? []), ...(dossier.results ?? []), ...(dossier.supplements ?? []).flatMap((s) => s.documents ?? [])];
  const fileIds = refs.flatMap((r) => (r.fileId ? [r.fileId] : []));
  const owned = await ownedFileIds(tx, partner.id, fileIds);
  for (const ref of refs) {
    if (ref.fileId && !owned.has(ref.fileId)) {
      throw new Problem('unknown-file', `Document "${ref.id}" refers to file ${ref.fileId}, which you have not uploaded`);
    }
    if (ref.fileId && ref.url) throw new Problem('invalid-request', `Document "${ref.id}" has both fileId and url; give one`);
    if (ref.url && !isAllowedAttachmentUrl(ref.url, allowlist)) {
      throw new Problem('attachment-not-allowed', `Document "${ref.id}" links to a host that is not on the attachment allow-list; upload it with POST /v1/files`);
    }
  }
}
