// Attachments: one-stop servers are rarely reachable from outside, so partners upload papers here and
// the national portal downloads them through signed, expiring links.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { Problem } from '../core/problems.js';
import { fileContent, saveFile } from '../files/file-store.js';
import { sniffMatches, ALLOWED_FILE_TYPES } from '../files/file-types.js';
import type { FileLinkSigner } from '../files/signed-url.js';
import { partnerOf, requireRole } from '../plugins/auth.js';
import type { Db } from '../store/db.js';
import { ProblemResponse } from './problem-schema.js';

export interface FileRouteOptions {
  db: Db;
  maxFileBytes: number;
  fileLinks: FileLinkSigner;
}

const FileId = Type.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' });
const StoredFileView = Type.Object({ id: Type.String(), name: Type.String(), contentType: Type.String(), size: Type.Integer(), sha256: Type.String() });

const fileRoutes: FastifyPluginAsyncTypebox<FileRouteOptions> = async (app, { db, maxFileBytes, fileLinks }) => {
  app.addContentTypeParser(Object.keys(ALLOWED_FILE_TYPES), { parseAs: 'buffer', bodyLimit: maxFileBytes }, (request, body, done) => {
    // Kept as the raw body too: a signing partner's X-JWS-Signature covers the file bytes.
    request.rawBody = body as Buffer;
    done(null, body);
  });

  app.post(
    '/v1/files',
    {
      bodyLimit: maxFileBytes,
      preParsing: requireRole('one-stop', 'agency-system'),
      schema: {
        tags: ['files'],
        summary: 'Upload an attachment (raw bytes; Content-Type says what it is)',
        description: `Accepted types: ${Object.keys(ALLOWED_FILE_TYPES).join(', ')}. Name the file in x-file-name (percent-encoded UTF-8). Reference the returned id as fileId in a dossier's documents or results.`,
        headers: Type.Object({ 'x-file-name': Type.String({ minLength: 1, maxLength: 600 }) }),
        response: { 201: StoredFileView, '4xx': ProblemResponse },
      },
    },
    async (request, reply) => {
      const content = request.body as Buffer;
      const contentType = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (!Buffer.isBuffer(content) || content.length === 0) throw new Problem('invalid-request', 'The file is empty');
      if (!sniffMatches(contentType, content)) throw new Problem('unsupported-media-type', `The bytes are not a ${contentType} file`);
      let name: string;
      try {
        name = decodeURIComponent(request.headers['x-file-name']);
      } catch {
        throw new Problem('invalid-request', 'x-file-name must be percent-encoded UTF-8');
      }
      name = name.replace(/[\\/\u0000-\u001f]/g, '_').slice(0, 255);
      const stored = await saveFile(db, { partnerId: partnerOf(request).id, name, contentType, content });
      return reply.code(201).send({ id: stored.id, name: stored.name, contentType: stored.contentType, size: stored.size, sha256: stored.sha256 });
    },
  );

  app.get(
    '/files/:id',
    {
      schema: {
        tags: ['files'],
        summary: 'Download an attachment through a signed link (for the national portal)',
        params: Type.Object({ id: FileId }),
        querystring: Type.Object({ expires: Type.String({ pattern: '^[0-9]{1,12}$' }), signature: Type.String({ pattern: '^[A-Za-z0-9_-]{43}$' }) }),
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      if (!fileLinks.verify(id, Number(request.query.expires), request.query.signature)) throw new Problem('invalid-file-link');
      const file = await fileContent(db, id);
      if (!file) throw new Problem('not-found');
      return reply
        .type(file.contentType)
        .header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(file.name)}`)
        .header('x-content-sha256', file.sha256)
        .header('cache-control', 'private, no-store')
        .send(Buffer.from(file.content));
    },
  );
};

export default fileRoutes;
