// POST /v1/edxml: a member system's package, split as it streams in, its signature verified, its
// business data read from the verified envelope only, checked against the directory, stamped with
// the gateway's TraceHeader, re-signed by the gateway, and routed to each receiver in the same
// transaction as its message-log record. A refusal is recorded (who, the DocumentId it claimed, why)
// so that the document's trail says why; nothing of its content is kept.
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import {
  BUSINESS_DOC_TYPES,
  checkAttachments,
  DOSSIER_HANDOVER,
  EdxmlRefused,
  EdxmlSignatureRefused,
  edxmlTimestamp,
  splitPackage,
  verifyEnvelope,
  writeSignedEnvelope,
  type Envelope,
  type SplitPackage,
} from '../../adapters/edxml/index.js';
import { appendLog } from '../audit/message-log.js';
import type { CertificateCatalog } from '../audit/certificates.js';
import { sha256Hex } from '../core/hash.js';
import { Problem } from '../core/problems.js';
import { checkPartnerCertificate } from '../crypto/partner-signature.js';
import type { Signer } from '../crypto/signer.js';
import { certificateFingerprint, type TrustChecker } from '../crypto/trust.js';
import { mayActOn, partiesOf, type EdxmlClaim } from '../partners/ownership.js';
import type { Partner, PartnerRegistry } from '../partners/registry.js';
import type { Db, Queryable } from '../store/db.js';
import { insertMessage } from '../store/messages.js';
import type { Directory, DirectoryEntry } from './directory.js';
import { keepAttachment } from './attachments.js';
import { acceptedDocument, insertDelivery, insertPackage, packagesOfDocument, setHolder, type StoredAttachment } from './store.js';
import { EDXML } from '../delivery/destination-names.js';

export const ENDPOINT = 'POST /v1/edxml';

export interface EdxmlContext {
  db: Db;
  registry: PartnerRegistry;
  directory: Directory;
  trust: TrustChecker;
  /** The gateway's signing key: it signs every envelope it forwards. */
  signer: Signer;
  catalog: CertificateCatalog;
  /** The gateway's own OrganId in TraceHeaders. */
  organId: string;
  /** Where a package's attachments are decoded while it is judged; they are kept in the database. */
  incomingDir: string;
  maxPackageBytes: number;
}

export interface Received {
  packageId: string;
  documentId: string;
  kind: 'document' | 'status';
  /** Pushed deliveries to enqueue. */
  messageIds: string[];
  duplicate: boolean;
}

export async function receivePackage(ctx: EdxmlContext, partner: Partner, receivedAt: Date, body: AsyncIterable<Buffer>): Promise<Received> {
  let split: SplitPackage | undefined;
  try {
    split = await splitPackage(body, { maxPackageBytes: ctx.maxPackageBytes, dir: ctx.incomingDir });
    return await accept(ctx, partner, receivedAt, split);
  } catch (error) {
    const problem = toProblem(error);
    await recordRefusal(ctx.db, partner, split, problem);
    throw problem;
  } finally {
    // Accepted attachments are in the database by now; refused ones are kept nowhere.
    for (const a of split?.attachments ?? []) await rm(a.file, { force: true });
  }
}

