import type { RegistryStore } from '../store/registry-store.ts';
import {
  consistencyProof,
  inclusionProof,
  type NodeSource,
  nodesRead,
  rootHash,
} from './merkle.ts';
import { tileNodeSource, tilesOfNodes } from './tiles.ts';

export interface TreeHead {
  size: number;
  root: Uint8Array;
}

/**
 * The registry's transparency log read side: tree heads and proofs from the stored tiles, each
 * in one read of the O(log n) tiles it needs. The log's leaves are the audit events
 * (src/transparency/event-leaves.ts); the stores append them (src/store/*).
 */
export class TransparencyLog {
  constructor(private readonly store: Pick<RegistryStore, 'chainHead' | 'readTiles'>) {}

  async size(): Promise<number> {
    return (await this.store.chainHead()).seq;
  }

  async treeHead(size?: number): Promise<TreeHead> {
    const n = size ?? (await this.size());
    return { size: n, root: await this.read((nodes) => rootHash(nodes, n)) };
  }

  async inclusionProof(index: number, size: number): Promise<Uint8Array[]> {
    await this.checkSize(size);
    return this.read((nodes) => inclusionProof(nodes, index, size));
  }

  async consistencyProof(size1: number, size2: number): Promise<Uint8Array[]> {
    await this.checkSize(size2);
    return this.read((nodes) => consistencyProof(nodes, size1, size2));
  }

  async checkSize(size: number): Promise<void> {
    const current = await this.size();
    if (size > current) throw new RangeError(`the log holds ${current} entries, not ${size}`);
  }

  private async read<T>(generate: (nodes: NodeSource) => T): Promise<T> {
    const refs = tilesOfNodes(nodesRead(generate));
    const tiles = refs.length ? await this.store.readTiles(refs) : [];
    return generate(tileNodeSource(tiles));
  }
}
