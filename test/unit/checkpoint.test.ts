import { describe, expect, it } from 'vitest';
import { CheckpointError, formatCheckpoint, parseCheckpoint } from '../../src/audit/checkpoint.js';

// The example of c2sp.org/tlog-checkpoint (C2SP/C2SP tlog-checkpoint.md), without its signature.
const SPEC_BODY = 'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';
const ROOT = Buffer.from('CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=', 'base64');

describe('checkpoint text', () => {
  it('parses the specification example and formats it back byte for byte', () => {
    const checkpoint = parseCheckpoint(SPEC_BODY);
    expect(checkpoint).toEqual({ origin: 'example.com/behind-the-sofa', size: 20852163, rootHash: ROOT, extensions: [] });
    expect(formatCheckpoint(checkpoint)).toBe(SPEC_BODY);
  });

  it('round-trips the empty tree and extension lines', () => {
    const empty = { origin: 'log.example/x', size: 0, rootHash: Buffer.alloc(32), extensions: ['ext one', 'ext two'] };
    const text = formatCheckpoint(empty);
    expect(text).toBe('log.example/x\n0\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\next one\next two\n');
    expect(parseCheckpoint(text)).toEqual(empty);
  });

  it('refuses sizes that are not a decimal without leading zeros', () => {
    for (const size of ['', '00', '020852163', '+5', '-1', ' 5', '5 ', '0x10', '1e3', '1.0', '\u0661', '9007199254740992']) {
      expect(() => parseCheckpoint(`o\n${size}\n${ROOT.toString('base64')}\n`), size).toThrow(CheckpointError);
    }
  });

  it('refuses root hashes that are not the standard base64 of 32 bytes', () => {
    const b64 = ROOT.toString('base64');
    for (const root of [
      '',
      b64.slice(0, -1),
      b64 + '=',
      ' ' + b64,
      b64.replace('/', '_'),
      Buffer.alloc(31).toString('base64'),
      Buffer.alloc(33).toString('base64'),
      b64.slice(0, -2) + 'J=', // same bytes with an unused bit set
      ROOT.toString('hex'),
    ]) {
      expect(() => parseCheckpoint(`o\n1\n${root}\n`), root).toThrow(CheckpointError);
    }
  });

  it('refuses a missing final newline, missing lines, empty lines and control characters', () => {
    for (const text of [
      SPEC_BODY.slice(0, -1),
      'example.com/behind-the-sofa\n20852163\n',
      '\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n',
      SPEC_BODY + '\n',
      SPEC_BODY + 'ext\n\n',
      SPEC_BODY.replace('sofa', 'sofa\r'),
      SPEC_BODY.replace('sofa', 'so\tfa'),
      SPEC_BODY + 'ext\u0000\n',
    ]) {
      expect(() => parseCheckpoint(text), JSON.stringify(text)).toThrow(CheckpointError);
    }
  });

  it('refuses to format what it could not parse back', () => {
    expect(() => formatCheckpoint({ origin: '', size: 1, rootHash: ROOT })).toThrow(CheckpointError);
    expect(() => formatCheckpoint({ origin: 'a\nb', size: 1, rootHash: ROOT })).toThrow(CheckpointError);
    expect(() => formatCheckpoint({ origin: 'o', size: -1, rootHash: ROOT })).toThrow(CheckpointError);
    expect(() => formatCheckpoint({ origin: 'o', size: 1.5, rootHash: ROOT })).toThrow(CheckpointError);
    expect(() => formatCheckpoint({ origin: 'o', size: 1, rootHash: ROOT.subarray(1) })).toThrow(CheckpointError);
    expect(() => formatCheckpoint({ origin: 'o', size: 1, rootHash: ROOT, extensions: [''] })).toThrow(CheckpointError);
  });
});
