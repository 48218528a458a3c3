import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { openCheckpoint, signCheckpoint } from '../../src/transparency/checkpoint.ts';
import {
  consistencyProof,
  inclusionProof,
  leafHash,
  type NodeSource,
  rootHash,
  verifyConsistency,
  verifyInclusion,
} from '../../src/transparency/merkle.ts';
import { generateSigner } from '../../src/transparency/signed-note.ts';
import {
  appendLeaves,
  partialTiles,
  type StoredTile,
  tileKey,
  tileNodeSource,
} from '../../src/transparency/tiles.ts';

/**
 * Property tests of the log as the stores build it: leaves appended in arbitrary batches into
 * tiles, proofs generated from the tiles. For any such sequence every inclusion proof and every
 * consistency proof verifies, and flipping any single bit of a proof, a leaf, a root or a signed
 * checkpoint makes verification fail.
 */

/** A log built by appending `batches` of leaf data the way the stores do (tiles, partial tiles). */
function buildLog(batches: readonly (readonly Uint8Array[])[]) {
  const tiles = new Map<string, StoredTile>();
  const leaves: Buffer[] = [];
  for (const batch of batches) {
    const partial = partialTiles(leaves.length).map((t) => tiles.get(tileKey(t))!);
    const hashes = batch.map((d) => leafHash(d));
    for (const t of appendLeaves(leaves.length, partial, hashes)) tiles.set(tileKey(t), t);
    leaves.push(...hashes);
  }
  return { leaves, nodes: tileNodeSource([...tiles.values()]) as NodeSource };
}

const leafData = fc.uint8Array({ minLength: 0, maxLength: 8 });
// Up to ~600 leaves, so that level-1 tiles (256 leaves) and partial tiles are crossed.
const batches = fc.array(fc.array(leafData, { minLength: 1, maxLength: 150 }), {
  minLength: 1,
  maxLength: 6,
});

function flip(bytes: Uint8Array, bit: number): Buffer {
  const out = Buffer.from(bytes);
  out[Math.floor(bit / 8) % out.length]! ^= 1 << (bit % 8);
  return out;
}

test('any append sequence: every inclusion and consistency proof verifies', () => {
  fc.assert(
    fc.property(batches, fc.nat(), fc.nat(), fc.nat(), (bs, a, b, c) => {
      const { leaves, nodes } = buildLog(bs);
      const n = leaves.length;
      const size2 = 1 + (a % n);
      const size1 = b % (size2 + 1);
      const index = c % size2;
      const root1 = rootHash(nodes, size1);
      const root2 = rootHash(nodes, size2);
      const inc = inclusionProof(nodes, index, size2);
      assert.ok(verifyInclusion(index, size2, leaves[index]!, inc, root2));
      const cons = consistencyProof(nodes, size1, size2);
      assert.ok(verifyConsistency(size1, size2, root1, root2, cons));
    }),
    { numRuns: 150 },
  );
});

test('every proof, every index and size pair, for small logs built in any batches', () => {
  fc.assert(
    fc.property(
      fc.array(fc.array(leafData, { minLength: 1, maxLength: 9 }), { maxLength: 4, minLength: 1 }),
      (bs) => {
        const { leaves, nodes } = buildLog(bs);
        for (let size2 = 1; size2 <= leaves.length; size2 += 1) {
          const root2 = rootHash(nodes, size2);
          for (let i = 0; i < size2; i += 1) {
            assert.ok(
              verifyInclusion(i, size2, leaves[i]!, inclusionProof(nodes, i, size2), root2),
            );
          }
          for (let size1 = 0; size1 <= size2; size1 += 1) {
            const p = consistencyProof(nodes, size1, size2);
            assert.ok(verifyConsistency(size1, size2, rootHash(nodes, size1), root2, p));
          }
        }
      },
    ),
    { numRuns: 40 },
  );
});

test('any single-bit change to an inclusion proof, its leaf or its root fails', () => {
  fc.assert(
    fc.property(batches, fc.nat(), fc.nat(), fc.nat(), fc.nat(), (bs, a, c, which, bit) => {
      const { leaves, nodes } = buildLog(bs);
      const size = 1 + (a % leaves.length);
      const index = c % size;
      const root = rootHash(nodes, size);
      const proof = inclusionProof(nodes, index, size);
      const leaf = leaves[index]!;
      const target = which % (proof.length + 2);
      if (target < proof.length) {
        const bad = proof.map((p, i) => (i === target ? flip(p, bit) : p));
        assert.ok(!verifyInclusion(index, size, leaf, bad, root), `proof[${target}] bit ${bit}`);
      } else if (target === proof.length) {
        assert.ok(!verifyInclusion(index, size, flip(leaf, bit), proof, root), 'leaf');
      } else {
        assert.ok(!verifyInclusion(index, size, leaf, proof, flip(root, bit)), 'root');
      }
      // Nor does a proof for another index, or one shortened or lengthened.
      const other = (index + 1) % size;
      if (size > 1 && !leaves[other]!.equals(leaf)) {
        assert.ok(!verifyInclusion(other, size, leaf, proof, root));
      }
      assert.ok(!verifyInclusion(index, size, leaf, proof.slice(1), root) || proof.length === 0);
      assert.ok(!verifyInclusion(index, size, leaf, [...proof, leaf], root));
    }),
    { numRuns: 300 },
  );
});

test('any single-bit change to a consistency proof or either root fails', () => {
  fc.assert(
    fc.property(batches, fc.nat(), fc.nat(), fc.nat(), fc.nat(), (bs, a, b, which, bit) => {
      const { leaves, nodes } = buildLog(bs);
      const size2 = 1 + (a % leaves.length);
      const size1 = 1 + (b % size2);
      fc.pre(size1 < size2);
      const root1 = rootHash(nodes, size1);
      const root2 = rootHash(nodes, size2);
      const proof = consistencyProof(nodes, size1, size2);
      const target = which % (proof.length + 2);
      if (target < proof.length) {
        const bad = proof.map((p, i) => (i === target ? flip(p, bit) : p));
        assert.ok(!verifyConsistency(size1, size2, root1, root2, bad), `proof[${target}]`);
      } else if (target === proof.length) {
        assert.ok(!verifyConsistency(size1, size2, flip(root1, bit), root2, proof), 'root1');
      } else {
        assert.ok(!verifyConsistency(size1, size2, root1, flip(root2, bit), proof), 'root2');
      }
    }),
    { numRuns: 300 },
  );
});

const signer = generateSigner('veto.example/log');

test('any single-bit change to a signed checkpoint (random ones) fails to open', () => {
  fc.assert(
    fc.property(
      fc.nat({ max: 1_000_000 }),
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.nat(),
      (size, root, bit) => {
        const note = Buffer.from(signCheckpoint(signer, size, root), 'utf8');
        const bad = flip(note, bit % (note.length * 8)).toString('utf8');
        assert.throws(() => openCheckpoint(bad, [signer]), `bit ${bit % (note.length * 8)}`);
      },
    ),
    { numRuns: 2000 },
  );
});

test('every single-bit change to a signed checkpoint, bit by bit, fails to open', () => {
  for (const size of [0, 1, 7, 1_000_000]) {
    const note = Buffer.from(signCheckpoint(signer, size, leafHash(Buffer.from([size % 256]))));
    for (let bit = 0; bit < note.length * 8; bit += 1) {
      const bad = flip(note, bit).toString('utf8');
      assert.throws(() => openCheckpoint(bad, [signer]), `size ${size}, bit ${bit}`);
    }
  }
});
