// C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint): the note text a log signs for a tree
// head. Parsing is strict so that one tree head has exactly one text, and so one signed byte string.
import { HASH_SIZE } from './merkle.js';

export interface Checkpoint {
  origin: string;
  size: number;
  rootHash: Buffer;
  /** Opaque lines after the root hash; the specification advises against them. */
  extensions: string[];
}

const EXTENSION_RULE = 'extension lines must be non-empty lines without control characters';

export class CheckpointError extends Error {
  constructor(message: string) {
    super(`malformed checkpoint: ${message}`);
    this.name = 'CheckpointError';
  }
}

export function formatCheckpoint(checkpoint: {
  origin: string;
  size: number;
  rootHash: Uint8Array;
  extensions?: readonly string[];
}): string {
  const { origin, size, rootHash, extensions = [] } = checkpoint;
  if (!isLine(origin)) throw new CheckpointError('origin must be a non-empty line without control characters');
  if (!Number.isSafeInteger(size) || size < 0) throw new CheckpointError('size must be a non-negative safe integer');
  if (rootHash.length !== HASH_SIZE) throw new CheckpointError('root hash must be 32 bytes');
  if (!extensions.every(isLine)) throw new CheckpointError(EXTENSION_RULE);
  const lines = [origin, String(size), Buffer.from(rootHash).toString('base64'), ...extensions];
  return lines.map((line) => `${line}\n`).join('');
}

/** Parses the text of a checkpoint note (as openNote returns it, without signatures). */
export function parseCheckpoint(text: string): Checkpoint {
  if (!text.endsWith('\n')) throw new CheckpointError('text must end in a newline');
  const [origin, sizeLine, rootLine, ...extensions] = text.slice(0, -1).split('\n');
  if (origin === undefined || sizeLine === undefined || rootLine === undefined) {
    throw new CheckpointError('needs origin, size and root hash lines');
  }
  if (!isLine(origin)) throw new CheckpointError('origin must be a non-empty line without control characters');
  // ASCII decimal, no sign, no leading zero except for the empty tree.
  if (!/^(0|[1-9][0-9]*)$/.test(sizeLine)) throw new CheckpointError('size is not a decimal without leading zeros');
  const size = Number(sizeLine);
  if (!Number.isSafeInteger(size)) throw new CheckpointError('size is too large');
  const rootHash = decodeRootHash(rootLine);
  if (!extensions.every(isLine)) throw new CheckpointError(EXTENSION_RULE);
  return { origin, size, rootHash, extensions };
}

function decodeRootHash(line: string): Buffer {
  const bytes = Buffer.from(line, 'base64');
  // Re-encoding catches what Buffer's lenient decoder forgives: missing padding, stray characters.
  if (bytes.length !== HASH_SIZE || bytes.toString('base64') !== line) {
    throw new CheckpointError('root hash is not the standard base64 of 32 bytes');
  }
  return bytes;
}

function isLine(line: string): boolean {
  return line !== '' && !/[\u0000-\u001f\u007f]|\p{Cs}/u.test(line);
}
