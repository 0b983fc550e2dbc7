// The audit API (docs/audit-log.md): records, checkpoints, proofs and evidence bundles for the
// auditor role; personal data (bodies) is visible only here. The latest checkpoint is also public at
// /checkpoint, for witnesses and other second parties: it holds no personal data.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { bodyOf } from '../audit/bodies.js';
import { buildBundle, leafAt } from '../audit/bundle.js';
import { addCosignature, listCheckpoints, servedCheckpoint } from '../audit/checkpoints.js';
import type { CosignatureVerifier } from '../audit/cosignature.js';
import { decodeLeaf } from '../audit/leaf.js';
import { consistencyProof, inclusionProof } from '../audit/merkle.js';
import { findRecords } from '../audit/records.js';
import { DatabaseNodeSource, treeSize } from '../audit/tree-store.js';
import { BODY_LIMITS } from '../core/body-limits.js';
import { Problem } from '../core/problems.js';
import { requireRole } from '../plugins/auth.js';
import type { Db } from '../store/db.js';
import { ProblemResponse } from './problem-schema.js';

export interface AuditRouteOptions {
  db: Db;
  origin: string;
  verifierKey: string;
  witnesses: readonly CosignatureVerifier[];
}

// Path and query values arrive as text, and the gateway's validator never coerces (bodies must stay
// exact), so numbers are matched as digit strings and converted here.
const Index = Type.String({ pattern: '^(0|[1-9][0-9]{0,14})$', description: 'a leaf index' });
const Size = Type.String({ pattern: '^[1-9][0-9]{0,14}$', description: 'a tree size' });
const Limit = Type.String({ pattern: '^[1-9][0-9]{0,3}$' });
const Base64List = Type.Array(Type.String({ contentEncoding: 'base64' }));
const IsoTime = Type.String({ format: 'date-time' });

const RecordSummary = Type.Object({
  index: Type.Integer(),
  seq: Type.String(),
  at: Type.String(),
  direction: Type.String(),
  partner: Type.Union([Type.String(), Type.Null()]),
  endpoint: Type.String(),
  dossierCode: Type.Union([Type.String(), Type.Null()]),
  messageId: Type.Union([Type.String(), Type.Null()]),
  outcome: Type.String(),
  errorCode: Type.Union([Type.String(), Type.Null()]),
  attempt: Type.Union([Type.Integer(), Type.Null()]),
  signed: Type.Boolean(),
  body: Type.Union([Type.Literal('kept'), Type.Literal('pruned'), Type.Literal('none')]),
});

/** lgsp-audit-bundle/v1 (src/audit/bundle.ts); `record` is the decoded leaf, described in docs/audit-log.md. */
const EvidenceBundle = Type.Object({
  format: Type.Literal('lgsp-audit-bundle/v1'),
  origin: Type.String(),
  index: Type.Integer(),
  leaf: Type.String({ contentEncoding: 'base64' }),
  record: Type.Record(Type.String(), Type.Unknown()),
  body: Type.Union([
    Type.Object({ salt: Type.String({ contentEncoding: 'base64' }), bytes: Type.String({ contentEncoding: 'base64' }) }),
    Type.Object({ pruned: Type.Literal(true), prunedAt: Type.String() }),
    Type.Null(),
  ]),
  certificates: Type.Record(Type.String(), Type.String({ contentEncoding: 'base64' }), { description: 'DER certificates by SHA-256 fingerprint' }),
  inclusionProof: Type.Object({ treeSize: Type.Integer(), hashes: Base64List }),
  checkpoint: Type.String({ description: 'The C2SP signed note the proof leads to' }),
  manifest: Type.Optional(
    Type.Object(
      { bytes: Type.String({ contentEncoding: 'base64' }), signature: Type.String({ description: 'The detached JWS over the manifest bytes' }) },
      { description: 'The signed call manifest (lgsp-call-manifest/v1), for a record signed through it (jws-manifest)' },
    ),
  ),
});