async function accept(ctx: EdxmlContext, partner: Partner, receivedAt: Date, split: SplitPackage): Promise<Received> {
  const verified = await verifyEnvelope(split.envelopeXml);
  checkPartnerCertificate(verified.certificateChain, partner, receivedAt, { trust: ctx.trust, registry: ctx.registry });
  const { envelope } = verified;
  // The package is judged whole before it may be recognised as a retry: the envelope's hash below
  // does not cover the attachments, only the signed manifest does. A status carries none.
  checkAttachments(envelope.kind === 'document' ? envelope.manifest : [], split.attachments);
  const senderSha256 = sha256Hex(Buffer.from(split.envelopeXml, 'utf8'));
  // The same package sent again (a retry after a lost answer) is answered with the first, delivered once.
  const documentId = envelope.kind === 'document' ? envelope.messageHeader.documentId : envelope.status.responseFor.documentId;
  const same = (await packagesOfDocument(ctx.db, documentId)).find((p) => p.state === 'accepted' && p.partnerId === partner.id && p.header?.senderSha256 === senderSha256);
  if (same) return { packageId: same.id, documentId, kind: envelope.kind, messageIds: [], duplicate: true };
  const route = envelope.kind === 'document' ? await routeDocument(ctx, partner, envelope) : await routeStatus(ctx, partner, envelope);

  const stamped: Envelope = { ...envelope, traces: [...envelope.traces, { organId: ctx.organId, timestamp: edxmlTimestamp(receivedAt) }] };
  const forwarded = writeSignedEnvelope(stamped, ctx.signer);
  const packageId = randomUUID();
  const chain = await ctx.catalog.remember(verified.certificateChain);
  const messageIds: string[] = [];
  await ctx.db.transaction(async (tx) => {
    // The bytes commit with the package's row, or not at all.
    for (const a of split.attachments) await keepAttachment(tx, a.file, a);
    await insertPackage(tx, {
      id: packageId,
      kind: envelope.kind,
      documentId: route.documentId,
      partnerId: partner.id,
      fromOrganId: route.from,
      toOrganIds: route.receivers.map((r) => r.organId),
      statusCode: envelope.kind === 'status' ? envelope.status.statusCode : null,
      state: 'accepted',
      refusalCode: null,
      refusalReason: null,
      envelope: forwarded,
      header: { envelope: stamped, senderSha256 },
      attachments: split.attachments.map((a): StoredAttachment => ({ contentId: a.contentId, contentType: a.contentType, attachmentName: a.attachmentName, description: a.description, size: a.size, sha256: a.sha256 })),
    });
    for (const receiver of route.receivers) {
      const id = randomUUID();
      await insertDelivery(tx, { id, packageId, organId: receiver.organId, partnerId: receiver.partner.id, mode: receiver.delivery });
      if (receiver.delivery === 'push') {
        await insertMessage(tx, {
          id,
          destination: EDXML,
          kind: `edxml-${envelope.kind}`,
          partnerId: receiver.partner.id,
          // One line per receiving system and document: its statuses arrive in the order they were sent.
          orderKey: `${receiver.partner.id}|${route.documentId}`,
          lane: 'live',
          batchKey: `${EDXML}|${receiver.partner.id}`,
          payload: { packageId, organId: receiver.organId },
        });
        messageIds.push(id);
      }
    }
    await route.after?.(tx);
    await appendLog(tx, {
      direction: 'in',
      partnerId: partner.id,
      endpoint: ENDPOINT,
      body: Buffer.from(split.envelopeXml, 'utf8'),
      outcome: 'accepted',
      signature: { format: 'xmldsig', value: verified.signatureValue, keyId: certificateFingerprint(verified.certificateChain[0]!), chain },
    });
  });
  return { packageId, documentId: route.documentId, kind: envelope.kind, messageIds, duplicate: false };
}

interface Route {
  documentId: string;
  from: string;
  receivers: DirectoryEntry[];
  /** More work in the acceptance transaction. */
  after?: (tx: Queryable) => Promise<void>;
}

function senderEntry(ctx: EdxmlContext, partner: Partner, organId: string): DirectoryEntry {
  const entry = ctx.directory.get(organId);
  if (!entry || entry.partner.id !== partner.id) {
    throw new Problem('edxml-sender-mismatch', `From agency ${organId} is not served by your system in the directory`);
  }
  return entry;
}

async function routeDocument(ctx: EdxmlContext, partner: Partner, envelope: Extract<Envelope, { kind: 'document' }>): Promise<Route> {
  const header = envelope.messageHeader;
  senderEntry(ctx, partner, header.from.organId);
  const handover = header.otherInfo?.applicationType === DOSSIER_HANDOVER;
  const receivers = header.to.map((to) => {
    const entry = ctx.directory.get(to.organId);
    if (!entry) throw new Problem('edxml-unknown-receiver', `To agency ${to.organId} is not in the directory`);
    const need = handover ? 'dossier-handover' : 'document';
    if (!entry.accepts.includes(need)) throw new Problem('edxml-unknown-receiver', `The system serving ${to.organId} does not take a ${need}`);
    if (entry.documentTypes && !entry.documentTypes.includes(header.documentType.type)) {
      throw new Problem('edxml-unknown-receiver', `The system serving ${to.organId} does not take DocumentType ${header.documentType.type}`);
    }
    return entry;
  });
  if (new Set(receivers.map((r) => r.organId)).size !== receivers.length) throw new Problem('edxml-malformed', 'A To agency is named twice');
  const existing = await acceptedDocument(ctx.db, header.documentId);
  if (existing && existing.partnerId !== partner.id) throw new Problem('edxml-duplicate', `DocumentId ${header.documentId} belongs to another sender`);
  // A new document takes a fresh DocumentId; a revocation, update or replacement names one already sent.
  const businessType = envelope.business?.bussinessDocType ?? BUSINESS_DOC_TYPES.new;
  if (businessType === BUSINESS_DOC_TYPES.new && existing) throw new Problem('edxml-duplicate', `DocumentId ${header.documentId} was already sent with other content`);
  if (businessType !== BUSINESS_DOC_TYPES.new && !existing) {
    throw new Problem('edxml-unknown-document', `BussinessDocType ${businessType} needs document ${header.documentId} to have been sent before`);
  }
  // A new hand-over names a dossier its From agency answers for now; a revocation or update of one
  // already sent concerns that document, and any status 03 on it is checked again (routeStatus).
  if (handover && businessType === BUSINESS_DOC_TYPES.new) await checkHandover(ctx, ctx.db, partner, 'hand-over', header.code.codeNumber, { from: header.from.organId });
  return { documentId: header.documentId, from: header.from.organId, receivers };
}

