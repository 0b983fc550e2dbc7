// Which errors mean "the database cannot be reached now" (answer 503, keep a delivery's lease and
// retry its record) and which are bugs or bad data that must not be retried as an outage.
import { describe, expect, it } from 'vitest';
import { isConnectionError } from '../../src/store/connection-errors.js';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('isConnectionError', () => {
  it.each([
    ['a refused connection (server down)', withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
    ['a reset connection', withCode('read ECONNRESET', 'ECONNRESET')],
    ['PostgreSQL terminating the session on shutdown (57P01)', withCode('terminating connection due to administrator command', '57P01')],
    ['PostgreSQL starting up or shutting down (57P03)', withCode('the database system is starting up', '57P03')],
    ['a connection failure of class 08', withCode('connection failure', '08006')],
    ['pg noticing the socket ended', new Error('Connection terminated unexpectedly')],
    ['the pool timing out a connect', new Error('timeout exceeded when trying to connect')],
  ])('counts %s as unreachable', (_what, error) => {
    expect(isConnectionError(error)).toBe(true);
  });

  it.each([
    ['a syntax error (42601)', withCode('syntax error at or near "SELEC"', '42601')],
    ['a unique violation (23505)', withCode('duplicate key value violates unique constraint', '23505')],
    ['a serialization failure (40001)', withCode('could not serialize access', '40001')],
    ['a plain bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['something that is not an Error', { code: 'ECONNREFUSED' }],
  ])('does not count %s', (_what, error) => {
    expect(isConnectionError(error)).toBe(false);
  });
});
