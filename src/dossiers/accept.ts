// Accepting dossiers and progress events, any number at once (group commit, docs/delivery.md): the
// rows of the group are locked and read in a few statements, the business rules are decided per
// request in arrival order against them, and only the accepted requests are written, with their
// outbound messages and message-log records, in multi-row statements of the same transaction. A 202
// is only ever answered after that transaction commits (promise 1); a refused request writes nothing
// (promise 4) and does not fail the others.
import { randomUUID } from 'node:crypto';
import type { Dossier, DossierEvent, DossierStatus } from '../../schemas/dossier.js';
import { portalBatchKey } from '../../adapters/national-portal/index.js';
import { canonicalJson } from '../core/canonical-json.js';
import { sha256Hex } from '../core/hash.js';
import { Problem } from '../core/problems.js';
import { TRANSITIONS, canTransition } from '../core/status.js';
import { appendLogs, type LogRecord } from '../audit/message-log.js';
import type { SignatureRecord } from '../crypto/partner-signature.js';
import { ownedFileIds } from '../files/file-store.js';
import { holdersOf } from '../edxml/store.js';
import { mayActOn, mayCreate } from '../partners/ownership.js';
import type { Partner, PartnerRegistry } from '../partners/registry.js';
import type { Db, Queryable } from '../store/db.js';
import { keyOf, recallResponses, rememberResponses, replayOf, type KeyedRequest, type StoredAnswer, type StoredResponse } from '../store/idempotency.js';
import { insertMessages, supersedeDead, type Lane, type NewMessage } from '../store/messages.js';
import type { CommittedMessage } from '../delivery/enqueue-after-commit.js';
import { NATIONAL_PORTAL } from '../delivery/destination-names.js';
import { isAllowedAttachmentUrl } from './attachment-urls.js';

export type DossierMessageKind = 'dossier-create' | 'dossier-update' | 'dossier-event';

export interface AcceptContext {
  db: Db;
  registry: PartnerRegistry;
  attachmentUrlAllowlist: readonly string[];
  /** How concurrent acceptances gather into one transaction (src/dossiers/group-commit.ts); defaults there. */
  grouping?: Partial<GroupSettings>;
}

export interface GroupSettings {
  /** How long the first request of a group waits for others, in ms. */
  windowMs: number;
  /** A group is sent as soon as this many requests wait. */
  maxSize: number;
  /** Groups in their transaction at once; more wait and gather. */
  maxInFlight: number;
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
  enqueue: CommittedMessage[];
}

export type AcceptItem =
  | { kind: 'dossier'; req: AcceptRequest; dossier: Dossier }
  | { kind: 'event'; req: AcceptRequest; code: string; event: DossierEvent };

/** Each request's own answer: accepted, or the refusal (a Problem) that concerns it alone. */
export type AcceptOutcome = { accepted: Accepted } | { refused: unknown };

interface DossierRow {
  code: string;
  agency_code: string;
  partner_id: string;
  status: DossierStatus;
  body: Dossier;
  body_sha256: string;
  last_event_sequence: number;
  /** The status an update moved the dossier from, until an event explains the move. */
  status_updated_from: DossierStatus | null;
}

/** One request on its own: a group of one; a refusal is thrown. */
export async function acceptDossier(ctx: AcceptContext, req: AcceptRequest, dossier: Dossier): Promise<Accepted> {
  return alone(await acceptGroup(ctx, [{ kind: 'dossier', req, dossier }]));
}

export async function acceptEvent(ctx: AcceptContext, req: AcceptRequest, code: string, event: DossierEvent): Promise<Accepted> {
  return alone(await acceptGroup(ctx, [{ kind: 'event', req, code, event }]));
}

function alone([outcome]: AcceptOutcome[]): Accepted {
  if ('refused' in outcome!) throw outcome.refused;
  return outcome!.accepted;
}

/** Retries of a whole group whose writes met another transaction's (a new dossier, a key, a deadlock). */
const GROUP_ATTEMPTS = 4;

/**
 * Decides and writes a group in one transaction; outcomes in the order of the items. Throws only
 * when the transaction itself fails (then nothing of the group was written).
 */
export async function acceptGroup(ctx: AcceptContext, items: readonly AcceptItem[]): Promise<AcceptOutcome[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await ctx.db.transaction((tx) => new Group(ctx, tx).run(items));
    } catch (error) {
      if (attempt >= GROUP_ATTEMPTS || !isWriteRace(error)) throw error;
    }
  }
}

class WriteRace extends Error {}

