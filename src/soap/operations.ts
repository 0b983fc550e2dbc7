// The front door's three operations on the canonical path: the message is read into the canonical
// model, judged by the validator of /v1, then accepted, stored, logged and queued by the same code as
// POST /v1/dossiers and POST /v1/dossiers/{code}/events; the state is GET /v1/dossiers/{code}'s.
import type { FastifyBaseLogger } from 'fastify';
import type { TSchema } from '@sinclair/typebox';
import { Dossier, DossierCode, DossierEvent } from '../../schemas/dossier.js';
import { Problem } from '../core/problems.js';
import type { Enqueuer } from '../delivery/enqueuer.js';
import { acceptDossier, acceptEvent, type AcceptContext, type AcceptRequest, type Accepted } from '../dossiers/accept.js';
import { enqueueAfterCommit } from '../delivery/enqueue-after-commit.js';
import { dossierState } from '../dossiers/state.js';
import type { PartnerRegistry } from '../partners/registry.js';
import type { Db } from '../store/db.js';
import type { Lane } from '../store/messages.js';
import { OPERATIONS, type OperationName } from './messages.js';
import { readXml } from './xml-model.js';

/** Checks a value against a canonical schema with the route's validator; throws invalid-request. */
export type Validate = (schema: TSchema, value: unknown, path: string) => void;

export interface OperationContext {
  db: Db;
  registry: PartnerRegistry;
  accept: AcceptContext;
  queue: Enqueuer;
  log: FastifyBaseLogger;
  validate: Validate;
  /** Everything of the AcceptRequest but the lane, which the message itself chooses. */
  request: Omit<AcceptRequest, 'lane'>;
  /** Set as soon as the message names its dossier, for the refusal's log record. */
  onDossierCode: (code: string) => void;
}

export const WRITE_OPERATIONS: ReadonlySet<OperationName> = new Set(['SubmitDossier', 'SubmitProgressEvent']);

export async function runOperation(ctx: OperationContext, operation: OperationName, payload: Element): Promise<unknown> {
  const input = readXml(payload, OPERATIONS[operation].request) as Record<string, unknown>;
  if (typeof input.dossierCode === 'string') ctx.onDossierCode(input.dossierCode);
  const lane = (): Lane => {
    if (input.lane === undefined || input.lane === 'live' || input.lane === 'bulk') return (input.lane as Lane | undefined) ?? 'live';
    throw new Problem('invalid-request', 'lane is live or bulk', { errors: [{ path: '/lane', message: 'must be live or bulk' }] });
  };
  switch (operation) {
    case 'SubmitDossier': {
      ctx.validate(Dossier, input.dossier, '/dossier');
      const dossier = input.dossier as Dossier;
      ctx.onDossierCode(dossier.code);
      return acceptedView(ctx, await acceptDossier(ctx.accept, { ...ctx.request, lane: lane() }, dossier));
    }
    case 'SubmitProgressEvent': {
      ctx.validate(DossierCode, input.dossierCode, '/dossierCode');
      ctx.validate(DossierEvent, input.event, '/event');
      return acceptedView(ctx, await acceptEvent(ctx.accept, { ...ctx.request, lane: lane() }, input.dossierCode as string, input.event as DossierEvent));
    }
    case 'GetDossierState': {
      ctx.validate(DossierCode, input.dossierCode, '/dossierCode');
      return dossierState(ctx.db, ctx.registry, ctx.request.partner, input.dossierCode as string);
    }
  }
}

async function acceptedView(ctx: OperationContext, accepted: Accepted): Promise<unknown> {
  await enqueueAfterCommit(ctx.queue, accepted.enqueue, ctx.log);
  const { dossierCode, messageId, change } = accepted.body as { dossierCode: string; messageId: string | null; change: string };
  return { dossierCode, messageId, change };
}
