import { createHash } from 'node:crypto';
import {
  consistencyProof,
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
  type TileRef,
  tileKey,
} from '../../src/transparency/tiles.ts';
import { TransparencyLog } from '../../src/transparency/transparency-log.ts';

/**
 * bench/transparency: the cost of a proof, generated and verified, and its size.
 *
 * 1. The server's path: `TransparencyLog` (what GET /v1/transparency/proof/* calls) reading
 *    the tiles a proof needs and generating it, then RFC 9162 verification, over a log of
 *    VETO_BENCH_TLOG_TILED (default 1,000,000) distinct leaves whose tiles are built by
 *    `appendLeaves` as the stores build them and held in memory (the database read itself
 *    is not timed: it is one indexed read of O(log n) rows).
 * 2. The algorithms at 10M and 100M events: a tree whose complete subtrees are answered in
 *    O(1) (all leaves equal, so each height has one hash; the proofs' shape, recursion and
 *    verification are those of any tree of that size).
 *
 * Baseline, same run: one SHA-256 of 64 bytes (the unit both costs are made of).
 * Targets: generation and verification ≤ 1 ms each at 10M; proofs O(log n), ~1 KB at 100M.
 */
const TILED = Number(process.env.VETO_BENCH_TLOG_TILED ?? 1_000_000);
const QUERIES = 2_000;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function time(n: number, fn: (i: number) => void): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i += 1) fn(i);
  return Number(process.hrtime.bigint() - t0) / 1e6 / n;
}

async function timeAsync(n: number, fn: (i: number) => Promise<void>): Promise<number> {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i += 1) await fn(i);
  return Number(process.hrtime.bigint() - t0) / 1e6 / n;
}

const ms = (x: number) => `${x.toFixed(4)} ms`;

export async function run(): Promise<void> {
  const sha = createHash('sha256').update(Buffer.alloc(64)).digest();
  const unit = time(200_000, () => nodeHash(sha, sha));
  console.log(`baseline: one SHA-256 node hash ${ms(unit)}`);

  // 1. The tiled path, as served.
  const t0 = Date.now();
  const tiles = new Map<string, StoredTile>();
  const leaves: Buffer[] = [];
  const BATCH = 10_000;
  for (let size = 0; size < TILED; size += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, TILED - size) }, (_, i) =>
      leafHash(Buffer.from(`event ${size + i}`)),
    );
    const partial = partialTiles(size).map((t) => tiles.get(tileKey(t))!);
    for (const t of appendLeaves(size, partial, batch)) tiles.set(tileKey(t), t);
    leaves.push(...batch);
  }
  console.log(
    `built ${TILED.toLocaleString('en')} leaves into ${tiles.size} tiles in ${Date.now() - t0} ms`,
  );
  const store = {
    chainHead: async () => ({ seq: TILED, hash: '' }),
    readTiles: async (refs: readonly TileRef[]) =>
      refs.map((r) => tiles.get(tileKey(r))).filter((t): t is StoredTile => !!t),
  };
  const log = new TransparencyLog(store);
  const { root } = await log.treeHead(TILED);
  const r = rng(1);
  const idx = Array.from({ length: QUERIES }, () => Math.floor(r() * TILED));
  const olds = Array.from({ length: QUERIES }, () => 1 + Math.floor(r() * (TILED - 1)));
  const incProofs: Uint8Array[][] = [];
  const incGen = await timeAsync(QUERIES, async (i) => {
    incProofs[i] = await log.inclusionProof(idx[i]!, TILED);
  });
  const incVer = time(QUERIES, (i) => {
    if (!verifyInclusion(idx[i]!, TILED, leaves[idx[i]!]!, incProofs[i]!, root))
      throw new Error('inclusion proof failed');
  });
  const oldRoots = await Promise.all(
    olds.slice(0, 200).map(async (s) => (await log.treeHead(s)).root),
  );
  const conProofs: Uint8Array[][] = [];
  const conGen = await timeAsync(200, async (i) => {
    conProofs[i] = await log.consistencyProof(olds[i]!, TILED);
  });
  const conVer = time(200, (i) => {
    if (!verifyConsistency(olds[i]!, TILED, oldRoots[i]!, root, conProofs[i]!))
      throw new Error('consistency proof failed');
  });
  console.log(`tiled log of ${TILED.toLocaleString('en')} (server path, tiles in memory):`);
  console.log(
    `  inclusion:   generate ${ms(incGen)} (${(incGen / unit).toFixed(0)}× baseline), verify ${ms(incVer)} (${(incVer / unit).toFixed(0)}×)`,
  );
  console.log(
    `  consistency: generate ${ms(conGen)} (${(conGen / unit).toFixed(0)}×), verify ${ms(conVer)} (${(conVer / unit).toFixed(0)}×)`,
  );

  // 2. The algorithms at 10M and 100M.
  for (const size of [10_000_000, 100_000_000]) {
    const level = [leafHash(Buffer.from('event'))];
    for (let h = 1; h <= 28; h += 1) level.push(nodeHash(level[h - 1]!, level[h - 1]!));
    const nodes: NodeSource = (height) => level[height]!;
    const top = rootHash(nodes, size);
    const rr = rng(size);
    const q = Array.from({ length: QUERIES }, () => Math.floor(rr() * size));
    const qo = Array.from({ length: QUERIES }, () => 1 + Math.floor(rr() * (size - 1)));
    const inc: Uint8Array[][] = [];
    const con: Uint8Array[][] = [];
    const ig = time(QUERIES, (i) => {
      inc[i] = inclusionProof(nodes, q[i]!, size);
    });
    const iv = time(QUERIES, (i) => {
      if (!verifyInclusion(q[i]!, size, level[0]!, inc[i]!, top)) throw new Error('inclusion');
    });
    const oldRoot = qo.map((s) => rootHash(nodes, s));
    const cg = time(QUERIES, (i) => {
      con[i] = consistencyProof(nodes, qo[i]!, size);
    });
    const cv = time(QUERIES, (i) => {
      if (!verifyConsistency(qo[i]!, size, oldRoot[i]!, top, con[i]!))
        throw new Error('consistency');
    });
    const maxInc = Math.max(...inc.map((p) => p.length));
    const maxCon = Math.max(...con.map((p) => p.length));
    const json = JSON.stringify({
      index: q[0],
      size,
      hashes: inc[0]!.map((h) => Buffer.from(h).toString('base64')),
    });
    console.log(`${size.toLocaleString('en')} events:`);
    console.log(
      `  inclusion:   generate ${ms(ig)}, verify ${ms(iv)}; at most ${maxInc} hashes = ${maxInc * 32} bytes (JSON as served: ${json.length} bytes)`,
    );
    console.log(
      `  consistency: generate ${ms(cg)}, verify ${ms(cv)}; at most ${maxCon} hashes = ${maxCon * 32} bytes`,
    );
    const ok = ig <= 1 && iv <= 1 && cg <= 1 && cv <= 1;
    console.log(`  ≤ 1 ms each: ${ok ? 'yes' : 'NO'}`);
  }
}