/** Unique violation, deadlock, serialization failure, or a row another transaction inserted first. */
function isWriteRace(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return error instanceof WriteRace || code === '23505' || code === '40P01' || code === '40001';
}

/** A dossier as the group sees it: the locked row, then the state the group's earlier requests left. */
interface Line {
  row: DossierRow | undefined;
  /** The row was in the database before the group (so its line may hold older messages). */
  stored: boolean;
  changed: boolean;
  /** Holder after an edXML hand-over (docs/edxml.md), when there is one. */
  holder: string | undefined;
  /** The line's last create/update message, once known. */
  lastSyncId?: string | undefined;
  /** Events by sequence: those of this code in the group's look-up, then the group's own. */
  events: Map<number, { bodySha: string; messageId: string }>;
}

class Group {
  private readonly lines = new Map<string, Line>();
  private stored = new Map<string, StoredAnswer>();
  private readonly answered = new Map<string, StoredAnswer>();
  private owned = new Map<string, Set<string>>();
  private readonly messages: NewMessage[] = [];
  private readonly records: LogRecord[] = [];
  private readonly events: { code: string; event: DossierEvent; bodySha: string; messageId: string }[] = [];
  private readonly remember: (KeyedRequest & StoredResponse)[] = [];

  constructor(
    private readonly ctx: AcceptContext,
    private readonly tx: Queryable,
  ) {}

  async run(items: readonly AcceptItem[]): Promise<AcceptOutcome[]> {
    await this.load(items);
    const decided: ({ accepted: Accepted; line?: string } | { refused: unknown })[] = [];
    for (const item of items) {
      try {
        decided.push(await this.decide(item));
      } catch (error) {
        if (!(error instanceof Problem)) throw error;
        decided.push({ refused: error });
      }
    }
    await this.write();
    const heads = await this.headsOf(decided.flatMap((d) => ('line' in d && d.line ? [d.line] : [])));
    return decided.map((d) => {
      if (!('accepted' in d) || !d.line) return d;
      // An older line: queue its head too if that is another message (a line a supersede unblocked).
      const head = heads.get(d.line);
      const own = d.accepted.enqueue[0]!;
      return { accepted: { ...d.accepted, enqueue: head && head.id !== own.id ? [own, head] : [own] } };
    });
  }

  /** The group's rows in a few statements: dossiers (locked, in code order), holders, events, keys, files. */
  private async load(items: readonly AcceptItem[]): Promise<void> {
    const codes = [...new Set(items.map((i) => (i.kind === 'dossier' ? i.dossier.code : i.code)))].sort();
    const rows = await this.tx.query<DossierRow>('SELECT * FROM dossiers WHERE code = ANY($1::text[]) ORDER BY code FOR UPDATE', [codes]);
    const eventCodes = [...new Set(items.flatMap((i) => (i.kind === 'event' && rows.some((r) => r.code === i.code) ? [i.code] : [])))];
    // Holders of every stored dossier: updates and events are both judged against them (docs/security.md).
    const holders = await holdersOf(this.tx, rows.map((r) => r.code));
    for (const code of codes) {
      const row = rows.find((r) => r.code === code);
      this.lines.set(code, { row, stored: row !== undefined, changed: false, holder: holders.get(code), events: new Map() });
    }
    const sequences = items.flatMap((i) => (i.kind === 'event' && eventCodes.includes(i.code) ? [{ code: i.code, sequence: i.event.sequence }] : []));
    if (sequences.length > 0) {
      const known = await this.tx.query<{ code: string; sequence: number; body_sha256: string; message_id: string }>(
        `SELECT dossier_code AS code, sequence, body_sha256, message_id FROM dossier_events
          WHERE (dossier_code, sequence) IN (SELECT * FROM unnest($1::text[], $2::integer[]))`,
        [sequences.map((s) => s.code), sequences.map((s) => s.sequence)],
      );
      for (const k of known) this.lines.get(k.code)!.events.set(k.sequence, { bodySha: k.body_sha256, messageId: k.message_id });
    }
    const keyed = items.flatMap((i) => (i.req.idempotencyKey ? [{ partnerId: i.req.partner.id, key: i.req.idempotencyKey }] : []));
    this.stored = await recallResponses(this.tx, keyed);
    this.owned = await this.ownedFiles(items);
  }

