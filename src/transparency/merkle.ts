import { createHash } from 'node:crypto';

/**
 * The Merkle tree of RFC 9162 (Certificate Transparency 2.0) §2.1 with SHA-256: leaves hash as
 * SHA-256(0x00 || data), interior nodes as SHA-256(0x01 || left || right), so a leaf can never
 * be passed off as a node (second-preimage domain separation). Proofs are generated through a
 * `NodeSource` (complete subtrees by height and index) so that a store can serve them from
 * tiles in O(log n) reads, and verified by the RFC's own algorithms (§2.1.3.2, §2.1.4.2).
 */
export const HASH_SIZE = 32;
const LEAF_PREFIX = Buffer.from([0]);
const NODE_PREFIX = Buffer.from([1]);

/** SHA-256 of the empty string: the root of the empty tree (RFC 9162 §2.1.1). */
export const EMPTY_ROOT = createHash('sha256').digest();

export function leafHash(data: Uint8Array): Buffer {
  return createHash('sha256').update(LEAF_PREFIX).update(data).digest();
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

/**
 * Reads the hash of a complete subtree: `height` levels above the leaves, `index` counted from
 * the left at that height (it covers leaves index·2^height … (index+1)·2^height − 1).
 */
export type NodeSource = (height: number, index: number) => Uint8Array;

/** A node a proof needs, named like `NodeSource`'s arguments. */
export interface NodeRef {
  height: number;
  index: number;
}

/** The largest power of two strictly smaller than n (n ≥ 2). */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function isPowerOfTwo(n: number): boolean {
  if (n < 1) return false;
  let x = n;
  while (x % 2 === 0) x /= 2;
  return x === 1;
}

function log2(n: number): number {
  let h = 0;
  for (let x = n; x > 1; x /= 2) h += 1;
  return h;
}

/**
 * MTH(D[lo:hi]) for a range that is either a complete aligned subtree or the right edge of
 * the tree: the RFC's recursion, ending on complete subtrees read from `nodes`.
 */
export function rangeHash(nodes: NodeSource, lo: number, hi: number): Uint8Array {
  const n = hi - lo;
  if (isPowerOfTwo(n) && lo % n === 0) return nodes(log2(n), lo / n);
  const k = split(n);
  return nodeHash(rangeHash(nodes, lo, lo + k), rangeHash(nodes, lo + k, hi));
}

/** The root of the tree of `size` leaves (the empty tree's root for 0). */
export function rootHash(nodes: NodeSource, size: number): Uint8Array {
  return size === 0 ? EMPTY_ROOT : rangeHash(nodes, 0, size);
}

/** PATH(m, D[lo:hi]) of RFC 9162 §2.1.3.1: the inclusion proof of leaf `m` (absolute index). */
function path(nodes: NodeSource, m: number, lo: number, hi: number, out: Uint8Array[]): void {
  if (hi - lo <= 1) return;
  const k = split(hi - lo);
  if (m < lo + k) {
    path(nodes, m, lo, lo + k, out);
    out.push(rangeHash(nodes, lo + k, hi));
  } else {
    path(nodes, m, lo + k, hi, out);
    out.push(rangeHash(nodes, lo, lo + k));
  }
}

export function inclusionProof(nodes: NodeSource, index: number, size: number): Uint8Array[] {
  if (!(index >= 0 && index < size))
    throw new RangeError(`leaf ${index} is not in a tree of ${size}`);
  const out: Uint8Array[] = [];
  path(nodes, index, 0, size, out);
  return out;
}

/** SUBPROOF(m, D[lo:hi], b) of RFC 9162 §2.1.4.1. */
function subproof(
  nodes: NodeSource,
  m: number,
  lo: number,
  hi: number,
  complete: boolean,
  out: Uint8Array[],
): void {
  if (m === hi - lo) {
    if (!complete) out.push(rangeHash(nodes, lo, hi));
    return;
  }
  const k = split(hi - lo);
  if (m <= k) {
    subproof(nodes, m, lo, lo + k, complete, out);
    out.push(rangeHash(nodes, lo + k, hi));
  } else {
    subproof(nodes, m - k, lo + k, hi, false, out);
    out.push(rangeHash(nodes, lo, lo + k));
  }
}

export function consistencyProof(nodes: NodeSource, size1: number, size2: number): Uint8Array[] {
  if (!(size1 >= 0 && size1 <= size2)) {
    throw new RangeError(`no consistency proof from ${size1} to ${size2}`);
  }
  const out: Uint8Array[] = [];
  if (size1 === 0 || size1 === size2) return out;
  subproof(nodes, size1, 0, size2, true, out);
  return out;
}

/**
 * The complete subtrees a proof reads, in no particular order: run the generator once with a
 * recording source, so a store can fetch exactly the tiles it needs in one round trip.
 */
export function nodesRead(generate: (nodes: NodeSource) => unknown): NodeRef[] {
  const seen = new Map<string, NodeRef>();
  const blank = new Uint8Array(HASH_SIZE);
  generate((height, index) => {
    seen.set(`${height}/${index}`, { height, index });
    return blank;
  });
  return [...seen.values()];
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/** RFC 9162 §2.1.3.2: does `proof` show `leaf` at `index` in the tree of `size` with `root`? */
export function verifyInclusion(
  index: number,
  size: number,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (!(Number.isSafeInteger(index) && Number.isSafeInteger(size) && index >= 0 && index < size))
    return false;
  if (leaf.length !== HASH_SIZE || root.length !== HASH_SIZE) return false;
  let fn = index;
  let sn = size - 1;
  let r: Uint8Array = leaf;
  for (const p of proof) {
    if (p.length !== HASH_SIZE || sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equal(r, root);
}

/** RFC 9162 §2.1.4.2: does `proof` show the tree of `size2` extends the tree of `size1`? */
export function verifyConsistency(
  size1: number,
  size2: number,
  root1: Uint8Array,
  root2: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  if (!(Number.isSafeInteger(size1) && Number.isSafeInteger(size2))) return false;
  if (size1 < 0 || size2 < size1) return false;
  if (size1 === size2) return proof.length === 0 && equal(root1, root2);
  if (size1 === 0) return proof.length === 0;
  if (proof.length === 0 || proof.some((p) => p.length !== HASH_SIZE)) return false;
  if (root1.length !== HASH_SIZE || root2.length !== HASH_SIZE) return false;
  const path = isPowerOfTwo(size1) ? [root1, ...proof] : [...proof];
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr: Uint8Array = path[0]!;
  let sr: Uint8Array = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return equal(fr, root1) && equal(sr, root2) && sn === 0;
}
