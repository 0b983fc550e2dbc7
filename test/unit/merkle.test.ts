import { describe, expect, it } from 'vitest';
import {
  EMPTY_COMPACT_RANGE,
  MemoryNodeStore,
  appendLeaves,
  compactRangeRoot,
  consistencyProof,
  emptyRoot,
  inclusionProof,
  leafHash,
  loadCompactRange,
  nodeHash,
  rootHash,
  verifyConsistency,
  verifyInclusion,
} from '../../src/audit/merkle.js';
import type { CompactRange, NodeHashSource, NodeId } from '../../src/audit/merkle.js';

const hex = (h: string): Buffer => Buffer.from(h, 'hex');

// Published vectors of transparency-dev/merkle: testonly/constants.go (LeafInputs, RootHashes,
// EmptyRootHash) and proof/verify_test.go (inclusionProofs, consistencyProofs, whose leaf numbers
// are 1-based there). The same data as google/certificate-transparency merkle_tree_test.
const LEAF_INPUTS = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(hex);
const ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
].map(hex);
const INCLUSION_VECTORS: { index: number; size: number; proof: string[] }[] = [
  {
    index: 0,
    size: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    index: 5,
    size: 8,
    proof: [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  { index: 2, size: 3, proof: ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125'] },
  {
    index: 1,
    size: 5,
    proof: [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
];
const CONSISTENCY_VECTORS: { from: number; to: number; proof: string[] }[] = [
  { from: 1, to: 1, proof: [] },
  {
    from: 1,
    to: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    from: 6,
    to: 8,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  {
    from: 2,
    to: 5,
    proof: [
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
  {
    from: 6,
    to: 7,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
];

// Naive reference: the recursive definitions of RFC 9162 §2.1.1, §2.1.3.1 and §2.1.4.1, run on
// the full list of leaf hashes.
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}
// Memoized on (first leaf, length), which names a run of one fixed leaf list, to keep 70² proofs fast.
const refRoots = new WeakMap<Buffer, Map<number, Buffer>>();
function refRoot(leaves: Buffer[]): Buffer {
  const first = leaves[0];
  if (first === undefined) return emptyRoot();
  if (leaves.length === 1) return first;
  const known = refRoots.get(first) ?? new Map<number, Buffer>();
  refRoots.set(first, known);
  const cached = known.get(leaves.length);
  if (cached !== undefined) return cached;
  const k = split(leaves.length);
  const root = nodeHash(refRoot(leaves.slice(0, k)), refRoot(leaves.slice(k)));
  known.set(leaves.length, root);
  return root;
}
function refPath(m: number, leaves: Buffer[]): Buffer[] {
  if (leaves.length <= 1) return [];
  const k = split(leaves.length);
  return m < k
    ? [...refPath(m, leaves.slice(0, k)), refRoot(leaves.slice(k))]
    : [...refPath(m - k, leaves.slice(k)), refRoot(leaves.slice(0, k))];
}
function refSubproof(m: number, leaves: Buffer[], complete: boolean): Buffer[] {
  if (m === leaves.length) return complete ? [] : [refRoot(leaves)];
  const k = split(leaves.length);
  return m <= k
    ? [...refSubproof(m, leaves.slice(0, k), complete), refRoot(leaves.slice(k))]
    : [...refSubproof(m - k, leaves.slice(k), false), refRoot(leaves.slice(0, k))];
}
function refProof(m: number, leaves: Buffer[]): Buffer[] {
  return m === 0 || m === leaves.length ? [] : refSubproof(m, leaves, true);
}

function buildStore(leaves: Buffer[]): { store: MemoryNodeStore; range: CompactRange } {
  const store = new MemoryNodeStore();
  const { range, nodes } = appendLeaves(EMPTY_COMPACT_RANGE, leaves);
  store.put(nodes);
  return { store, range };
}

function flipped(proof: Buffer[], i: number): Buffer[] {
  return proof.map((p, j) => {
    if (j !== i) return p;
    const copy = Buffer.from(p);
    copy[0] = (copy[0] as number) ^ 0x08;
    return copy;
  });
}

const sameHashes = (a: Buffer[], b: Buffer[]): boolean => a.length === b.length && a.every((h, i) => h.equals(b[i] as Buffer));

const MAX_SIZE = 70;
const leaves = Array.from({ length: MAX_SIZE }, (_, i) => leafHash(Buffer.from(`auditors' log entry ${i}`)));
const { store } = buildStore(leaves);
const roots = Array.from({ length: MAX_SIZE + 1 }, (_, n) => refRoot(leaves.slice(0, n)));

describe('RFC 6962 hashing and the published transparency-dev/merkle vectors', () => {
  const published = LEAF_INPUTS.map(leafHash);
  const { store: publishedStore } = buildStore(published);

  it('gives the published root for every size 0..8, in batch and incrementally', async () => {
    expect(emptyRoot()).toEqual(ROOTS[0]);
    let range = EMPTY_COMPACT_RANGE;
    for (let n = 0; n <= 8; n++) {
      expect(await rootHash(publishedStore, n)).toEqual(ROOTS[n]);
      expect(compactRangeRoot(range)).toEqual(ROOTS[n]);
      const leaf = published[n];
      if (leaf !== undefined) range = appendLeaves(range, [leaf]).range;
    }
  });

  it('generates and verifies the published inclusion proofs, and refuses their corruptions', async () => {
    for (const v of INCLUSION_VECTORS) {
      const proof = v.proof.map(hex);
      const leaf = published[v.index] as Buffer;
      const root = ROOTS[v.size] as Buffer;
      expect(await inclusionProof(publishedStore, v.index, v.size)).toEqual(proof);
      expect(verifyInclusion(leaf, v.index, v.size, proof, root)).toEqual({ ok: true });
      // The probes of verify_test.go corruptInclusionProof.
      const someHash = hex('abacaba000000000000000000000000000000000000000000060061e00123456');
      const probes: [number, number, Buffer[], Uint8Array, Buffer][] = [
        [v.index - 1, v.size, proof, root, leaf],
        [v.index + 1, v.size, proof, root, leaf],
        [v.index ^ 2, v.size, proof, root, leaf],
        [v.index, v.size * 2, proof, root, leaf],
        [v.index, Math.floor(v.size / 2), proof, root, leaf],
        [v.index, v.size, proof, root, Buffer.from('WrongLeaf')],
        [v.index, v.size, proof, ROOTS[0] as Buffer, leaf],
        [v.index, v.size, proof, someHash, leaf],
        [v.index, v.size, [...proof, Buffer.alloc(0)], root, leaf],
        [v.index, v.size, [...proof, root], root, leaf],
        [v.index, v.size, [Buffer.alloc(0), ...proof], root, leaf],
        [v.index, v.size, [root, ...proof], root, leaf],
        [v.index, v.size, proof.slice(0, -1), root, leaf],
        ...proof.map((_, i): [number, number, Buffer[], Uint8Array, Buffer] => [v.index, v.size, flipped(proof, i), root, leaf]),
      ];
      for (const [index, size, p, r, l] of probes) expect(verifyInclusion(l, index, size, p, r).ok).toBe(false);
    }
  });

  it('generates and verifies the published consistency proofs, and refuses their corruptions', async () => {
    for (const v of CONSISTENCY_VECTORS) {
      const proof = v.proof.map(hex);
      const r1 = ROOTS[v.from] as Buffer;
      const r2 = ROOTS[v.to] as Buffer;
      expect(await consistencyProof(publishedStore, v.from, v.to)).toEqual(proof);
      expect(verifyConsistency(v.from, v.to, proof, r1, r2)).toEqual({ ok: true });
      if (proof.length === 0) continue;
      const probes: [number, number, Buffer[], Buffer, Buffer][] = [
        [v.from - 1, v.to, proof, r1, r2],
        [v.from + 1, v.to, proof, r1, r2],
        [v.from ^ 2, v.to, proof, r1, r2],
        [v.from, v.to * 2, proof, r1, r2],
        [v.from, Math.floor(v.to / 2), proof, r1, r2],
        [v.from, v.to, proof, Buffer.from('WrongRoot'), r2],
        [v.from, v.to, proof, r1, Buffer.from('WrongRoot')],
        [v.from, v.to, proof, r2, r1],
        [v.from, v.to, [], r1, r2],
        [v.from, v.to, [...proof, Buffer.alloc(0)], r1, r2],
        [v.from, v.to, [...proof, r1], r1, r2],
        [v.from, v.to, [...proof, r2], r1, r2],
        [v.from, v.to, [Buffer.alloc(0), ...proof], r1, r2],
        [v.from, v.to, [r1, ...proof], r1, r2],
        [v.from, v.to, [r2, ...proof], r1, r2],
        [v.from, v.to, [proof[0] as Buffer, ...proof], r1, r2],
        [v.from, v.to, proof.slice(0, -1), r1, r2],
        ...proof.map((_, i): [number, number, Buffer[], Buffer, Buffer] => [v.from, v.to, flipped(proof, i), r1, r2]),
      ];
      for (const [from, to, p, a, b] of probes) expect(verifyConsistency(from, to, p, a, b).ok).toBe(false);
    }
  });

  it('decides the trivial consistencies strictly, as in verify_test.go TestVerifyConsistency', () => {
    const empty = ROOTS[0] as Buffer;
    const some = ROOTS[3] as Buffer;
    expect(verifyConsistency(0, 0, [], empty, empty).ok).toBe(true);
    expect(verifyConsistency(0, 5, [], empty, some).ok).toBe(true);
    expect(verifyConsistency(4, 4, [], some, some).ok).toBe(true);
    expect(verifyConsistency(0, 5, [], some, some).ok).toBe(false);
    expect(verifyConsistency(4, 4, [], empty, some).ok).toBe(false);
    expect(verifyConsistency(0, 1, [empty], empty, some).ok).toBe(false);
    expect(verifyConsistency(1, 1, [empty], some, some).ok).toBe(false);
    expect(verifyConsistency(1, 0, [], some, some).ok).toBe(false);
    expect(verifyConsistency(2, 1, [], some, some).ok).toBe(false);
    expect(verifyConsistency(1, 2, [], some, some).ok).toBe(false);
  });
});

describe('every tree of 1..70 leaves against the naive reference', () => {
  it('computes the reference root for every size, from stored nodes and from a reloaded compact range', async () => {
    for (let n = 0; n <= MAX_SIZE; n++) {
      expect(await rootHash(store, n)).toEqual(roots[n]);
      expect(compactRangeRoot(await loadCompactRange(store, n))).toEqual(roots[n]);
    }
  });

  it('gives the reference roots and stores the same nodes when leaves are appended one, several or all at a time', () => {
    for (const batch of [1, 3, 7, MAX_SIZE]) {
      const incremental = new MemoryNodeStore();
      let range = EMPTY_COMPACT_RANGE;
      for (let at = 0; at < MAX_SIZE; at += batch) {
        const appended = appendLeaves(range, leaves.slice(at, at + batch));
        incremental.put(appended.nodes);
        range = appended.range;
        expect(range.size).toBe(Math.min(at + batch, MAX_SIZE));
        expect(compactRangeRoot(range)).toEqual(roots[range.size]);
        // Two new nodes per leaf amortized, plus at most one per level: the writer's bound.
        expect(appended.nodes.length).toBeLessThanOrEqual(2 * (range.size - at) + Math.log2(MAX_SIZE) + 1);
      }
      const ids: NodeId[] = [];
      for (let level = 0; 2 ** level <= MAX_SIZE; level++) {
        for (let index = 0; (index + 1) * 2 ** level <= MAX_SIZE; index++) ids.push({ level, index });
      }
      expect(incremental.readNodes(ids)).toEqual(store.readNodes(ids));
    }
  });

  it('proves every index of every size; each proof is the reference one, verifies, and fails when tampered', async () => {
    for (let n = 1; n <= MAX_SIZE; n++) {
      const root = roots[n] as Buffer;
      for (let i = 0; i < n; i++) {
        const leaf = leaves[i] as Buffer;
        const proof = await inclusionProof(store, i, n);
        expect(proof).toEqual(refPath(i, leaves.slice(0, n)));
        expect(verifyInclusion(leaf, i, n, proof, root)).toEqual({ ok: true });
        for (let j = 0; j < proof.length; j++) {
          expect(verifyInclusion(leaf, i, n, flipped(proof, j), root).ok).toBe(false);
        }
        const tamperedLeaf = Buffer.from(leaf);
        tamperedLeaf[31] = (tamperedLeaf[31] as number) ^ 1;
        expect(verifyInclusion(tamperedLeaf, i, n, proof, root).ok).toBe(false);
        expect(verifyInclusion(leaf, i, n, proof, flipped([root], 0)[0] as Buffer).ok).toBe(false);
        expect(verifyInclusion(leaf, i, n, [...proof, root], root).ok).toBe(false);
        if (proof.length > 0) expect(verifyInclusion(leaf, i, n, proof.slice(1), root).ok).toBe(false);
        for (const other of [i - 1, i + 1, i ^ 1, i ^ 2, n]) {
          if (other !== i) expect(verifyInclusion(leaf, other, n, proof, root).ok).toBe(false);
        }
        // Another size with that size's real root: only a proof the reference also gives may pass.
        for (const size of [n - 1, n + 1, 2 * n, n >> 1]) {
          if (size === n || size > MAX_SIZE) continue;
          const expected = i < size && sameHashes(refPath(i, leaves.slice(0, size)), proof);
          expect(verifyInclusion(leaf, i, size, proof, roots[size] as Buffer).ok).toBe(expected);
        }
      }
    }
  });

  it('proves every pair of sizes m <= n; each proof is the reference one, verifies, and fails when tampered', async () => {
    for (let n = 1; n <= MAX_SIZE; n++) {
      for (let m = 0; m <= n; m++) {
        const r1 = roots[m] as Buffer;
        const r2 = roots[n] as Buffer;
        const proof = await consistencyProof(store, m, n);
        expect(proof).toEqual(refProof(m, leaves.slice(0, n)));
        expect(verifyConsistency(m, n, proof, r1, r2)).toEqual({ ok: true });
        if (m < n) expect(verifyConsistency(n, m, proof, r2, r1).ok).toBe(false);
        if (m === 0) {
          expect(verifyConsistency(m, n, [r2], r1, r2).ok).toBe(false);
          continue;
        }
        for (let j = 0; j < proof.length; j++) {
          expect(verifyConsistency(m, n, flipped(proof, j), r1, r2).ok).toBe(false);
        }
        expect(verifyConsistency(m, n, proof, flipped([r1], 0)[0] as Buffer, r2).ok).toBe(false);
        expect(verifyConsistency(m, n, proof, r1, flipped([r2], 0)[0] as Buffer).ok).toBe(false);
        expect(verifyConsistency(m, n, [...proof, r2], r1, r2).ok).toBe(false);
        if (proof.length > 0) expect(verifyConsistency(m, n, proof.slice(0, -1), r1, r2).ok).toBe(false);
        // Other sizes with their real roots: only a proof the reference also gives may pass.
        for (const [a, b] of [
          [m - 1, n],
          [m + 1, n],
          [m, n - 1],
          [m, n + 1],
        ] as const) {
          if (a < 0 || b > MAX_SIZE || (a === m && b === n)) continue;
          const expected = a <= b && sameHashes(refProof(a, leaves.slice(0, b)), proof);
          expect(verifyConsistency(a, b, proof, roots[a] as Buffer, roots[b] as Buffer).ok).toBe(expected);
        }
      }
    }
  });
});

describe('bad input', () => {
  it('never throws from the verifiers', () => {
    const h = leaves[0] as Buffer;
    const bad = [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 60];
    for (const x of bad) {
      expect(verifyInclusion(h, x, 4, [h, h], h).ok).toBe(false);
      expect(verifyInclusion(h, 0, x, [h, h], h).ok).toBe(false);
      expect(verifyConsistency(x, 4, [h], h, h).ok).toBe(false);
      expect(verifyConsistency(1, x, [h], h, h).ok).toBe(false);
    }
    expect(verifyInclusion(h, 4, 4, [h, h], h)).toEqual({ ok: false, reason: 'leaf index is not smaller than the tree size' });
    expect(verifyInclusion(h, 0, 0, [], h).ok).toBe(false);
    expect(verifyInclusion(Buffer.alloc(31), 0, 1, [], Buffer.alloc(31)).ok).toBe(false);
    expect(verifyConsistency(5, 3, [h], h, h)).toEqual({ ok: false, reason: 'the first tree is larger than the second' });
  });

  it('refuses to generate a proof for a leaf or size the tree does not have', async () => {
    await expect(inclusionProof(store, 5, 5)).rejects.toThrow(RangeError);
    await expect(consistencyProof(store, 6, 5)).rejects.toThrow(RangeError);
    await expect(rootHash(store, -1)).rejects.toThrow(RangeError);
    await expect(rootHash(new MemoryNodeStore(), 3)).rejects.toThrow(/no stored node/);
  });

  it('reads each root or proof in one batch of at most 2·log2(n) nodes from the source', async () => {
    const reads: NodeId[][] = [];
    const counting: NodeHashSource = {
      readNodes: (ids) => {
        reads.push([...ids]);
        return store.readNodes(ids);
      },
    };
    await inclusionProof(counting, 37, 69);
    await consistencyProof(counting, 37, 69);
    await rootHash(counting, 69);
    expect(reads).toHaveLength(3);
    for (const ids of reads) expect(ids.length).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(69)));
  });
});
