import { HASH_SIZE, type NodeRef, type NodeSource, nodeHash } from './merkle.ts';

/**
 * The log's hashes in C2SP tlog-tiles layout (https://c2sp.org/tlog-tiles): tiles of height 8,
 * a level-L tile holding up to 256 consecutive hashes of complete subtrees of 256^L leaves
 * (level 0: the leaf hashes). Besides that bottom row, which is exactly what a tile endpoint
 * serves, each stored tile keeps the complete interior nodes of its own 8 levels, so any
 * complete subtree hash is one lookup and a proof costs O(log n) tile reads and no hashing
 * (computing the interior of one tile on read costs ~255 SHA-256, ~0.3 ms here, per level).
 * Full tiles never change; only the rightmost tile of each level grows, keeping its prefix.
 */
export const TILE_HEIGHT = 8;
export const TILE_WIDTH = 1 << TILE_HEIGHT;

export interface TileRef {
  level: number;
  index: number;
}

/** A tile as stored: `hashes` the bottom row (width × 32 bytes), `nodes` its interior rows. */
export interface StoredTile extends TileRef {
  width: number;
  hashes: Uint8Array;
  nodes: Uint8Array;
}

export function tileKey(t: TileRef): string {
  return `${t.level}/${t.index}`;
}

/** The tile holding the complete subtree (height, index). */
export function tileOfNode(node: NodeRef): TileRef {
  const level = Math.floor(node.height / TILE_HEIGHT);
  const r = node.height - level * TILE_HEIGHT;
  return { level, index: Math.floor((node.index * 2 ** r) / TILE_WIDTH) };
}

/** The tiles these nodes live in, each once. */
export function tilesOfNodes(nodes: readonly NodeRef[]): TileRef[] {
  const out = new Map<string, TileRef>();
  for (const n of nodes) {
    const t = tileOfNode(n);
    out.set(tileKey(t), t);
  }
  return [...out.values()];
}

/** The rightmost, incomplete tile of each level of a tree of `size` leaves: what appends extend. */
export function partialTiles(size: number): TileRef[] {
  const out: TileRef[] = [];
  for (let level = 0, count = size; count > 0; level += 1, count = Math.floor(count / TILE_WIDTH)) {
    if (count % TILE_WIDTH !== 0) out.push({ level, index: Math.floor(count / TILE_WIDTH) });
  }
  return out;
}

/** A tile's rows in memory: rows[0] the bottom row, rows[r] the nodes r levels above it. */
class TileRows {
  readonly rows: Uint8Array[][];

  constructor(
    readonly level: number,
    readonly index: number,
    rows?: Uint8Array[][],
  ) {
    this.rows = rows ?? Array.from({ length: TILE_HEIGHT }, () => []);
  }

  static decode(t: StoredTile): TileRows {
    const rows: Uint8Array[][] = [];
    rows.push(slices(t.hashes, 0, t.width));
    let offset = 0;
    for (let r = 1; r < TILE_HEIGHT; r += 1) {
      const count = Math.floor(t.width / 2 ** r);
      rows.push(slices(t.nodes, offset, count));
      offset += count;
    }
    if (t.hashes.length !== t.width * HASH_SIZE || t.nodes.length !== offset * HASH_SIZE) {
      throw new Error(
        `transparency tile ${tileKey(t)} is damaged: its length does not match its width`,
      );
    }
    return new TileRows(t.level, t.index, rows);
  }

  get width(): number {
    return this.rows[0]!.length;
  }

  /** Adds one hash at the right; returns the tile's root when that completed it. */
  push(hash: Uint8Array): Uint8Array | null {
    this.rows[0]!.push(hash);
    let p = this.width;
    for (let r = 1; r <= TILE_HEIGHT && p % 2 === 0; r += 1, p /= 2) {
      const below = this.rows[r - 1]!;
      const parent = nodeHash(below[p - 2]!, below[p - 1]!);
      if (r === TILE_HEIGHT) return parent;
      this.rows[r]!.push(parent);
    }
    return null;
  }

  encode(): StoredTile {
    return {
      level: this.level,
      index: this.index,
      width: this.width,
      hashes: Buffer.concat(this.rows[0]!),
      nodes: Buffer.concat(this.rows.slice(1).flat()),
    };
  }
}

function slices(buf: Uint8Array, first: number, count: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i += 1) {
    const at = (first + i) * HASH_SIZE;
    out.push(buf.subarray(at, at + HASH_SIZE));
  }
  return out;
}

/**
 * Appends leaf hashes to a tree of `size` leaves. `partial` holds the tiles `partialTiles(size)`
 * names (as read inside the write transaction); returns every tile to write (insert or replace).
 */
export function appendLeaves(
  size: number,
  partial: readonly StoredTile[],
  leaves: readonly Uint8Array[],
): StoredTile[] {
  const byKey = new Map(partial.map((t) => [tileKey(t), t]));
  const changed: StoredTile[] = [];
  let entries = leaves;
  for (
    let level = 0, count = size;
    entries.length > 0;
    level += 1, count = Math.floor(count / TILE_WIDTH)
  ) {
    let index = Math.floor(count / TILE_WIDTH);
    let tile: TileRows;
    if (count % TILE_WIDTH !== 0) {
      const stored = byKey.get(tileKey({ level, index }));
      if (!stored) throw new Error(`transparency tile ${level}/${index} is missing`);
      tile = TileRows.decode(stored);
      if (tile.width !== count % TILE_WIDTH) {
        throw new Error(
          `transparency tile ${level}/${index} holds ${tile.width} hashes, expected ${count % TILE_WIDTH}`,
        );
      }
    } else {
      tile = new TileRows(level, index);
    }
    const up: Uint8Array[] = [];
    for (const e of entries) {
      const root = tile.push(e);
      if (root) {
        up.push(root);
        changed.push(tile.encode());
        index += 1;
        tile = new TileRows(level, index);
      }
    }
    if (tile.width > 0) changed.push(tile.encode());
    entries = up;
  }
  return changed;
}

/** Complete subtree hashes read from fetched tiles; a missing one means the store is damaged. */
export function tileNodeSource(tiles: readonly StoredTile[]): NodeSource {
  const decoded = new Map<string, TileRows>();
  const byKey = new Map(tiles.map((t) => [tileKey(t), t]));
  return (height, index) => {
    const ref = tileOfNode({ height, index });
    const key = tileKey(ref);
    let rows = decoded.get(key);
    if (!rows) {
      const stored = byKey.get(key);
      if (!stored) throw new Error(`transparency tile ${key} is missing`);
      rows = TileRows.decode(stored);
      decoded.set(key, rows);
    }
    const r = height - ref.level * TILE_HEIGHT;
    const hash = rows.rows[r]?.[index % (TILE_WIDTH / 2 ** r)];
    if (!hash) throw new Error(`transparency tile ${key} does not hold node ${height}/${index}`);
    return hash;
  };
}

/** The C2SP tile path: `tile/<L>/<N>[.p/<W>]`, N in groups of three digits ("x001/234"). */
export function tilePath(level: number, index: number, width = TILE_WIDTH): string {
  let digits = String(index).padStart(3, '0');
  if (digits.length % 3) digits = digits.padStart(digits.length + 3 - (digits.length % 3), '0');
  const groups = digits.match(/\d{3}/g)!;
  const n = groups.map((g, i) => (i < groups.length - 1 ? `x${g}` : g)).join('/');
  return `tile/${level}/${n}${width < TILE_WIDTH ? `.p/${width}` : ''}`;
}
