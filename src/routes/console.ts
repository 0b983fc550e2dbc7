// The auditors' console (/audit/): static files only, read once at start. They carry no data; the
// page calls the audit API with the auditor's key and checks the answers itself (src/console/).
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { Problem } from '../core/problems.js';

const CONTENT_TYPES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'console.js': 'text/javascript; charset=utf-8',
  'verify.js': 'text/javascript; charset=utf-8',
  'der.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};

const CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'";

// tsc copies no .html/.js/.css into dist, so after a build the files are still read from src/: next
// to this module under tsx (src/routes → src/console), two levels further up from dist/src/routes.
const CANDIDATE_FOLDERS = [new URL('../console/', import.meta.url), new URL('../../../src/console/', import.meta.url)];

export function consoleFolder(): string {
  const found = CANDIDATE_FOLDERS.map((url) => fileURLToPath(url)).find((folder) => existsSync(`${folder}index.html`));
  if (!found) throw new Error(`The audit console files are in none of ${CANDIDATE_FOLDERS.map((url) => fileURLToPath(url)).join(', ')}`);
  return found;
}

const consoleRoutes: FastifyPluginAsync = async (app) => {
  const folder = consoleFolder();
  const files = new Map<string, Buffer>();
  for (const name of Object.keys(CONTENT_TYPES)) files.set(name, await readFile(`${folder}${name}`));

  const send = (reply: FastifyReply, name: string) =>
    reply
      .header('content-security-policy', CONTENT_SECURITY_POLICY)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('cache-control', 'no-cache')
      .type(CONTENT_TYPES[name]!)
      .send(files.get(name));

  const hidden = { hide: true, tags: ['audit'] };

  app.get('/audit', { schema: { ...hidden, summary: 'The auditors’ console (redirect)' } }, async (_request, reply) => reply.redirect('/audit/', 301));
  app.get('/audit/', { schema: { ...hidden, summary: 'The auditors’ console' } }, async (_request, reply) => send(reply, 'index.html'));
  app.get(
    '/audit/:file',
    {
      schema: {
        ...hidden,
        summary: 'A file of the auditors’ console',
        params: { type: 'object', properties: { file: { type: 'string', maxLength: 32 } }, required: ['file'] },
      },
    },
    async (request, reply) => {
      const { file } = request.params as { file: string };
      if (!Object.hasOwn(CONTENT_TYPES, file)) throw new Problem('not-found', `No console file ${file}`);
      return send(reply, file);
    },
  );
};

export default consoleRoutes;
