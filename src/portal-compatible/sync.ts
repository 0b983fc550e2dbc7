// A DongBoHoSoMC or CapNhatTienDoHoSoMC call of the portal-compatible endpoint: every item read
// back into the canonical model, checked by the canonical schema, then accepted by the same rules
// as POST /v1/dossiers (acceptDossier/acceptEvent: storage, message log, outbound message). The
// portal judges a call as a whole, and so does this: all items are accepted in one transaction,
// and one refused item refuses the call with nothing of it stored.
import type { Dossier, DossierEvent } from '../../schemas/dossier.js';
import { fromDossierItem, fromProgressItem, WireFieldError, type ProgressStep } from '../../adapters/national-portal/index.js';
import { canonicalJson } from '../core/canonical-json.js';
import { Problem } from '../core/problems.js';
import { acceptDossier, acceptEvent, type AcceptContext, type AcceptRequest, type Accepted } from '../dossiers/accept.js';
import { mayActOn, partiesOf } from '../partners/ownership.js';
import type { PartnerRegistry } from '../partners/registry.js';
import type { Db, Queryable } from '../store/db.js';
import { PROTOCOL_CODE, ProtocolRefusal, invalidData, refusalOf, wirePath } from './protocol.js';

/** The canonical schema's first complaint about a value, or undefined when it is valid. */
export type SchemaCheck = (value: unknown) => { path: string; message: string } | undefined;

export interface SyncContext {
  db: Db;
  registry: PartnerRegistry;
  accept: AcceptContext;
  checkDossier: SchemaCheck;
  checkEvent: SchemaCheck;
}

export interface SyncCall {
  request: AcceptRequest;
  /** madonvi: the agency the dossiers belong to. */
  agencyCode: string;
  /** The agency's name in the portal's catalogue, when the gateway has it. */
  agencyName: string | undefined;
  data: readonly unknown[];
  /**
   * What each item's message-log record keeps: its own bytes as received, or, for a signed call,
   * the whole call (the bytes the partner's signature covers). Indexed like `data`.
   */
  itemBodies: readonly Buffer[];
}

export async function syncDossiers(ctx: SyncContext, call: SyncCall, isUpdating: boolean): Promise<Accepted[]> {
  const dossiers = call.data.map((item) => readDossier(ctx, call, item));
  return inOneTransaction(ctx, async (scoped, tx) => {
    const accepted: Accepted[] = [];
    for (const [i, dossier] of dossiers.entries()) {
      // A dossier the partner may not change is answered as one that does not exist (an update), or
      // as a code of an agency it does not act for (a create): never "it exists" (docs/security.md).
      const parties = await partiesOf(tx, dossier.code);
      const known = parties && mayActOn(ctx.registry, call.request.partner, 'update', parties) === 'allowed';
      if (!isUpdating && parties && !known) throw refusalOf(new Problem('forbidden-agency'), dossier.code);
      if (!isUpdating && known) throw new ProtocolRefusal(PROTOCOL_CODE.alreadyExists, `Hồ sơ đã tồn tại: ${dossier.code}`, 200, dossier.code);
      if (isUpdating && !known) throw new ProtocolRefusal(PROTOCOL_CODE.notFound, `Hồ sơ không tồn tại: ${dossier.code}`, 200, dossier.code);
      accepted.push(await inProtocolTerms(dossier.code, () => acceptDossier(scoped, itemRequest(call, i), dossier)));
    }
    return accepted;
  });
}

export async function syncProgress(ctx: SyncContext, call: SyncCall): Promise<Accepted[]> {
  const steps = call.data.map((item) => readWire(item, () => fromProgressItem(item)));
  return inOneTransaction(ctx, async (scoped, tx) => {
    const accepted: Accepted[] = [];
    for (const [i, { dossierCode, step }] of steps.entries()) {
      // Locked now, so that the sequence given here is still the next one when the event is stored.
      const [dossier] = await tx.query<{ last_event_sequence: number }>('SELECT last_event_sequence FROM dossiers WHERE code = $1 FOR UPDATE', [dossierCode]);
      if (!dossier) throw new ProtocolRefusal(PROTOCOL_CODE.notFound, `Hồ sơ không tồn tại: ${dossierCode}`, 200, dossierCode);
      const [last] = await tx.query<{ body: DossierEvent }>('SELECT body FROM dossier_events WHERE dossier_code = $1 AND sequence = $2', [dossierCode, dossier.last_event_sequence]);
      // The protocol has no step number: a step equal to the last one is the sender's retry, not a new step.
      if (last && sameStep(last.body, step)) continue;
      const event: DossierEvent = { ...step, sequence: dossier.last_event_sequence + 1 };
      const problem = ctx.checkEvent(event);
      if (problem) throw invalidData(dossierCode, `${wirePath(problem.path)} ${problem.message}`);
      accepted.push(await inProtocolTerms(dossierCode, () => acceptEvent(scoped, itemRequest(call, i), dossierCode, event)));
    }
    return accepted;
  });
}

function itemRequest(call: SyncCall, index: number): AcceptRequest {
  return { ...call.request, rawBody: call.itemBodies[index] ?? call.request.rawBody };
}

function readDossier(ctx: SyncContext, call: SyncCall, item: unknown): Dossier {
  const unit = (item as { DonViXuLy?: unknown } | null)?.DonViXuLy;
  const name = call.agencyName ?? (typeof unit === 'string' && unit.trim() !== '' ? unit : call.agencyCode);
  const dossier = readWire(item, () => fromDossierItem(item, { agency: { code: call.agencyCode, name } }));
  const problem = ctx.checkDossier(dossier);
  if (problem) throw invalidData(dossier.code, `${wirePath(problem.path)} ${problem.message}`);
  return dossier;
}

function readWire<T>(item: unknown, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (!(error instanceof WireFieldError)) throw error;
    const code = (item as { MaHoSo?: unknown } | null)?.MaHoSo;
    throw invalidData(typeof code === 'string' && code !== '' ? code : undefined, `${error.field} ${error.reason}`);
  }
}

async function inProtocolTerms(code: string, accept: () => Promise<Accepted>): Promise<Accepted> {
  try {
    return await accept();
  } catch (error) {
    if (error instanceof Problem) throw refusalOf(error, code);
    // Two calls created the same new dossier at once: the later one lost the race on its key.
    if ((error as { code?: unknown }).code === '23505') throw new ProtocolRefusal(PROTOCOL_CODE.alreadyExists, `Hồ sơ đã tồn tại: ${code}`, 200, code);
    throw error;
  }
}

/** Runs the acceptance rules of every item inside one transaction: their own transactions join it. */
function inOneTransaction<T>({ db, accept }: SyncContext, work: (scoped: AcceptContext, tx: Queryable) => Promise<T>): Promise<T> {
  return db.transaction((tx) => {
    const joined: Db = {
      engine: db.engine,
      query: (sql, params) => tx.query(sql, params),
      transaction: (fn) => fn(tx),
      close: () => Promise.resolve(),
    };
    return work({ ...accept, db: joined }, tx);
  });
}

function sameStep(stored: DossierEvent, step: ProgressStep): boolean {
  return canonicalJson({ ...stored, sequence: 0 }) === canonicalJson({ ...step, sequence: 0 });
}