async function routeStatus(ctx: EdxmlContext, partner: Partner, envelope: Extract<Envelope, { kind: 'status' }>): Promise<Route> {
  const { status } = envelope;
  senderEntry(ctx, partner, status.from.organId);
  const documentId = status.responseFor.documentId;
  const document = await acceptedDocument(ctx.db, documentId);
  if (!document || !document.toOrganIds.includes(status.from.organId) || document.fromOrganId !== status.responseFor.organId) {
    throw new Problem('edxml-unknown-document', `No document ${documentId} from ${status.responseFor.organId} was sent to ${status.from.organId}`);
  }
  const origin = ctx.directory.get(document.fromOrganId);
  if (!origin) throw new Problem('edxml-unknown-receiver', `The sender agency ${document.fromOrganId} has left the directory`);
  const sent = document.header?.envelope;
  const handover = sent?.kind === 'document' && sent.messageHeader.otherInfo?.applicationType === DOSSIER_HANDOVER ? sent.messageHeader : undefined;
  const accepting = handover && status.statusCode === '03' ? { code: handover.code.codeNumber, claim: { from: status.from.organId, handedOverBy: handover.from.organId } } : undefined;
  // Checked when the status arrives, and again under the dossier's lock as responsibility moves.
  if (accepting) await checkHandover(ctx, ctx.db, partner, 'status', accepting.code, accepting.claim);
  return {
    documentId,
    from: status.from.organId,
    receivers: [origin],
    // Accepting a handed-over dossier moves responsibility for it to the accepting agency.
    ...(accepting
      ? {
          after: async (tx: Queryable) => {
            await checkHandover(ctx, tx, partner, 'status', accepting.code, accepting.claim, true);
            await setHolder(tx, { dossierCode: accepting.code, agencyCode: status.from.organId, partnerId: partner.id, documentId });
          },
        }
      : {}),
  };
}

/** The ownership rule on the edXML road: a dossier that does not exist and one held by another agency are refused alike. */
async function checkHandover(ctx: EdxmlContext, q: Queryable, partner: Partner, action: 'hand-over' | 'status', code: string, claim: EdxmlClaim, lock = false): Promise<void> {
  const holderAgency = action === 'hand-over' ? claim.from : claim.handedOverBy;
  if (mayActOn(ctx.registry, partner, action, await partiesOf(q, code, { lock }), claim) !== 'allowed') {
    throw new Problem('dossier-not-found', `No dossier ${code} held by agency ${holderAgency} among the agencies you act for`);
  }
}

function toProblem(error: unknown): Problem {
  if (error instanceof Problem) return error;
  if (error instanceof EdxmlSignatureRefused) return new Problem(error.code, error.reason);
  if (error instanceof EdxmlRefused) return new Problem('edxml-malformed', error.message);
  throw error;
}

/** The claimed DocumentId of a refused package labels the refusal in the trail; it is not trusted for anything else. */
function claimedDocumentId(split: SplitPackage | undefined): string | null {
  const matches = [...(split?.envelopeXml ?? '').matchAll(/<(?:[A-Za-z_][\w.-]*:)?DocumentId>([^<]{1,300})<\//g)];
  return matches.at(-1)?.[1] ?? null;
}

async function recordRefusal(db: Db, partner: Partner, split: SplitPackage | undefined, problem: Problem): Promise<void> {
  await insertPackage(db, {
    id: randomUUID(),
    kind: /<(?:[\w.-]+:)?Status>/.test(split?.envelopeXml ?? '') ? 'status' : split ? 'document' : 'unreadable',
    documentId: claimedDocumentId(split),
    partnerId: partner.id,
    fromOrganId: null,
    toOrganIds: [],
    statusCode: null,
    state: 'refused',
    refusalCode: problem.code,
    refusalReason: (problem.detail ?? problem.title).slice(0, 500),
    envelope: null,
    header: null,
    attachments: [],
  });
}
