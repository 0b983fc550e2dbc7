// The ownership rule (docs/security.md): may this partner, with its roles, do this action on this
// dossier? Every road that reads or changes a dossier asks here: /v1 dossiers and events, payments,
// postal shipments, edXML hand-overs and their statuses, the portal-compatible endpoint, SOAP.
// A refusal never says whether the dossier exists elsewhere: 'not-found' is the answer for a dossier
// that does not exist and for one the partner may not see alike.
import type { Queryable } from '../store/db.js';
import type { Partner, PartnerRegistry, Role } from './registry.js';

export type DossierAction = 'create' | 'update' | 'event' | 'read' | 'pay' | 'ship' | 'hand-over' | 'status';

/** Who a dossier belongs to and who answers for it now. */
export interface DossierParties {
  /** The agency the dossier was created for; it is synced to the portal under this agency. */
  owner: string;
  /** The agency that last accepted a hand-over of it (edXML status 03), else the owner. */
  holder: string;
}

/**
 * - allowed
 * - not-found: the same answer as for a dossier that does not exist
 * - handed-over: the partner acts for the owner, but another agency holds the dossier now (events only)
 */
export type Verdict = 'allowed' | 'not-found' | 'handed-over';

const WRITERS: readonly Role[] = ['one-stop', 'agency-system'];
const ROLES: Record<DossierAction, readonly Role[]> = {
  create: WRITERS,
  update: WRITERS,
  event: WRITERS,
  read: [...WRITERS, 'admin'],
  pay: ['one-stop'],
  ship: ['one-stop'],
  'hand-over': WRITERS,
  status: WRITERS,
};

/** What an edXML package claims: the agency it speaks for and, for a status, the agency that handed the dossier over. */
export interface EdxmlClaim {
  /** The package's From agency. */
  from: string;
  /** For a status that accepts a hand-over: the agency the dossier was handed over by. */
  handedOverBy?: string;
}

export async function partiesOf(q: Queryable, code: string, options: { lock?: boolean } = {}): Promise<DossierParties | undefined> {
  const [row] = await q.query<{ owner: string; holder: string | null }>(
    `SELECT d.agency_code AS owner, h.agency_code AS holder FROM dossiers d LEFT JOIN dossier_holders h ON h.dossier_code = d.code
      WHERE d.code = $1${options.lock ? ' FOR UPDATE OF d' : ''}`,
    [code],
  );
  return row ? { owner: row.owner, holder: row.holder ?? row.owner } : undefined;
}

/** The rule. `claim` is required for 'hand-over' and 'status' (edXML), ignored otherwise. */
export function mayActOn(registry: PartnerRegistry, partner: Partner, action: DossierAction, parties: DossierParties | undefined, claim?: EdxmlClaim): Verdict {
  if (!parties || !ROLES[action].some((role) => partner.roles.has(role))) return 'not-found';
  if (action === 'read' && partner.roles.has('admin')) return 'allowed';
  const forOwner = registry.actsFor(partner, parties.owner);
  const forHolder = registry.actsFor(partner, parties.holder);
  switch (action) {
    case 'read':
    case 'pay':
    case 'ship':
      // The receiving one-stop keeps collecting fees and returning results after a hand-over.
      return forOwner || forHolder ? 'allowed' : 'not-found';
    case 'create':
    case 'update':
      return forOwner ? 'allowed' : 'not-found';
    case 'event':
      return forHolder ? 'allowed' : forOwner ? 'handed-over' : 'not-found';
    case 'hand-over':
      // Only the agency answering for the dossier now may hand it on, through a system acting for it.
      return claim && claim.from === parties.holder && registry.actsFor(partner, claim.from) ? 'allowed' : 'not-found';
    case 'status':
      // Responsibility moves only if the agency that handed the dossier over still holds it.
      return claim?.handedOverBy !== undefined && claim.handedOverBy === parties.holder && registry.actsFor(partner, claim.from) ? 'allowed' : 'not-found';
  }
}

/**
 * Dossier codes of the national portal start with the code of the agency that received the dossier
 * ("000.00.12.H26-250805-0042"; every golden fixture follows it). A code in that shape whose agency
 * the partner does not act for is refused from the request alone, before any look-up, so that codes
 * of other agencies cannot be probed; a code taken by another agency gets the same answer.
 */
const AGENCY_PREFIXED = /^(\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2})-/;

/**
 * May the partner create (or update) a dossier with this code for this agency? 'forbidden-agency'
 * when it does not act for the body's agency (the request alone says so); 'code-not-yours' when the
 * code names an agency it does not act for, or is taken by a dossier it may not change: one answer
 * for both, so that it does not tell whether the code exists.
 */
export function mayCreate(registry: PartnerRegistry, partner: Partner, dossier: { code: string; agencyCode: string }, existing: DossierParties | undefined): 'allowed' | 'forbidden-agency' | 'code-not-yours' {
  if (!ROLES.create.some((role) => partner.roles.has(role)) || !registry.actsFor(partner, dossier.agencyCode)) return 'forbidden-agency';
  const prefix = AGENCY_PREFIXED.exec(dossier.code)?.[1];
  if (prefix !== undefined && !registry.actsFor(partner, prefix)) return 'code-not-yours';
  if (existing && mayActOn(registry, partner, 'update', existing) !== 'allowed') return 'code-not-yours';
  return 'allowed';
}

/** An edXML document's trail: shown to the systems that sent or received one of its packages, and to admins. */
export function mayReadTrail(partner: Partner, involved: boolean): boolean {
  return involved || partner.roles.has('admin');
}
