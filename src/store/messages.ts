// Outbound messages and their delivery state. Order: messages sharing (destination, order_key) are
// delivered strictly by order_seq; a message is ready only when every earlier one is delivered or
// superseded, so a dead message holds back its own line and nothing else.
import type { Db, Queryable } from './db.js';

export type MessageState = 'pending' | 'failed' | 'delivered' | 'dead' | 'superseded';
export type Lane = 'live' | 'bulk';

export interface NewMessage {
  id: string;
  destination: string;
  kind: string;
  partnerId: string;
  dossierCode?: string;
  agencyCode?: string;
  orderKey: string;
  lane: Lane;
  batchKey: string;
  payload: unknown;
  /** The W3C traceparent of the request that caused it. */
  traceparent?: string | undefined;
}

export interface OutboundMessage {
  id: string;
  destination: string;
  kind: string;
  partnerId: string;
  dossierCode: string | null;
  agencyCode: string | null;
  orderKey: string;
  orderSeq: number;
  lane: Lane;
  batchKey: string;
  payload: unknown;
  state: MessageState;
  attempts: number;
  lastError: string | null;
  outcomeNote: string | null;
  nextAttemptAt: Date;
  deliveredAt: Date | null;
  createdAt: Date;
  traceparent: string | null;
}

/** A message's state after an attempt: everything but the payload, which the call already had. */
export type RecordedMessage = Omit<OutboundMessage, 'payload'>;

const STATE_COLUMNS = `id, destination, kind, partner_id AS "partnerId", dossier_code AS "dossierCode", agency_code AS "agencyCode",
  order_key AS "orderKey", order_seq AS "orderSeq", lane, batch_key AS "batchKey", state, attempts,
  last_error AS "lastError", outcome_note AS "outcomeNote", next_attempt_at AS "nextAttemptAt",
  delivered_at AS "deliveredAt", created_at AS "createdAt", traceparent`;
const COLUMNS = `${STATE_COLUMNS}, payload`;

const PREDECESSOR_OPEN = `EXISTS (SELECT 1 FROM messages p WHERE p.destination = m.destination AND p.order_key = m.order_key
  AND p.order_seq < m.order_seq AND p.state NOT IN ('delivered', 'superseded'))`;

/** Messages of batch ($1 destination, $2 lane, $3 batch key) that a call may carry now: due, free, first of their line. */
const READY_IN_BATCH = `destination = $1 AND lane = $2 AND batch_key = $3 AND state IN ('pending', 'failed')
  AND next_attempt_at <= now() AND (lease_until IS NULL OR lease_until <= now()) AND NOT ${PREDECESSOR_OPEN}`;

export async function insertMessage(q: Queryable, m: NewMessage): Promise<number> {
  const [seq] = await insertMessages(q, [m]);
  return seq!;
}

/**
 * One statement, one round trip for any number of messages: each line's counter moves once by the
 * number of its new messages, and messages of one line take their places in the order given.
 * Returns each message's place in its line, in the order given.
 */
