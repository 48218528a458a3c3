import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  consistencyProof,
  EMPTY_ROOT,
  inclusionProof,
  leafHash,
  type NodeSource,
  nodeHash,
  rootHash,
  verifyConsistency,
  verifyInclusion,
} from '../../src/transparency/merkle.ts';
import {
  appendLeaves,
  partialTiles,
  type StoredTile,
  tileKey,
  tileNodeSource,
  tilePath,
} from '../../src/transparency/tiles.ts';

// Published vectors of RFC 6962/9162 trees: the Certificate Transparency C++ merkle_tree_test
// constants, as carried by transparency-dev/merkle proof/verify_test.go (used as data only).
const h = (hex: string) => Buffer.from(hex, 'hex');
const LEAVES = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map(h);
const ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
].map(h);
/** [leaf (1-based), tree size, proof] */
const INCLUSION: [number, number, string[]][] = [
  [1, 1, []],
  [
    1,
    8,
    [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  ],
  [
    6,
    8,
    [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  ],
  [3, 3, ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125']],
  [
    2,
    5,
    [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  ],
];
const CONSISTENCY: [number, number, string[]][] = [
  [1, 1, []],
  [
    1,
    8,
    [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  ],
  [
    6,
    8,
    [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  ],
  [
    2,
    5,
    [
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  ],
  [
    6,
    7,
    [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  ],
];

/** Complete subtree hashes computed straight from the leaves: the reference the tiles must match. */
export function memoryNodes(leaves: readonly Uint8Array[]): NodeSource {
  const hashes = leaves.map((l) => leafHash(l));
  const memo = new Map<string, Uint8Array>();
  const node = (height: number, index: number): Uint8Array => {
    if (height === 0) return hashes[index]!;
    const key = `${height}/${index}`;
    let hash = memo.get(key);
    if (!hash) {
      hash = nodeHash(node(height - 1, 2 * index), node(height - 1, 2 * index + 1));
      memo.set(key, hash);
    }
    return hash;
  };
  return node;
}

/** Tiles built by appending `leaves` in batches of the given sizes, as the stores do. */
export function tilesOf(leaves: readonly Uint8Array[], batches: number[]): Map<string, StoredTile> {
  const tiles = new Map<string, StoredTile>();
  let size = 0;
  let b = 0;
  while (size < leaves.length) {
    const n = Math.min(batches[b++ % batches.length]!, leaves.length - size);
    const partial = partialTiles(size).map((t) => tiles.get(tileKey(t))!);
    for (const t of appendLeaves(
      size,
      partial,
      leaves.slice(size, size + n).map((l) => leafHash(l)),
    )) {
      tiles.set(tileKey(t), t);
    }
    size += n;
  }
  return tiles;
}

describe('RFC 9162 Merkle tree against the published test vectors', () => {
  const nodes = memoryNodes(LEAVES);

  test('roots of every prefix, and the empty tree', () => {
    assert.equal(
      EMPTY_ROOT.toString('hex'),
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    for (let size = 1; size <= 8; size += 1) {
      assert.deepEqual(Buffer.from(rootHash(nodes, size)), ROOTS[size - 1], `root of ${size}`);
    }
  });

  test('inclusion proofs: generated equal to the vectors, and they verify', () => {
    for (const [leaf, size, proof] of INCLUSION) {
      const got = inclusionProof(nodes, leaf - 1, size).map((p) => Buffer.from(p).toString('hex'));
      assert.deepEqual(got, proof, `leaf ${leaf} of ${size}`);
      assert.ok(
        verifyInclusion(
          leaf - 1,
          size,
          leafHash(LEAVES[leaf - 1]!),
          proof.map(h),
          ROOTS[size - 1]!,
        ),
      );
      assert.ok(
        !verifyInclusion(leaf, size, leafHash(LEAVES[leaf - 1]!), proof.map(h), ROOTS[size - 1]!),
      );
    }
  });

  test('consistency proofs: generated equal to the vectors, and they verify', () => {
    for (const [m, n, proof] of CONSISTENCY) {
      const got = consistencyProof(nodes, m, n).map((p) => Buffer.from(p).toString('hex'));
      assert.deepEqual(got, proof, `${m} → ${n}`);
      assert.ok(verifyConsistency(m, n, ROOTS[m - 1]!, ROOTS[n - 1]!, proof.map(h)), `${m} → ${n}`);
      if (proof.length) {
        assert.ok(
          !verifyConsistency(m, n, ROOTS[n - 1]!, ROOTS[m - 1]!, proof.map(h)),
          'swapped roots',
        );
        assert.ok(
          !verifyConsistency(m, n, ROOTS[m - 1]!, ROOTS[n - 1]!, proof.slice(1).map(h)),
          'short proof',
        );
      }
    }
  });

  test('trivial and impossible consistency cases', () => {
    const r = ROOTS[0]!;
    assert.ok(verifyConsistency(0, 5, EMPTY_ROOT, ROOTS[4]!, []));
    assert.ok(!verifyConsistency(2, 1, r, r, []), 'shrinking');
    assert.ok(!verifyConsistency(1, 2, r, ROOTS[1]!, []), 'empty proof');
    assert.ok(!verifyConsistency(1, 1, r, ROOTS[1]!, []), 'same size, other root');
  });
});

describe('tiles (C2SP tlog-tiles layout)', () => {
  const leaves = Array.from({ length: 70_000 }, (_, i) => Buffer.from(`leaf ${i}`));
  const tiles = tilesOf(leaves, [1, 300, 7, 2000, 256, 65_536]);
  const fromTiles = tileNodeSource([...tiles.values()]);
  const reference = memoryNodes(leaves);

  test('roots and proofs from tiles equal those computed from the leaves', () => {
    for (const size of [1, 2, 255, 256, 257, 511, 65_535, 65_536, 65_537, 70_000]) {
      assert.deepEqual(rootHash(fromTiles, size), rootHash(reference, size), `root of ${size}`);
    }
    for (const [i, n] of [
      [0, 70_000],
      [65_535, 65_536],
      [65_536, 70_000],
      [69_999, 70_000],
      [300, 301],
    ] as const) {
      assert.deepEqual(
        inclusionProof(fromTiles, i, n),
        inclusionProof(reference, i, n),
        `leaf ${i} of ${n}`,
      );
    }
    for (const [m, n] of [
      [1, 70_000],
      [256, 65_537],
      [65_536, 70_000],
      [12_345, 67_890],
    ] as const) {
      assert.deepEqual(
        consistencyProof(fromTiles, m, n),
        consistencyProof(reference, m, n),
        `${m} → ${n}`,
      );
    }
  });

  test('the same tiles whatever the batch sizes', () => {
    const again = tilesOf(leaves, [70_000]);
    assert.deepEqual([...again.keys()].sort(), [...tiles.keys()].sort());
    for (const [k, t] of tiles) assert.deepEqual(again.get(k), t, k);
  });

  test('tile paths as C2SP writes them', () => {
    assert.equal(tilePath(0, 1_234_067), 'tile/0/x001/x234/067');
    assert.equal(tilePath(1, 5, 17), 'tile/1/005.p/17');
    assert.equal(tilePath(2, 0), 'tile/2/000');
  });
});