  private async ownedFiles(items: readonly AcceptItem[]): Promise<Map<string, Set<string>>> {
    const wanted = new Map<string, string[]>();
    for (const item of items) {
      if (item.kind !== 'dossier') continue;
      const ids = documentsOf(item.dossier).flatMap((r) => (r.fileId ? [r.fileId] : []));
      if (ids.length > 0) wanted.set(item.req.partner.id, [...(wanted.get(item.req.partner.id) ?? []), ...ids]);
    }
    const owned = new Map<string, Set<string>>();
    for (const [partnerId, ids] of wanted) owned.set(partnerId, await ownedFileIds(this.tx, partnerId, ids));
    return owned;
  }

  private async decide(item: AcceptItem): Promise<{ accepted: Accepted; line?: string }> {
    const { req } = item;
    const code = item.kind === 'dossier' ? item.dossier.code : item.code;
    const line = this.lines.get(code)!;
    if (item.kind === 'dossier') authorizeDossier(this.ctx.registry, req.partner, item.dossier, line.row, line.holder);
    const replay = this.replay(req);
    if (replay) return { accepted: { ...replay, enqueue: [] } };
    if (item.kind === 'event') authorizeEvent(this.ctx.registry, req.partner, code, line.row, line.holder);
    const decided = item.kind === 'dossier' ? await this.decideDossier(req, item.dossier, line) : this.decideEvent(req, item.code, item.event, line);
    if (req.idempotencyKey) {
      const answer = { partnerId: req.partner.id, key: req.idempotencyKey, requestSha256: req.rawBodySha256, statusCode: decided.statusCode, body: decided.body };
      this.answered.set(keyOf(answer.partnerId, answer.key), answer);
      this.remember.push(answer);
    }
    return decided.enqueue.length > 0 && line.stored ? { accepted: decided, line: code } : { accepted: decided };
  }

  /** An answer given before under the same key: by an earlier request of this group, or stored. */
  private replay(req: AcceptRequest): StoredResponse | undefined {
    if (!req.idempotencyKey) return undefined;
    const key = keyOf(req.partner.id, req.idempotencyKey);
    return replayOf(this.answered.get(key) ?? this.stored.get(key), req.rawBodySha256);
  }

  private async decideDossier(req: AcceptRequest, dossier: Dossier, line: Line): Promise<Accepted> {
    checkAttachments(this.ctx.attachmentUrlAllowlist, this.owned.get(req.partner.id) ?? new Set(), dossier);
    const bodySha = sha256Hex(canonicalJson(dossier));
    const existing = line.row;
    if (!existing) {
      line.row = {
        code: dossier.code,
        agency_code: dossier.agency.code,
        partner_id: req.partner.id,
        status: dossier.status,
        body: dossier,
        body_sha256: bodySha,
        last_event_sequence: 0,
        status_updated_from: null,
      };
      line.changed = true;
      return this.accepted(req, line, 'dossier-create', dossier.code, existing, dossier);
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
      return { statusCode: 202, body: acceptedBody(dossier.code, await this.lastSyncOf(line), 'unchanged'), enqueue: [] };
    }
    line.row = {
      ...existing,
      body: dossier,
      body_sha256: bodySha,
      status: dossier.status,
      status_updated_from: statusChange ? existing.status : existing.status_updated_from,
    };
    line.changed = true;
    // A corrected dossier replaces a sync the portal refused; if that was the create, this becomes the create.
    const superseded = line.stored ? await supersedeDead(this.tx, NATIONAL_PORTAL, dossier.code, ['dossier-create', 'dossier-update']) : [];
    const kind = superseded.includes('dossier-create') && !(await this.createOpenOrDelivered(dossier.code)) ? 'dossier-create' : 'dossier-update';
    return this.accepted(req, line, kind, dossier.code, existing, dossier);
  }