export async function insertMessages(q: Queryable, ms: readonly NewMessage[]): Promise<number[]> {
  if (ms.length === 0) return [];
  const column = <K extends keyof NewMessage>(k: K) => ms.map((m) => m[k] ?? null);
  const rows = await q.query<{ id: string; seq: number }>(
    `WITH input AS (
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[])
         WITH ORDINALITY AS i(id, destination, kind, partner_id, dossier_code, agency_code, order_key, lane, batch_key, payload, traceparent, ord)
     ),
     lines AS (SELECT destination, order_key, count(*)::integer AS n FROM input GROUP BY destination, order_key ORDER BY destination, order_key),
     counter AS (
       INSERT INTO order_counters (destination, order_key, last_seq) SELECT destination, order_key, n FROM lines
       ON CONFLICT (destination, order_key) DO UPDATE SET last_seq = order_counters.last_seq + EXCLUDED.last_seq
       RETURNING destination, order_key, last_seq
     )
     INSERT INTO messages (id, destination, kind, partner_id, dossier_code, agency_code, order_key, order_seq, lane, batch_key, payload, traceparent)
     SELECT i.id, i.destination, i.kind, i.partner_id, i.dossier_code, i.agency_code, i.order_key,
            c.last_seq - l.n + row_number() OVER (PARTITION BY i.destination, i.order_key ORDER BY i.ord),
            i.lane, i.batch_key, i.payload::jsonb, i.traceparent
       FROM input i JOIN lines l USING (destination, order_key) JOIN counter c USING (destination, order_key)
      ORDER BY i.ord
     RETURNING id, order_seq AS seq`,
    [
      column('id'),
      column('destination'),
      column('kind'),
      column('partnerId'),
      column('dossierCode'),
      column('agencyCode'),
      column('orderKey'),
      column('lane'),
      column('batchKey'),
      ms.map((m) => JSON.stringify(m.payload)),
      column('traceparent'),
    ],
  );
  const seqs = new Map(rows.map((r) => [r.id, r.seq]));
  return ms.map((m) => seqs.get(m.id)!);
}

export async function getMessage(q: Queryable, id: string): Promise<OutboundMessage | undefined> {
  const [row] = await q.query<OutboundMessage>(`SELECT ${COLUMNS} FROM messages WHERE id = $1`, [id]);
  return row;
}

export async function messagesOfDossier(q: Queryable, destination: string, dossierCode: string): Promise<(OutboundMessage & { held: boolean })[]> {
  return q.query(
    `SELECT ${COLUMNS}, (m.state IN ('pending', 'failed') AND ${PREDECESSOR_OPEN}) AS held
       FROM messages m WHERE m.destination = $1 AND m.dossier_code = $2 ORDER BY m.order_seq`,
    [destination, dossierCode],
  );
}

/** The first open message of a line, if any: what to enqueue after the line changed. */
export async function headOfLine(q: Queryable, destination: string, orderKey: string): Promise<{ id: string; lane: Lane } | undefined> {
  const [row] = await q.query<{ id: string; lane: Lane }>(
    `SELECT id, lane FROM messages WHERE destination = $1 AND order_key = $2 AND state IN ('pending', 'failed')
      ORDER BY order_seq LIMIT 1`,
    [destination, orderKey],
  );
  return row;
}

/** What a delivery job reads of its own message before claiming (src/delivery/processor.ts). */
export interface JobHead {
  destination: string;
  lane: Lane;
  batchKey: string;
  /** pending or failed */
  open: boolean;
  /** in another worker's call */
  leased: boolean;
  /** an earlier message of its line is still open */
  blocked: boolean;
  due: boolean;
  nextAttemptAt: Date;
}

export async function jobHead(q: Queryable, id: string): Promise<JobHead | undefined> {
  const [head] = await q.query<JobHead>(
    `SELECT destination, lane, batch_key AS "batchKey", state IN ('pending', 'failed') AS open,
            coalesce(lease_until > now(), false) AS leased, ${PREDECESSOR_OPEN} AS blocked,
            next_attempt_at <= now() AS due, next_attempt_at AS "nextAttemptAt"
       FROM messages m WHERE id = $1`,
    [id],
  );
  return head;
}

/**
 * Leases for one call, in one statement: the job's own message when it is ready, then (when a call
 * carries more than one) the oldest other ready messages of its batch, up to `limit` in all. A job
 * whose message already went out in another call, or waits behind its line, so claims what else of
 * its batch is ready (src/delivery/jobs-per-call.ts). At most one message per line is ever ready,
 * so a call never carries two of one line. The lease keeps other workers off them; if this worker
 * dies it runs out.
 */
