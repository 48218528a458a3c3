import { EMPTY_ROOT, nodeHash } from './merkle.ts';

/**
 * The root of a tree computed from its leaves in one pass and O(log n) memory: the hashes of
 * the perfect subtrees that make up the leaves so far (a "compact range"). Audit verify uses
 * it to recompute the log from the events themselves, trusting no stored tile.
 */
export class CompactRange {
  private readonly stack: { height: number; hash: Uint8Array }[] = [];
  size = 0;

  push(leafHash: Uint8Array): void {
    let node = { height: 0, hash: leafHash };
    for (let top = this.stack.at(-1); top && top.height === node.height; top = this.stack.at(-1)) {
      this.stack.pop();
      node = { height: node.height + 1, hash: nodeHash(top.hash, node.hash) };
    }
    this.stack.push(node);
    this.size += 1;
  }

  /** RFC 9162's MTH of the leaves pushed so far. */
  root(): Uint8Array {
    if (this.stack.length === 0) return EMPTY_ROOT;
    let acc = this.stack[this.stack.length - 1]!.hash;
    for (let i = this.stack.length - 2; i >= 0; i -= 1) acc = nodeHash(this.stack[i]!.hash, acc);
    return acc;
  }
}