  private decideEvent(req: AcceptRequest, code: string, event: DossierEvent, line: Line): Accepted {
    const dossier = line.row!;
    const bodySha = sha256Hex(canonicalJson(event));
    const same = line.events.get(event.sequence);
    if (same) {
      if (same.bodySha === bodySha) return { statusCode: 202, body: acceptedBody(code, same.messageId, 'unchanged'), enqueue: [] };
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
    line.row = { ...dossier, status: event.status, body, body_sha256: sha256Hex(canonicalJson(body)), last_event_sequence: event.sequence, status_updated_from: null };
    line.changed = true;
    const accepted = this.accepted(req, line, 'dossier-event', code, dossier, { dossierCode: code, event });
    const messageId = accepted.enqueue[0]!.id;
    line.events.set(event.sequence, { bodySha, messageId });
    this.events.push({ code, event, bodySha, messageId });
    return accepted;
  }

  /** The outbound message and message-log record of an accepted change, to be written with the group. */
  private accepted(req: AcceptRequest, line: Line, kind: DossierMessageKind, code: string, before: DossierRow | undefined, payload: unknown): Accepted {
    const id = randomUUID();
    const agencyCode = line.row!.agency_code;
    const batchKey = portalBatchKey(kind, this.ctx.registry.portalAccountFor(agencyCode)?.key ?? `unconfigured:${agencyCode}`);
    this.messages.push({
      id,
      destination: NATIONAL_PORTAL,
      kind,
      partnerId: req.partner.id,
      dossierCode: code,
      agencyCode,
      orderKey: code,
      lane: req.lane,
      batchKey,
      payload,
      traceparent: req.traceparent,
    });
    this.records.push({
      direction: 'in',
      partnerId: req.partner.id,
      endpoint: req.endpoint,
      dossierCode: code,
      messageId: id,
      body: req.rawBody,
      outcome: 'accepted',
      signature: req.signature,
    });
    if (kind !== 'dossier-event') line.lastSyncId = id;
    const change = kind === 'dossier-event' ? 'event' : before ? 'update' : 'create';
    return { statusCode: 202, body: acceptedBody(code, id, change), enqueue: [{ id, lane: req.lane, batch: batchKey }] };
  }

  private async lastSyncOf(line: Line): Promise<string | null> {
    if (line.lastSyncId === undefined) {
      const [last] = await this.tx.query<{ id: string }>(
        `SELECT id FROM messages WHERE destination = $1 AND order_key = $2 AND kind <> 'dossier-event' ORDER BY order_seq DESC LIMIT 1`,
        [NATIONAL_PORTAL, line.row!.code],
      );
      line.lastSyncId = last?.id;
    }
    return line.lastSyncId ?? null;
  }

  private async createOpenOrDelivered(code: string): Promise<boolean> {
    const rows = await this.tx.query(
      `SELECT 1 FROM messages WHERE destination = $1 AND order_key = $2 AND kind = 'dossier-create' AND state IN ('pending', 'failed', 'delivered')`,
      [NATIONAL_PORTAL, code],
    );
    return rows.length > 0 || this.messages.some((m) => m.orderKey === code && m.kind === 'dossier-create');
  }

  /** The accepted requests' writes: a constant number of multi-row statements, whatever the group's size. */
  private async write(): Promise<void> {
    const changed = [...this.lines.values()].filter((l) => l.changed).map((l) => ({ ...l.row!, stored: l.stored }));
    const created = changed.filter((r) => !r.stored);
    if (created.length > 0) {
      const inserted = await this.tx.query(
        `INSERT INTO dossiers (code, agency_code, partner_id, status, body, body_sha256, last_event_sequence, status_updated_from)
         SELECT code, agency_code, partner_id, status, body::jsonb, body_sha256, last_event_sequence, status_updated_from
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::integer[], $8::text[])
             AS d(code, agency_code, partner_id, status, body, body_sha256, last_event_sequence, status_updated_from)
         ON CONFLICT (code) DO NOTHING RETURNING code`,
        rowColumns(created),
      );
      // Another transaction created one of these dossiers since the group read: decide the group again.
      if (inserted.length !== created.length) throw new WriteRace('a dossier of the group was created meanwhile');
    }
    const updated = changed.filter((r) => r.stored);
    if (updated.length > 0) {
      await this.tx.query(
        `UPDATE dossiers d SET status = u.status, body = u.body::jsonb, body_sha256 = u.body_sha256, last_event_sequence = u.last_event_sequence,
                status_updated_from = u.status_updated_from, updated_at = now()
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::integer[], $8::text[])
             AS u(code, agency_code, partner_id, status, body, body_sha256, last_event_sequence, status_updated_from)
          WHERE d.code = u.code`,
        rowColumns(updated),
      );
    }
    await insertMessages(this.tx, this.messages);
    await appendLogs(this.tx, this.records);
    if (this.events.length > 0) {
      await this.tx.query(
        `INSERT INTO dossier_events (dossier_code, sequence, status, body, body_sha256, message_id)
         SELECT code, sequence, status, body::jsonb, body_sha256, message_id
           FROM unnest($1::text[], $2::integer[], $3::text[], $4::text[], $5::text[], $6::uuid[]) AS e(code, sequence, status, body, body_sha256, message_id)`,
        [
          this.events.map((e) => e.code),
          this.events.map((e) => e.event.sequence),
          this.events.map((e) => e.event.status),
          this.events.map((e) => JSON.stringify(e.event)),
          this.events.map((e) => e.bodySha),
          this.events.map((e) => e.messageId),
        ],
      );
    }
    if (!(await rememberResponses(this.tx, this.remember))) throw new WriteRace('an idempotency key of the group was stored meanwhile');
  }

  /** The first open message of each of these lines, in one statement. */
  private async headsOf(codes: string[]): Promise<Map<string, CommittedMessage>> {
    if (codes.length === 0) return new Map();
    const rows = await this.tx.query<{ code: string } & CommittedMessage>(
      `SELECT DISTINCT ON (order_key) order_key AS code, id, lane FROM messages
        WHERE destination = $1 AND order_key = ANY($2::text[]) AND state IN ('pending', 'failed')
        ORDER BY order_key, order_seq`,
      [NATIONAL_PORTAL, [...new Set(codes)]],
    );
    return new Map(rows.map((r) => [r.code, { id: r.id, lane: r.lane }]));
  }
}

/**
 * Who may write this dossier: the partner acts for its agency, and for the agency of the stored row.
 * One step, decided per request against the row locked for the group.
 */
function authorizeDossier(registry: PartnerRegistry, partner: Partner, dossier: Dossier, existing: DossierRow | undefined, heldBy: string | undefined): void {
  const parties = existing ? { owner: existing.agency_code, holder: heldBy ?? existing.agency_code } : undefined;
  const verdict = mayCreate(registry, partner, { code: dossier.code, agencyCode: dossier.agency.code }, parties);
  if (verdict === 'forbidden-agency') throw new Problem('forbidden-agency', `You do not act for agency ${dossier.agency.code}`);
  // A code taken elsewhere is answered like a code of another agency: it does not tell whether it exists.
  if (verdict === 'code-not-yours') throw new Problem('forbidden-agency', `Dossier code ${dossier.code} is not one the agencies you act for may use`);
}

/** Who may report progress: after a hand-over (edXML, docs/edxml.md) the agency holding the dossier. */
function authorizeEvent(registry: PartnerRegistry, partner: Partner, code: string, dossier: DossierRow | undefined, heldBy: string | undefined): void {
  const holder = dossier ? (heldBy ?? dossier.agency_code) : undefined;
  const verdict = mayActOn(registry, partner, 'event', dossier && holder ? { owner: dossier.agency_code, holder } : undefined);
  if (verdict === 'not-found') {
    throw new Problem('dossier-not-found', `No dossier ${code} among the agencies you act for; create it with POST /v1/dossiers first`);
  }
  if (verdict === 'handed-over') {
    throw new Problem('dossier-handed-over', `Dossier ${code} was handed over to agency ${holder}, which reports its progress now`, { holder });
  }
}

function rowColumns(rows: readonly DossierRow[]): unknown[][] {
  return [
    rows.map((r) => r.code),
    rows.map((r) => r.agency_code),
    rows.map((r) => r.partner_id),
    rows.map((r) => r.status),
    rows.map((r) => JSON.stringify(r.body)),
    rows.map((r) => r.body_sha256),
    rows.map((r) => r.last_event_sequence),
    rows.map((r) => r.status_updated_from),
  ];
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

function acceptedBody(code: string, messageId: string | null, change: 'create' | 'update' | 'event' | 'unchanged'): Record<string, unknown> {
  return { dossierCode: code, messageId, change, links: { dossier: `/v1/dossiers/${encodeURIComponent(code)}` } };
}

function documentsOf(dossier: Dossier) {
  return [...(dossier.documents ?? []), ...(dossier.results ?? []), ...(dossier.supplements ?? []).flatMap((s) => s.documents ?? [])];
}

function checkAttachments(allowlist: readonly string[], owned: ReadonlySet<string>, dossier: Dossier): void {
  for (const ref of documentsOf(dossier)) {
    if (ref.fileId && !owned.has(ref.fileId)) {
      throw new Problem('unknown-file', `Document "${ref.id}" refers to file ${ref.fileId}, which you have not uploaded`);
    }
    if (ref.fileId && ref.url) throw new Problem('invalid-request', `Document "${ref.id}" has both fileId and url; give one`);
    if (ref.url && !isAllowedAttachmentUrl(ref.url, allowlist)) {
      throw new Problem('attachment-not-allowed', `Document "${ref.id}" links to a host that is not on the attachment allow-list; upload it with POST /v1/files`);
    }
  }
}
