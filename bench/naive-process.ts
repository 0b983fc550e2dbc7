// The naive durable service, the yardstick with a database: the bare route with the Dossier schema
// (bench/bare-process.ts) plus one INSERT per request, autocommit, a pool of 10 connections, on
// the same PostgreSQL the gateway uses in the same run (a table of its own). What any service that
// answers only after its write is durable costs on this machine; the gateway's figures divide by it.
import Fastify from 'fastify';
import pg from 'pg';
import { Dossier } from '../schemas/dossier.js';
import { JSON_BODY_LIMIT } from '../src/app.js';
import { failed, serveParent } from './child-ipc.js';
import { NAIVE_PATH } from './protocol.js';

async function main(): Promise<void> {
  const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
  await pool.query('CREATE TABLE IF NOT EXISTS naive_dossiers (code text PRIMARY KEY, body jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now())');
  const app = Fastify({ logger: false, bodyLimit: JSON_BODY_LIMIT });
  app.post(NAIVE_PATH, { schema: { body: Dossier } }, async (request, reply) => {
    const dossier = request.body as { code: string };
    await pool.query('INSERT INTO naive_dossiers (code, body) VALUES ($1, $2)', [dossier.code, JSON.stringify(dossier)]);
    return reply.code(202).send({ dossierCode: dossier.code });
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  serveParent({ close: async () => (await app.close(), await pool.end()) }, { url, engine: 'postgres' });
}

main().catch(failed);