export async function claimForCall(
  q: Queryable,
  own: string,
  batch: { destination: string; lane: Lane; batchKey: string },
  limit: number,
  leaseMs: number,
): Promise<OutboundMessage[]> {
  const messages = await q.query<OutboundMessage & { own: boolean }>(
    `WITH own AS (SELECT id, created_at FROM messages m WHERE id = $6 AND ${READY_IN_BATCH} FOR UPDATE SKIP LOCKED),
          others AS (SELECT id, created_at FROM messages m WHERE ${READY_IN_BATCH} AND id <> $6 AND $4::integer > 1
                      ORDER BY created_at LIMIT $4::integer FOR UPDATE SKIP LOCKED),
          chosen AS (SELECT id FROM (SELECT id, 0 AS rank, created_at FROM own UNION ALL SELECT id, 1, created_at FROM others) c
                      ORDER BY rank, created_at LIMIT $4::integer)
     UPDATE messages SET lease_until = now() + $5 * interval '1 millisecond', updated_at = now()
      WHERE id IN (SELECT id FROM chosen) RETURNING ${COLUMNS}, id = $6 AS own`,
    [batch.destination, batch.lane, batch.batchKey, limit, leaseMs, own],
  );
  messages.sort((a, b) => Number(b.own) - Number(a.own) || new Date(a.createdAt).getTime() - new Date(b.createdAt).getTime());
  return messages.map(({ own: _own, ...message }) => message);
}

/** What one call did to one message. */
export type AttemptOutcome =
  | { id: string; delivered: true; note: string | undefined }
  | { id: string; delivered: false; error: string; permanent: boolean; delayMs: number };

/**
 * Records the outcomes of one call's messages in one statement: delivered; or failed, to be tried
 * again after its delay; or dead when the failure is permanent, or it was the last attempt allowed
 * and the message is older than giveUpAfterMs. Messages no longer open (replayed or finished
 * elsewhere meanwhile) are left alone and not returned.
 */
export async function recordAttempts(
  q: Queryable,
  outcomes: readonly AttemptOutcome[],
  options: { maxAttempts: number; giveUpAfterMs: number },
): Promise<RecordedMessage[]> {
  if (outcomes.length === 0) return [];
  const failure = (o: AttemptOutcome) => (o.delivered ? undefined : o);
  // The payload is not read back: parsing it again cost as much as the rest of the record.
  return q.query<RecordedMessage>(
    `UPDATE messages m SET attempts = m.attempts + 1, lease_until = NULL, updated_at = now(),
            state = CASE WHEN u.delivered THEN 'delivered'
                         WHEN u.permanent OR (m.attempts + 1 >= $7 AND m.created_at <= now() - $8 * interval '1 millisecond') THEN 'dead'
                         ELSE 'failed' END,
            delivered_at = CASE WHEN u.delivered THEN now() ELSE m.delivered_at END,
            last_error = u.error,
            outcome_note = CASE WHEN u.delivered THEN u.note ELSE m.outcome_note END,
            next_attempt_at = CASE WHEN u.delivered THEN m.next_attempt_at ELSE now() + u.delay_ms * interval '1 millisecond' END
       FROM unnest($1::uuid[], $2::boolean[], $3::text[], $4::text[], $5::boolean[], $6::integer[]) AS u(uid, delivered, note, error, permanent, delay_ms)
      WHERE m.id = u.uid AND m.state IN ('pending', 'failed') RETURNING ${STATE_COLUMNS}`,
    [
      outcomes.map((o) => o.id),
      outcomes.map((o) => o.delivered),
      outcomes.map((o) => (o.delivered ? (o.note ?? null) : null)),
      outcomes.map((o) => failure(o)?.error ?? null),
      outcomes.map((o) => failure(o)?.permanent ?? false),
      outcomes.map((o) => Math.round(failure(o)?.delayMs ?? 0)),
      options.maxAttempts,
      options.giveUpAfterMs,
    ],
  );
}

/**
 * Extends the lease of claimed messages still open whose lease has not yet run out (once it has,
 * another worker may hold them). Rows another transaction holds are skipped, not waited for: that
 * is a claim that will find them leased, or an outcome being recorded. Returns how many were renewed.
 */
