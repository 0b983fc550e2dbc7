// RFC 6962 / RFC 9162 Merkle tree of the auditors' log: hashing, proofs over stored subtree
// hashes, and the verifiers of RFC 9162 §2.1.3.2 and §2.1.4.2.
//
// Storage model: every *perfect* subtree (2^level leaves starting at index·2^level) is stored
// once, keyed by (level, index), when its last leaf is appended. Any RFC 6962 subtree, hence any
// root or proof element, is a fold of at most log2(n) such perfect subtrees, so proofs never
// rehash leaves and each proof is one batched read of O(log n) nodes.
import { createHash } from 'node:crypto';

export const HASH_SIZE = 32;

/** A perfect subtree: leaves [index·2^level, (index+1)·2^level). Level 0 is a leaf. */
export interface NodeId {
  level: number;
  index: number;
}

export interface StoredNode extends NodeId {
  hash: Buffer;
}

/**
 * Where proof generation reads subtree hashes from (a database table, or MemoryNodeStore).
 * One call per root or proof, so a database answers it with one query. Only nodes whose leaves
 * have all been appended are requested.
 */
export interface NodeHashSource {
  readNodes(ids: readonly NodeId[]): Promise<readonly Buffer[]> | readonly Buffer[];
}

/** The right edge of a tree: the hashes of the perfect subtrees covering [0, size), left to right. */
export interface CompactRange {
  size: number;
  peaks: readonly Buffer[];
}

export type VerifyResult = { ok: true } | { ok: false; reason: string };

const EMPTY_ROOT = createHash('sha256').digest();

export function leafHash(leaf: Uint8Array): Buffer {
  return createHash('sha256').update(Buffer.of(0x00)).update(leaf).digest();
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash('sha256').update(Buffer.of(0x01)).update(left).update(right).digest();
}

export function emptyRoot(): Buffer {
  return Buffer.from(EMPTY_ROOT);
}

export const EMPTY_COMPACT_RANGE: CompactRange = { size: 0, peaks: [] };

/**
 * Appends leaf hashes to the right edge. Returns the new edge and every perfect subtree the
 * appended leaves completed (the leaves themselves included): O(log n) work per leaf.
 */
export function appendLeaves(
  range: CompactRange,
  leafHashes: readonly Buffer[],
): { range: CompactRange; nodes: StoredNode[] } {
  const peaks = [...range.peaks];
  const nodes: StoredNode[] = [];
  let size = range.size;
  for (const leaf of leafHashes) {
    if (leaf.length !== HASH_SIZE) throw new RangeError('leaf hash must be 32 bytes');
    let hash = leaf;
    let index = size;
    let level = 0;
    nodes.push({ level, index, hash });
    // An odd index closes a pair with the peak on its left, as many levels up as it carries.
    while (index % 2 === 1) {
      const left = peaks.pop();
      if (left === undefined) throw new Error('compact range has fewer peaks than its size implies');
      hash = nodeHash(left, hash);
      index = (index - 1) / 2;
      level += 1;
      nodes.push({ level, index, hash });
    }
    peaks.push(hash);
    size += 1;
  }
  return { range: { size, peaks }, nodes };
}

/** Root hash of the tree a compact range describes. */
export function compactRangeRoot(range: CompactRange): Buffer {
  return foldRight(range.peaks);
}

/** Rebuilds the right edge from stored nodes, e.g. when a writer restarts. */
export async function loadCompactRange(source: NodeHashSource, size: number): Promise<CompactRange> {
  checkSize(size);
  const ids = perfectCover(0, size);
  return { size, peaks: await read(source, ids) };
}

/** In-memory subtree store; also the reference for what a persistent store has to keep. */
export class MemoryNodeStore implements NodeHashSource {
  private readonly nodes = new Map<string, Buffer>();

  put(nodes: readonly StoredNode[]): void {
    for (const node of nodes) this.nodes.set(nodeKey(node), node.hash);
  }

