// JSON bodies are read as bytes first: the message log records the SHA-256 of exactly what the
// partner sent, and the cheap checks (charset, UTF-8, nesting depth) run on those bytes before the
// parser builds anything, so a hostile body costs one pass over its bytes and no more.
import fp from 'fastify-plugin';
import sjson from 'secure-json-parse';
import { sha256Hex } from '../core/hash.js';
import { badString, jsonAmbiguity } from '../core/json-guards.js';
import { Problem } from '../core/problems.js';

declare module 'fastify' {
  interface FastifyRequest {
    rawBodySha256?: string;
    /** The exact bytes received: detached signatures are checked over these, not over re-serialised JSON. */
    rawBody?: Buffer;
  }
}

export const MAX_JSON_DEPTH = 32;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPENERS = new Set([0x5b, 0x7b]); // [ {
const CLOSERS = new Set([0x5d, 0x7d]); // ] }

/**
 * Whether objects and arrays nest deeper than `limit`, read from the bytes without parsing. Brackets
 * inside strings do not count; UTF-8 continuation bytes are never ASCII, so they cannot be mistaken
 * for a bracket or a quote.
 */
export function jsonDepthExceeds(bytes: Uint8Array, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (inString) {
      if (b === BACKSLASH) i++;
      else if (b === QUOTE) inString = false;
    } else if (b === QUOTE) inString = true;
    else if (OPENERS.has(b)) {
      if (++depth > limit) return true;
    } else if (CLOSERS.has(b)) depth--;
  }
  return false;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** JSON is UTF-8 (RFC 8259 §8.1); a body that says otherwise is refused rather than misread. */
function declaredCharset(contentType: string | undefined): string | undefined {
  return /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType ?? '')?.[1]?.toLowerCase();
}

export default fp(
  async (app) => {
    app.removeContentTypeParser('application/json');
    // No route takes text: a JSON body sent as text/plain would otherwise reach the schema as a string.
    app.removeContentTypeParser('text/plain');
    app.addContentTypeParser(['application/json', 'application/problem+json'], { parseAs: 'buffer' }, (request, body, done) => {
      const bytes = body as Buffer;
      request.rawBody = bytes;
      request.rawBodySha256 = sha256Hex(bytes);
      const charset = declaredCharset(request.headers['content-type']);
      if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
        done(new Problem('unsupported-media-type', `JSON is read as UTF-8 only, not ${charset.slice(0, 40)}`), undefined);
        return;
      }
      let text: string;
      try {
        text = strictUtf8.decode(bytes);
      } catch {
        // Decoding leniently would store U+FFFD in place of what the partner meant (and signed).
        done(new Problem('invalid-utf8', 'The body has byte sequences that are not UTF-8'), undefined);
        return;
      }
      if (jsonDepthExceeds(bytes, MAX_JSON_DEPTH)) {
        done(new Problem('json-too-deep', `JSON may nest at most ${MAX_JSON_DEPTH} levels`), undefined);
        return;
      }
      let parsed: unknown;
      try {
        parsed = sjson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
      } catch {
        done(new Problem('malformed-json', 'The body is not valid JSON (or carries __proto__/constructor keys)'), undefined);
        return;
      }
      const ambiguity = jsonAmbiguity(text);
      if (ambiguity) {
        const what = ambiguity.kind === 'duplicate-key' ? 'a key appears twice in one object' : 'an integer is beyond 2^53 and would be rounded';
        done(new Problem('ambiguous-json', `At ${ambiguity.path}: ${what}`, { path: ambiguity.path, reason: ambiguity.kind }), undefined);
        return;
      }
      const bad = badString(parsed);
      if (bad) {
        const what = bad.kind === 'nul' ? 'a NUL character (U+0000)' : 'a lone surrogate (not Unicode text)';
        done(new Problem('invalid-characters', `At ${bad.path}: ${what}`, { path: bad.path }), undefined);
        return;
      }
      done(null, parsed);
    });
  },
  { name: 'json-body' },
);
