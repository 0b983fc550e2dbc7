// The yardstick: a bare Fastify server in its own process, as bench/gateway-process.ts is, with the
// gateway's body limit and nothing else (no logger, no auth, no plugins). `POST /bare` only parses
// the JSON body and answers 202; `POST /bare-validated` also validates it against the same TypeBox
// Dossier schema as `POST /v1/dossiers`. The gateway's figures divided by these are its cost.
import Fastify from 'fastify';
import { Dossier } from '../schemas/dossier.js';
import { JSON_BODY_LIMIT } from '../src/app.js';
import { failed, serveParent } from './child-ipc.js';
import { BARE_PATHS } from './protocol.js';

async function main(): Promise<void> {
  const app = Fastify({ logger: false, bodyLimit: JSON_BODY_LIMIT });
  app.post(BARE_PATHS.parse, async (_request, reply) => reply.code(202).send({}));
  app.post(BARE_PATHS.validate, { schema: { body: Dossier } }, async (_request, reply) => reply.code(202).send({}));
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  serveParent({ close: () => app.close() }, { url, engine: 'none' });
}

main().catch(failed);