const auditRoutes: FastifyPluginAsyncTypebox<AuditRouteOptions> = async (app, { db, origin, verifierKey, witnesses }) => {
  const auditor = requireRole('auditor');
  const tags = ['audit'];

  app.get(
    '/checkpoint',
    { schema: { tags, summary: 'The latest signed checkpoint (public, for witnesses and copies)', response: { 200: Type.String(), '4xx': ProblemResponse } } },
    async (_request, reply) => {
      const latest = await servedCheckpoint(db);
      if (!latest) throw new Problem('not-found', 'No checkpoint yet');
      return reply.type('text/plain; charset=utf-8').send(latest.note);
    },
  );

  app.get(
    '/v1/audit/log-key',
    { preParsing: auditor, schema: { tags, summary: 'The log origin and the verifier key auditors keep', response: { 200: Type.Object({ origin: Type.String(), verifierKey: Type.String(), witnesses: Type.Array(Type.String()) }) } } },
    async () => ({ origin, verifierKey, witnesses: witnesses.map((w) => w.name) }),
  );

  app.get(
    '/v1/audit/records',
    {
      preParsing: auditor,
      schema: {
        tags,
        summary: 'Search the log',
        querystring: Type.Object({
          dossierCode: Type.Optional(Type.String({ maxLength: 64 })),
          partner: Type.Optional(Type.String({ maxLength: 64 })),
          direction: Type.Optional(Type.Union([Type.Literal('in'), Type.Literal('out')])),
          from: Type.Optional(IsoTime),
          to: Type.Optional(IsoTime),
          after: Type.Optional(Index),
          limit: Type.Optional(Limit),
        }),
        response: { 200: Type.Object({ records: Type.Array(RecordSummary), next: Type.Union([Type.Integer(), Type.Null()]), treeSize: Type.Integer() }), '4xx': ProblemResponse },
      },
    },
    async (request) => {
      const { after, limit, ...filter } = request.query;
      const page = await findRecords(db, { ...filter, ...(after ? { after: Number(after) } : {}), limit: Math.min(500, Number(limit ?? 100)) });
      return { ...page, treeSize: await treeSize(db) };
    },
  );

  app.get(
    '/v1/audit/records/:index',
    {
      preParsing: auditor,
      schema: {
        tags,
        summary: 'One record: the leaf, and the message body while it is kept',
        params: Type.Object({ index: Index }),
        response: {
          200: Type.Object({
            index: Type.Integer(),
            leaf: Type.String({ contentEncoding: 'base64' }),
            record: Type.Record(Type.String(), Type.Unknown()),
            body: Type.Union([Type.Object({ text: Type.String() }), Type.Object({ prunedAt: Type.String() }), Type.Null()]),
          }),
          '4xx': ProblemResponse,
        },
      },
    },
    async (request) => {
      const row = await leafAt(db, Number(request.params.index));
      if (!row) throw new Problem('not-found', `No record at index ${request.params.index}`);
      const body = await bodyOf(db, row.logSeq);
      return {
        index: row.leafIndex,
        leaf: row.leaf.toString('base64'),
        record: (decodeLeaf(row.leaf) ?? {}) as Record<string, unknown>,
        body: !body ? null : 'prunedAt' in body ? { prunedAt: body.prunedAt } : { text: body.body.toString('utf8') },
      };
    },
  );

  app.get(
    '/v1/audit/checkpoint',
    { preParsing: auditor, schema: { tags, summary: 'The latest checkpoint, a C2SP signed note with cosignatures', response: { 200: Type.String(), '4xx': ProblemResponse } } },
    async (_request, reply) => {
      const latest = await servedCheckpoint(db);
      if (!latest) throw new Problem('not-found', 'No checkpoint yet');
      return reply.type('text/plain; charset=utf-8').send(latest.note);
    },
  );

  app.get(
    '/v1/audit/checkpoints',
    {
      preParsing: auditor,
      schema: {
        tags,
        summary: 'Kept checkpoints: how the log grew',
        querystring: Type.Object({ after: Type.Optional(Index), limit: Type.Optional(Limit) }),
        response: {
          200: Type.Object({ checkpoints: Type.Array(Type.Object({ treeSize: Type.Integer(), rootHash: Type.String(), createdAt: Type.String(), witnesses: Type.Array(Type.String()) })) }),
          '4xx': ProblemResponse,
        },
      },
    },
    async (request) => ({ checkpoints: await listCheckpoints(db, Number(request.query.after ?? 0), Math.min(1000, Number(request.query.limit ?? 100))) }),
  );

  app.get(
    '/v1/audit/checkpoints/:size',
    { preParsing: auditor, schema: { tags, summary: 'One kept checkpoint, as a signed note', params: Type.Object({ size: Size }), response: { 200: Type.String(), '4xx': ProblemResponse } } },
    async (request, reply) => {
      const kept = await servedCheckpoint(db, Number(request.params.size));
      if (!kept) throw new Problem('not-found', `No checkpoint of size ${request.params.size}`);
      return reply.type('text/plain; charset=utf-8').send(kept.note);
    },
  );

  app.post(
    '/v1/audit/checkpoints/:size/cosignatures',
    {
      bodyLimit: BODY_LIMITS.command,
      preParsing: auditor,
      schema: {
        tags,
        summary: "A witness's C2SP tlog-cosignature line for a kept checkpoint",
        params: Type.Object({ size: Size }),
        body: Type.Object({ line: Type.String({ maxLength: 1000, pattern: '^— \\S+ [A-Za-z0-9+/=]+$' }) }, { additionalProperties: false }),
        response: { 201: Type.Object({ witness: Type.String(), time: Type.Integer() }), '4xx': ProblemResponse },
      },
    },
    async (request, reply) => {
      const result = await addCosignature(db, Number(request.params.size), request.body.line, witnesses);
      if ('refused' in result) throw new Problem('invalid-request', result.refused);
      return reply.code(201).send(result);
    },
  );

  app.get(
    '/v1/audit/proofs/inclusion',
    {
      preParsing: auditor,
      schema: {
        tags,
        summary: 'Inclusion proof of leaf `index` in the tree of size `treeSize` (RFC 9162 §2.1.3)',
        querystring: Type.Object({ index: Index, treeSize: Size }),
        response: { 200: Type.Object({ index: Type.Integer(), treeSize: Type.Integer(), hashes: Base64List }), '4xx': ProblemResponse },
      },
    },
    async (request) => {
      const index = Number(request.query.index);
      const size = Number(request.query.treeSize);
      if (index >= size || size > (await treeSize(db))) throw new Problem('not-found', `No leaf ${index} in a tree of size ${size}`);
      const proof = await inclusionProof(new DatabaseNodeSource(db), index, size);
      return { index, treeSize: size, hashes: proof.map((h) => h.toString('base64')) };
    },
  );

  app.get(
    '/v1/audit/proofs/consistency',
    {
      preParsing: auditor,
      schema: {
        tags,
        summary: 'Consistency proof between tree sizes `from` and `to` (RFC 9162 §2.1.4)',
        querystring: Type.Object({ from: Size, to: Size }),
        response: { 200: Type.Object({ from: Type.Integer(), to: Type.Integer(), hashes: Base64List }), '4xx': ProblemResponse },
      },
    },
    async (request) => {
      const from = Number(request.query.from);
      const to = Number(request.query.to);
      if (from > to || to > (await treeSize(db))) throw new Problem('not-found', `No consistency proof from ${from} to ${to}`);
      const proof = await consistencyProof(new DatabaseNodeSource(db), from, to);
      return { from, to, hashes: proof.map((h) => h.toString('base64')) };
    },
  );

  app.get(
    '/v1/audit/bundles/:index',
    {
      preParsing: auditor,
      schema: { tags, summary: 'Evidence bundle of one record (lgsp-audit-bundle/v1), checkable offline', params: Type.Object({ index: Index }), response: { 200: EvidenceBundle, '4xx': ProblemResponse } },
    },
    async (request, reply) => {
      const bundle = await buildBundle(db, origin, Number(request.params.index));
      if (!bundle) throw new Problem('not-found', `No record at index ${request.params.index} under a checkpoint yet`);
      return reply
        .header('content-disposition', `attachment; filename="lgsp-audit-bundle-${request.params.index}.json"`)
        .type('application/json')
        .send(bundle as never);
    },
  );
};

export default auditRoutes;
