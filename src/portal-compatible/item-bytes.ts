// The exact bytes of each item of a call's `data` list, cut from the bytes received. A call may
// carry several citizens' dossiers; each item's message-log record keeps only its own bytes, so
// that no record mixes two citizens' data (docs/message-log.md).

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN = new Set([0x7b, 0x5b]); // { [
const CLOSE = new Set([0x7d, 0x5d]); // } ]
const COMMA = 0x2c;
const COLON = 0x3a;
const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

/**
 * The bytes of each element of the array member `name` of the top-level object, as received;
 * undefined when the body has no such array. Call it on a body that parsed as JSON: it trusts the
 * structure and only finds where elements begin and end (strings are skipped whole, so brackets
 * inside them do not count; structural characters are ASCII, so UTF-8 text cannot fool it). When
 * the member appears twice, the last one counts, as for JSON.parse.
 */
export function arrayElementBytes(raw: Buffer, name: string): Buffer[] | undefined {
  const wanted = JSON.stringify(name);
  let elements: Buffer[] | undefined;
  let depth = 0;
  let pendingKey: string | undefined;
  let key: string | undefined;
  let inside = false;
  let start = -1;
  let last = -1;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (WHITESPACE.has(c)) continue;
    if (inside && depth === 2 && start < 0 && c !== COMMA && !CLOSE.has(c)) start = i;
    if (c === QUOTE) {
      const begin = i;
      for (i++; i < raw.length && raw[i] !== QUOTE; i++) if (raw[i] === BACKSLASH) i++;
      if (depth === 1) pendingKey = raw.toString('utf8', begin, i + 1);
    } else if (OPEN.has(c)) {
      if (depth === 1 && c === 0x5b && key === wanted) {
        inside = true;
        elements = [];
      }
      depth++;
    } else if (CLOSE.has(c)) {
      depth--;
      if (inside && depth === 1) {
        if (start >= 0) elements!.push(raw.subarray(start, last + 1));
        inside = false;
        start = -1;
      }
    } else if (c === COLON && depth === 1) {
      key = pendingKey;
    } else if (c === COMMA && depth === 1) {
      key = undefined;
    } else if (c === COMMA && inside && depth === 2) {
      elements!.push(raw.subarray(start, last + 1));
      start = -1;
    }
    last = i;
  }
  return elements;
}
