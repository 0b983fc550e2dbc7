// The JSON reader's guards (issue 14, finding 12): what it must refuse, and what it must not mistake
// for a duplicate key or an unsafe number.
import { describe, expect, it } from 'vitest';
import { badString, jsonAmbiguity } from '../../src/core/json-guards.js';

describe('jsonAmbiguity', () => {
  const refused: [string, string, string][] = [
    ['{"a":1,"a":2}', 'duplicate-key', '/a'],
    ['{"a":1,"\\u0061":2}', 'duplicate-key', '/a'],
    ['{"x":[{"k":1},{"k":1,"k":2}]}', 'duplicate-key', '/x/1/k'],
    ['{"n":9007199254740992}', 'unsafe-number', '/n'],
    ['{"n":-9007199254740993}', 'unsafe-number', '/n'],
    ['{"n":1e21}', 'unsafe-number', '/n'],
    ['[1,2,1e400]', 'unsafe-number', '/2'],
  ];
  it.each(refused)('refuses %s', (text, kind, path) => {
    expect(jsonAmbiguity(text)).toEqual({ kind, path });
  });

  const accepted = [
    '{"a":{"k":1},"b":{"k":1}}',
    '{"s":"{\\"a\\":1,\\"a\\":2}","t":"9007199254740993"}',
    '{"n":9007199254740991,"m":-9007199254740991,"f":1.5,"e":1e-7,"z":0}',
    '[{"a":1},{"a":1}]',
    '{"k":"\\\\","k2":"\\""}',
  ];
  it.each(accepted)('accepts %s', (text) => {
    expect(jsonAmbiguity(text)).toBeUndefined();
  });
});

describe('badString', () => {
  it('finds NUL and lone surrogates in values and keys, and passes paired surrogates', () => {
    expect(badString({ a: ['ok', 'x\u0000'] })).toEqual({ kind: 'nul', path: '/a/1' });
    expect(badString({ 'k\u0000': 1 })).toEqual({ kind: 'nul', path: '/k?' });
    expect(badString({ a: '\ud800' })).toEqual({ kind: 'lone-surrogate', path: '/a' });
    expect(badString({ a: 'x\udc00' })).toEqual({ kind: 'lone-surrogate', path: '/a' });
    expect(badString({ a: '𝄞 Nguyễn' })).toBeUndefined();
  });
});
