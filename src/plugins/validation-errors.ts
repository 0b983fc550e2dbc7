// Schema refusals as a client can act on them: every problem at once (ajv runs with allErrors), capped,
// and for a value outside an enum or a union of literals, the values that are allowed.

/** At most this many problems are listed: a body can be wrong in many places, an answer stays small. */
export const MAX_LISTED_ERRORS = 20;

export interface ValidationError {
  path: string;
  message: string;
  keyword: string;
  allowedValues?: unknown[];
}

/** The members of an ajv error (as Fastify passes them on in `error.validation`) that are used here. */
interface AjvError {
  instancePath: string;
  schemaPath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string | undefined;
}

/**
 * TypeBox writes a union of literals as anyOf of consts, which ajv reports as one `const` error per
 * branch and an `anyOf` error: those become one `enum` error with the allowed values.
 */
export function validationErrors(errors: readonly AjvError[], pathPrefix = ''): ValidationError[] {
  const literalUnions = new Map<string, unknown[]>();
  for (const anyOf of errors.filter((e) => e.keyword === 'anyOf')) {
    const branches = errors.filter((e) => e.instancePath === anyOf.instancePath && e.schemaPath.startsWith(`${anyOf.schemaPath}/`));
    if (branches.length > 0 && branches.every((e) => e.keyword === 'const')) literalUnions.set(anyOf.schemaPath, branches.map((e) => (e.params as { allowedValue: unknown }).allowedValue));
  }
  const out: ValidationError[] = [];
  for (const e of errors) {
    const path = `${pathPrefix}${e.instancePath}` || '/';
    const union = e.keyword === 'anyOf' ? literalUnions.get(e.schemaPath) : undefined;
    if (union) out.push({ path, message: 'must be equal to one of the allowed values', keyword: 'enum', allowedValues: union });
    else if (e.keyword === 'const' && [...literalUnions.keys()].some((p) => e.schemaPath.startsWith(`${p}/`))) continue;
    else if (e.keyword === 'enum') out.push({ path, message: e.message ?? 'is invalid', keyword: e.keyword, allowedValues: (e.params as { allowedValues: unknown[] }).allowedValues });
    else if (e.keyword === 'const') out.push({ path, message: e.message ?? 'is invalid', keyword: e.keyword, allowedValues: [(e.params as { allowedValue: unknown }).allowedValue] });
    else out.push({ path, message: e.message ?? 'is invalid', keyword: e.keyword });
    if (out.length === MAX_LISTED_ERRORS) break;
  }
  return out;
}
