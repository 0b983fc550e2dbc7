// Whether a partner's attachment URL is one the national portal may be sent to fetch: on an origin of
// ATTACHMENT_URL_ALLOWLIST, under its path. A raw string prefix is not enough (issue 14, finding 6):
// `https://allowed/docs/../../admin/x` starts with `https://allowed/docs/` and is fetched as
// `/admin/x`. So the URL is parsed, and refused when it names a user, or when a reader would resolve
// it to another path than it says (dot segments, encoded dots or slashes, backslashes).

/** The path as written, between the authority and the query: what a raw prefix check would read. */
const WRITTEN_PATH = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*([^?#]*)/;

/** The segments of a written path that resolve to something else: `.`, `..`, and those hiding `/` or `\`. */
function changesUnderNormalisation(writtenPath: string): boolean {
  for (const segment of writtenPath.split('/')) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      return true;
    }
    if (decoded === '.' || decoded === '..' || decoded.includes('/') || decoded.includes('\\')) return true;
  }
  return false;
}

function parse(raw: string): URL | undefined {
  try {
    return new URL(raw);
  } catch {
    return undefined;
  }
}

export function isAllowedAttachmentUrl(raw: string, allowlist: readonly string[]): boolean {
  // Backslashes, whitespace and control characters are read as `/` or dropped by WHATWG URL parsers.
  if (/[\\\u0000-\u0020\u007f]/.test(raw)) return false;
  const url = parse(raw);
  const written = WRITTEN_PATH.exec(raw);
  if (!url || !written || url.username !== '' || url.password !== '') return false;
  if (changesUnderNormalisation(written[1]!)) return false;
  return allowlist.some((entry) => {
    const allowed = parse(entry);
    if (!allowed || url.origin !== allowed.origin) return false;
    // A prefix on a segment boundary: `/docs` allows `/docs` and `/docs/x`, never `/docs-admin`.
    const prefix = allowed.pathname.endsWith('/') ? allowed.pathname : `${allowed.pathname}/`;
    return url.pathname === allowed.pathname || url.pathname.startsWith(prefix);
  });
}
