import {
  HASH_SIZE,
  inclusionProof,
  leafHash,
  type NodeSource,
  nodeHash,
  rootHash,
} from './merkle.ts';

/**
 * The RFC 9162 Merkle tree over a dataset's sorted, distinct 32-octet values, every complete
 * subtree kept (about 2 × 32 × count octets): the tree of the exclusion commitment (VRF outputs)
 * and of the terms commitment (keyed references) alike. Each leaf's data binds the dataset's id
 * (`leafData`), so that a proof made for one dataset is no proof for another; sorted and
 * distinct values are what let a neighbouring pair prove that a value is absent.
 */
export class SortedLeafTree {
  readonly count: number;
  readonly #levels: Buffer[][];

  constructor(
    readonly datasetId: string,
    readonly leaves: Buffer,
    /** Names the leaves in errors ("exclusion leaves"). */
    what: string,
    leafData: (datasetId: string, value: Uint8Array) => Uint8Array,
  ) {
    if (leaves.length % HASH_SIZE !== 0)
      throw new RangeError(`${what}: not a multiple of 32 octets`);
    this.count = leaves.length / HASH_SIZE;
    let level: Buffer[] = [];
    for (let i = 0; i < this.count; i++) {
      const value = this.value(i);
      if (i > 0 && Buffer.compare(this.value(i - 1), value) >= 0)
        throw new RangeError(`${what}: not sorted and distinct`);
      level.push(leafHash(leafData(datasetId, value)));
    }
    this.#levels = [level];
    while (level.length > 1) {
      const next: Buffer[] = [];
      for (let i = 0; i + 1 < level.length; i += 2) next.push(nodeHash(level[i]!, level[i + 1]!));
      this.#levels.push(next);
      level = next;
    }
  }

  value(index: number): Buffer {
    return this.leaves.subarray(index * HASH_SIZE, (index + 1) * HASH_SIZE);
  }

  readonly #nodes: NodeSource = (height, index) => {
    const node = this.#levels[height]?.[index];
    if (!node) throw new RangeError(`no complete subtree ${height}/${index}`);
    return node;
  };

  root(): Buffer {
    return Buffer.from(rootHash(this.#nodes, this.count));
  }

  /** The leaf's RFC 9162 inclusion proof, as lowercase hex hashes. */
  inclusion(index: number): string[] {
    return inclusionProof(this.#nodes, index, this.count).map((h) =>
      Buffer.from(h).toString('hex'),
    );
  }

  /** The first index whose value is ≥ `value` (`count` when none is). */
  lowerBound(value: Uint8Array): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (Buffer.compare(this.value(mid), value) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
