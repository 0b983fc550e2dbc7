// What JSON.parse would read differently from another parser, or what PostgreSQL would refuse after
// the gateway acknowledged it: duplicate keys (JSON.parse keeps the last one, other readers the first),
// integers past 2^53 (silently rounded), NUL characters (jsonb and text cannot hold them) and lone
// surrogates (not Unicode, refused by jsonb). Found here, they are refused before anything is stored,
// so the bytes signed and logged are exactly what is applied.

export type JsonAmbiguity = { kind: 'duplicate-key'; path: string } | { kind: 'unsafe-number'; path: string };
export type JsonBadString = { kind: 'nul' | 'lone-surrogate'; path: string };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

interface Frame {
  keys: Set<string> | undefined;
  path: string;
  expectKey: boolean;
  key: string;
  index: number;
}

/**
 * The first duplicate key or unsafe number in `text`, which must already have parsed as JSON. One
 * pass over the text; keys are compared decoded (`"a"` and `"\u0061"` are the same key).
 */
export function jsonAmbiguity(text: string): JsonAmbiguity | undefined {
  const stack: Frame[] = [];
  const where = (): string => {
    const top = stack[stack.length - 1];
    if (!top) return '/';
    return `${top.path}/${top.keys ? escapePointer(top.key) : top.index}`;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      let end = i + 1;
      while (text.charCodeAt(end) !== QUOTE) end += text.charCodeAt(end) === BACKSLASH ? 2 : 1;
      const top = stack[stack.length - 1];
      if (top?.keys && top.expectKey) {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        top.key = key;
        if (top.keys.has(key)) return { kind: 'duplicate-key', path: where() };
        top.keys.add(key);
        top.expectKey = false;
      }
      i = end;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      const path = stack.length === 0 ? '' : where();
      stack.push({ keys: c === 0x7b ? new Set() : undefined, path, expectKey: true, key: '', index: 0 });
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
    } else if (c === 0x2c /* , */) {
      const top = stack[stack.length - 1]!;
      if (top.keys) top.expectKey = true;
      else top.index += 1;
    } else if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
      let end = i + 1;
      while (end < text.length && /[0-9eE.+-]/.test(text[end]!)) end++;
      const value = Number(text.slice(i, end));
      // An integer JSON.parse cannot hold exactly (or a number too large for a double at all).
      if (!Number.isFinite(value) || (Number.isInteger(value) && !Number.isSafeInteger(value))) return { kind: 'unsafe-number', path: where() };
      i = end - 1;
    }
  }
  return undefined;
}

/** The first string (value or key) that holds U+0000 or is not well-formed UTF-16, in a parsed value. */
export function badString(value: unknown, path = ''): JsonBadString | undefined {
  if (typeof value === 'string') return stringProblem(value, path);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = badString(value[i], `${path}/${i}`);
      if (found) return found;
    }
    return undefined;
  }
  if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      const found = stringProblem(key, `${path}/${escapePointer(key)}`) ?? badString(item, `${path}/${escapePointer(key)}`);
      if (found) return found;
    }
  }
  return undefined;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function stringProblem(s: string, path: string): JsonBadString | undefined {
  if (s.includes('\u0000')) return { kind: 'nul', path: path || '/' };
  if (LONE_SURROGATE.test(s)) return { kind: 'lone-surrogate', path: path || '/' };
  return undefined;
}

/** A JSON Pointer segment (RFC 6901), cut short: paths are echoed to the client, keys are theirs. */
function escapePointer(key: string): string {
  return key.slice(0, 64).replace(/~/g, '~0').replace(/\//g, '~1').replace(/[^\x20-\x7e\u00a0-\ud7ff\ue000-\uffff]/g, '?');
}
