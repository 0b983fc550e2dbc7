// Errors in which the database refuses a value as data, as opposed to a bug or an outage: the client
// sent something the schema let through but PostgreSQL cannot store (a NUL in jsonb, text that is not
// a uuid, a number out of range). They are the client's to fix, so they are answered 4xx, never 500.

/** PostgreSQL SQLSTATE class 22, data exception (PostgreSQL documentation, Appendix A): 22P02, 22P05, 22021, 22003... */
const DATA_EXCEPTION = /^22[0-9A-Z]{3}$/;

export function isDataError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && DATA_EXCEPTION.test(code);
}
