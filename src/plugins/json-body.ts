// JSON bodies are read as bytes first: the message log records the SHA-256 of exactly what the
// partner sent, and the depth check runs before any handler sees the object.
import fp from 'fastify-plugin';
import sjson from 'secure-json-parse';
import { sha256Hex } from '../core/hash.js';
import { Problem } from '../core/problems.js';

declare module 'fastify' {
  interface FastifyRequest {
    rawBodySha256?: string;
    /** The exact bytes received: detached signatures are checked over these, not over re-serialised JSON. */
    rawBody?: Buffer;
  }
}

export const MAX_JSON_DEPTH = 32;

export function jsonDepthExceeds(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth > limit) return true;
    for (const child of Object.values(node as object)) stack.push([child, depth + 1]);
  }
  return false;
}

export default fp(
  async (app) => {
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser(['application/json', 'application/problem+json'], { parseAs: 'buffer' }, (request, body, done) => {
      const bytes = body as Buffer;
      request.rawBody = bytes;
      request.rawBodySha256 = sha256Hex(bytes);
      let parsed: unknown;
      try {
        parsed = sjson.parse(bytes.toString('utf8'), undefined, { protoAction: 'error', constructorAction: 'error' });
      } catch {
        done(new Problem('malformed-json', 'The body is not valid JSON (or carries __proto__/constructor keys)'), undefined);
        return;
      }
      if (jsonDepthExceeds(parsed, MAX_JSON_DEPTH)) {
        done(new Problem('json-too-deep', `JSON may nest at most ${MAX_JSON_DEPTH} levels`), undefined);
        return;
      }
      done(null, parsed);
    });
  },
  { name: 'json-body' },
);