  readNodes(ids: readonly NodeId[]): Buffer[] {
    return ids.map((id) => {
      const hash = this.nodes.get(nodeKey(id));
      if (hash === undefined) throw new RangeError(`no stored node at level ${id.level}, index ${id.index}`);
      return hash;
    });
  }
}

/** MTH(D[0:size]). */
export async function rootHash(source: NodeHashSource, size: number): Promise<Buffer> {
  checkSize(size);
  return (await materialize(source, [[0, size]]))[0] ?? emptyRoot();
}

/** PATH(index, D[0:size]) of RFC 9162 §2.1.3.1, leaf-side first. */
export async function inclusionProof(source: NodeHashSource, index: number, size: number): Promise<Buffer[]> {
  checkSize(size);
  if (!Number.isSafeInteger(index) || index < 0 || index >= size) {
    throw new RangeError(`leaf index ${index} is not in a tree of size ${size}`);
  }
  return materialize(source, pathRanges(index, 0, size));
}

/** PROOF(from, D[0:to]) of RFC 9162 §2.1.4.1; empty when from is 0 or equals to. */
export async function consistencyProof(source: NodeHashSource, from: number, to: number): Promise<Buffer[]> {
  checkSize(from);
  checkSize(to);
  if (from > to) throw new RangeError(`cannot prove consistency from size ${from} to smaller size ${to}`);
  if (from === 0 || from === to) return [];
  return materialize(source, subproofRanges(from, 0, to, true));
}

/** RFC 9162 §2.1.3.2, with the hash lengths and sizes checked first. */
export function verifyInclusion(
  leaf: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): VerifyResult {
  if (!isCount(index) || !isCount(size)) return fail('index and size must be non-negative safe integers');
  if (index >= size) return fail('leaf index is not smaller than the tree size');
  if (!isHash(leaf) || !isHash(root) || !proof.every(isHash)) return fail('every hash must be 32 bytes');
  let fn = index;
  let sn = size - 1;
  let r: Uint8Array = leaf;
  for (const p of proof) {
    if (sn === 0) return fail('proof is longer than the path to the root');
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) return fail('proof is shorter than the path to the root');
  if (!Buffer.from(r).equals(root)) return fail('computed root does not match');
  return { ok: true };
}

/**
 * RFC 9162 §2.1.4.2 for 0 < from < to. The trivial cases the RFC leaves to the caller are
 * decided strictly: they need an empty proof, and an empty tree must have the empty root.
 */