export async function renewLease(q: Queryable, ids: readonly string[], leaseMs: number): Promise<number> {
  const rows = await q.query<{ id: string }>(
    `UPDATE messages SET lease_until = now() + $2 * interval '1 millisecond'
      WHERE id IN (SELECT id FROM messages WHERE id = ANY($1::uuid[]) AND state IN ('pending', 'failed') AND lease_until > now() FOR UPDATE SKIP LOCKED)
      RETURNING id`,
    [ids, leaseMs],
  );
  return rows.length;
}

/** Gives a claimed message back untouched (e.g. its batch was cut short by shutdown). */
export async function releaseLease(q: Queryable, ids: string[]): Promise<void> {
  await q.query(`UPDATE messages SET lease_until = NULL WHERE id = ANY($1::uuid[]) AND state IN ('pending', 'failed')`, [ids]);
}

/** For each of these (delivered) messages, the next open message of its line, if any: one statement. */
export async function nextInLines(q: Queryable, ms: readonly RecordedMessage[]): Promise<{ id: string; lane: Lane }[]> {
  if (ms.length === 0) return [];
  return q.query<{ id: string; lane: Lane }>(
    `SELECT DISTINCT ON (m.destination, m.order_key) m.id, m.lane
       FROM messages m JOIN unnest($1::text[], $2::text[], $3::integer[]) AS d(destination, order_key, seq)
         ON m.destination = d.destination AND m.order_key = d.order_key AND m.order_seq > d.seq
      WHERE m.state IN ('pending', 'failed')
      ORDER BY m.destination, m.order_key, m.order_seq`,
    [ms.map((m) => m.destination), ms.map((m) => m.orderKey), ms.map((m) => m.orderSeq)],
  );
}

export async function replayDead(q: Queryable, id: string): Promise<OutboundMessage | 'not-found' | 'not-dead'> {
  const [row] = await q.query<OutboundMessage>(
    `UPDATE messages SET state = 'pending', attempts = 0, next_attempt_at = now(), lease_until = NULL, updated_at = now()
      WHERE id = $1 AND state = 'dead' RETURNING ${COLUMNS}`,
    [id],
  );
  if (row) return row;
  return (await getMessage(q, id)) ? 'not-dead' : 'not-found';
}

/** Dead messages of the same kind that a newer one replaces (a corrected dossier replaces a refused sync). */
export async function supersedeDead(q: Queryable, destination: string, orderKey: string, kinds: string[]): Promise<string[]> {
  const rows = await q.query<{ kind: string }>(
    `UPDATE messages SET state = 'superseded', updated_at = now()
      WHERE destination = $1 AND order_key = $2 AND state = 'dead' AND kind = ANY($3::text[]) RETURNING kind`,
    [destination, orderKey, kinds],
  );
  return rows.map((r) => r.kind);
}

/** Open messages that should be in the queue: ready, not leased. The sweeper re-enqueues them. */
export async function sweepCandidates(q: Queryable, limit: number): Promise<{ id: string; lane: Lane; delayMs: number }[]> {
  return q.query(
    `SELECT id, lane, GREATEST(0, (EXTRACT(EPOCH FROM (next_attempt_at - now())) * 1000)::integer) AS "delayMs"
       FROM messages m
      WHERE state IN ('pending', 'failed') AND (lease_until IS NULL OR lease_until <= now()) AND NOT ${PREDECESSOR_OPEN}
      ORDER BY next_attempt_at LIMIT $1`,
    [limit],
  );
}

/** The operator's list of messages in one state, newest change first; without payloads, which an overview never shows. */
export async function messagesInState(q: Queryable, state: MessageState, limit: number): Promise<OutboundMessage[]> {
  return q.query<OutboundMessage>(
    `SELECT id, destination, kind, partner_id AS "partnerId", dossier_code AS "dossierCode", lane, state, attempts,
            last_error AS "lastError", outcome_note AS "outcomeNote", next_attempt_at AS "nextAttemptAt", delivered_at AS "deliveredAt"
       FROM messages WHERE state = $1 ORDER BY updated_at DESC LIMIT $2`,
    [state, limit],
  );
}