export function verifyConsistency(
  from: number,
  to: number,
  proof: readonly Uint8Array[],
  fromRoot: Uint8Array,
  toRoot: Uint8Array,
): VerifyResult {
  if (!isCount(from) || !isCount(to)) return fail('sizes must be non-negative safe integers');
  if (from > to) return fail('the first tree is larger than the second');
  if (!isHash(fromRoot) || !isHash(toRoot) || !proof.every(isHash)) return fail('every hash must be 32 bytes');
  if (from === 0 || from === to) {
    if (proof.length !== 0) return fail('a trivial consistency needs an empty proof');
    if (from === 0 && !EMPTY_ROOT.equals(fromRoot)) return fail('an empty tree has the hash of the empty string');
    if (from === to && !Buffer.from(fromRoot).equals(toRoot)) return fail('equal sizes with different roots');
    return { ok: true };
  }
  if (proof.length === 0) return fail('empty proof');
  const path = isPowerOfTwo(from) ? [fromRoot, ...proof] : [...proof];
  let fn = from - 1;
  let sn = to - 1;
  while (fn % 2 === 1) {
    fn = half(fn);
    sn = half(sn);
  }
  const [first, ...rest] = path;
  if (first === undefined) return fail('empty proof');
  let fr: Uint8Array = first;
  let sr: Uint8Array = first;
  for (const c of rest) {
    if (sn === 0) return fail('proof is longer than the path to the root');
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (fn % 2 === 0 && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) return fail('proof is shorter than the path to the root');
  if (!Buffer.from(fr).equals(fromRoot)) return fail('computed first root does not match');
  if (!Buffer.from(sr).equals(toRoot)) return fail('computed second root does not match');
  return { ok: true };
}

/** [begin, end): an RFC 6962 subtree whose hash is a proof element. */
type Range = readonly [begin: number, end: number];

function pathRanges(index: number, begin: number, end: number): Range[] {
  if (end - begin <= 1) return [];
  const split = begin + largestPowerOfTwoBelow(end - begin);
  return index < split
    ? [...pathRanges(index, begin, split), [split, end]]
    : [...pathRanges(index, split, end), [begin, split]];
}

// SUBPROOF(m, D[begin:end], b) of RFC 9162 §2.1.4.1, m counted from begin.
function subproofRanges(m: number, begin: number, end: number, complete: boolean): Range[] {
  if (m === end - begin) return complete ? [] : [[begin, end]];
  const k = largestPowerOfTwoBelow(end - begin);
  return m <= k
    ? [...subproofRanges(m, begin, begin + k, complete), [begin + k, end]]
    : [...subproofRanges(m - k, begin + k, end, false), [begin, begin + k]];
}

// Perfect subtrees covering [begin, end), largest first. Every range the RFC recursion produces
// starts at a multiple of a power of two at least as large as the range, so this binary
// decomposition of end - begin is made of aligned, stored subtrees.
function perfectCover(begin: number, end: number): NodeId[] {
  const ids: NodeId[] = [];
  let at = begin;
  while (at < end) {
    const width = largestPowerOfTwoAtMost(end - at);
    ids.push({ level: Math.log2(width), index: at / width });
    at += width;
  }
  return ids;
}

// Hashes of the ranges, reading all the perfect subtrees they need in one call.
async function materialize(source: NodeHashSource, ranges: readonly Range[]): Promise<Buffer[]> {
  const covers = ranges.map(([begin, end]) => perfectCover(begin, end));
  const hashes = await read(source, covers.flat());
  let at = 0;
  return covers.map((cover) => {
    const peaks = hashes.slice(at, at + cover.length);
    at += cover.length;
    return foldRight(peaks);
  });
}

async function read(source: NodeHashSource, ids: readonly NodeId[]): Promise<Buffer[]> {
  if (ids.length === 0) return [];
  const hashes = [...(await source.readNodes(ids))];
  if (hashes.length !== ids.length || !hashes.every(isHash)) {
    throw new Error('node source returned a wrong number of hashes or a hash that is not 32 bytes');
  }
  return hashes;
}

// RFC 6962 splits at the largest power of two, so the left peak pairs with the fold of the rest.
function foldRight(peaks: readonly Buffer[]): Buffer {
  let hash = peaks[peaks.length - 1];
  if (hash === undefined) return emptyRoot();
  for (let i = peaks.length - 2; i >= 0; i--) hash = nodeHash(peaks[i] as Buffer, hash);
  return hash;
}

function nodeKey(id: NodeId): string {
  return `${id.level}/${id.index}`;
}

function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function largestPowerOfTwoAtMost(n: number): number {
  let k = 1;
  while (k * 2 <= n) k *= 2;
  return k;
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && largestPowerOfTwoAtMost(n) === n;
}

// Arithmetic instead of >> so sizes beyond 2^31 stay exact.
function half(n: number): number {
  return Math.floor(n / 2);
}

function isCount(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

function checkSize(size: number): void {
  if (!isCount(size)) throw new RangeError(`tree size ${size} is not a non-negative safe integer`);
}

function isHash(hash: Uint8Array): boolean {
  return hash instanceof Uint8Array && hash.length === HASH_SIZE;
}

function fail(reason: string): VerifyResult {
  return { ok: false, reason };
}
