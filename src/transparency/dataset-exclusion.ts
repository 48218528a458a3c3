import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { z } from 'zod';
import { withWorkers } from '../lib/ts-worker.ts';
import { hex, parseCanonicalProof } from './canonical-proof.ts';
import { EMPTY_ROOT, leafHash, verifyInclusion } from './merkle.ts';
import {
  i2osp,
  VRF_SUITE,
  type VrfPrivateKey,
  type VrfPublicKey,
  vrfProofToHash,
  vrfProve,
  vrfVerify,
} from './rsa-fdh-vrf.ts';
import { SortedLeafTree } from './sorted-leaf-tree.ts';

/**
 * Proof of exclusion per dataset (docs/transparency.md "Am I in this dataset? A proof"): a
 * commitment to who is in a sealed dataset that lets one person learn, and check, whether their
 * own key is in it, and nothing about anyone else.
 *
 * Each subject key of the dataset's inclusion index goes through the deployment's VRF
 * (RSA-FDH-VRF-SHA256, RFC 9381 §4) with the dataset id in its input; the outputs (beta, 32
 * octets) are sorted, deduplicated, and committed to by an RFC 9162 Merkle tree whose leaves also
 * carry the dataset id. A person's proof is the VRF proof for their key, which fixes their beta,
 * and either that beta's leaf (in) or the two adjacent leaves around where it would sit (not in):
 * the sorted-tree non-membership of certificate revocation trees, with the keys hidden behind a
 * VRF as CONIKS does.
 */
export const EXCLUSION_FORMAT = 'veto-exclusion/v1';
export const EXCLUSION_PROOF_FORMAT = 'veto-exclusion-proof/v1';
const ALPHA_TAG = Buffer.from('veto-exclusion/v1 alpha\0', 'utf8');
const LEAF_TAG = Buffer.from('veto-exclusion/v1 leaf\0', 'utf8');

/** What a manifest and the store record of a dataset's commitment. */
export interface ExclusionCommitment {
  format: typeof EXCLUSION_FORMAT;
  suite: typeof VRF_SUITE;
  /** The VRF key's id: hex SHA-256 of its SubjectPublicKeyInfo (GET /v1/transparency/exclusion-key). */
  keyId: string;
  /** How many distinct subject keys the dataset holds. */
  count: number;
  /** Hex RFC 9162 root over the sorted leaves (the empty tree's root when nobody is in it). */
  treeRoot: string;
  /**
   * The commitment: hex SHA-256 over a tag, the dataset id, the count and the tree root. An
   * inclusion proof alone does not fix the tree's size (leaf 2 climbs the same way in trees of 6
   * and 7), so the count is bound here: it cannot be edited without changing this value.
   */
  root: string;
}

const ROOT_TAG = Buffer.from('veto-exclusion/v1 root\0', 'utf8');

/** The committed root: the dataset id, subject count and tree root, hashed together. */
export function commitmentRoot(datasetId: string, count: number, treeRoot: Uint8Array): Buffer {
  return createHash('sha256')
    .update(ROOT_TAG)
    .update(lengthPrefixed(datasetId))
    .update(i2osp(BigInt(count), 8))
    .update(treeRoot)
    .digest();
}

function lengthPrefixed(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  return Buffer.concat([i2osp(BigInt(bytes.length), 4), bytes]);
}

/** The VRF input for a subject key in a dataset: the dataset id makes betas unlinkable across datasets. */
export function exclusionAlpha(datasetId: string, subjectKey: string): Buffer {
  return Buffer.concat([ALPHA_TAG, lengthPrefixed(datasetId), Buffer.from(subjectKey, 'utf8')]);
}

/** A leaf's data: the dataset id and a beta, so a leaf proves nothing about another dataset. */
export function exclusionLeafData(datasetId: string, beta: Uint8Array): Buffer {
  return Buffer.concat([LEAF_TAG, lengthPrefixed(datasetId), beta]);
}

/**
 * {@link exclusionLeaves} on worker threads: one RSA private-key operation per subject is the
 * whole cost of a commitment (about 3,200 a second on one core of the 2-core development machine,
 * measured quiet), and the operations are independent, so large sets are shared out over
 * `threads` workers (each gets the key once). Small sets stay on this thread: a worker's start
 * costs more than it saves below a few thousand subjects.
 */
export async function exclusionLeavesInParallel(
  key: VrfPrivateKey,
  datasetId: string,
  subjectKeys: Iterable<string>,
  threads = Math.max(1, availableParallelism()),
  /** A bundle of the worker to use instead of building one (tests). */
  bundled?: URL,
): Promise<Buffer> {
  const subjects = [...new Set(subjectKeys)];
  if (threads < 2 || subjects.length < PARALLEL_FROM)
    return exclusionLeaves(key, datasetId, subjects);
  const pem = key.key.export({ type: 'pkcs8', format: 'pem' }).toString();
  // From a bundle of the worker's code (src/lib/ts-worker.ts says why): 5,000 subjects on two
  // threads took 1.57-1.61 s and 2.9 CPU-s through tsx, 1.17-1.26 s and 2.0-2.2 bundled.
  return withWorkers(
    new URL('./vrf-worker.ts', import.meta.url),
    { workerData: { pem } },
    (start) => leavesOnWorkers(datasetId, subjects, threads, start),
    bundled,
  );
}

/** The betas of `subjects`, computed on workers made by `start` (each given the key at its start). */
async function leavesOnWorkers(
  datasetId: string,
  subjects: string[],
  threads: number,
  start: () => Worker,
): Promise<Buffer> {
  const workers = Array.from({ length: Math.min(threads, 8) }, start);
  try {
    const betas: Buffer[] = new Array(subjects.length);
    let next = 0;
    await Promise.all(
      workers.map(async (worker) => {
        for (;;) {
          const start = next;
          if (start >= subjects.length) return;
          next = Math.min(subjects.length, start + PARALLEL_CHUNK);
          const chunk = subjects.slice(start, next);
          const out = await new Promise<Buffer>((resolve, reject) => {
            const onError = (err: Error) => done(err);
            const onExit = (code: number) => done(new Error(`a VRF worker exited (${code})`));
            const onMessage = (m: Uint8Array) =>
              done(undefined, Buffer.from(m.buffer, m.byteOffset, m.byteLength));
            function done(err?: Error, value?: Buffer) {
              worker.off('error', onError).off('exit', onExit).off('message', onMessage);
              if (err) reject(err);
              else resolve(value!);
            }
            worker.on('error', onError).on('exit', onExit).on('message', onMessage);
            worker.postMessage({ datasetId, subjects: chunk });
          });
          if (out.length !== chunk.length * 32)
            throw new Error(
              `a VRF worker returned ${out.length} octets for ${chunk.length} subjects`,
            );
          for (let i = 0; i < chunk.length; i++)
            betas[start + i] = out.subarray(i * 32, i * 32 + 32);
        }
      }),
    );
    return sortedUnique(betas);
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

const PARALLEL_FROM = 4096;
const PARALLEL_CHUNK = 1024;

function sortedUnique(betas: Buffer[]): Buffer {
  betas.sort(Buffer.compare);
  const unique = betas.filter((b, i) => i === 0 || !b.equals(betas[i - 1]!));
  return Buffer.concat(unique);
}

/** A dataset's betas, sorted and deduplicated, as one buffer of `count` × 32 octets. */
export function exclusionLeaves(
  key: VrfPrivateKey,
  datasetId: string,
  subjectKeys: Iterable<string>,
): Buffer {
  const betas: Buffer[] = [];
  for (const subject of new Set(subjectKeys)) {
    betas.push(vrfProofToHash(vrfProve(key, exclusionAlpha(datasetId, subject))));
  }
  return sortedUnique(betas);
}

/** The tree over a dataset's VRF outputs (its leaves' betas). */
export class ExclusionTree extends SortedLeafTree {
  constructor(datasetId: string, leaves: Buffer) {
    super(datasetId, leaves, 'exclusion leaves', exclusionLeafData);
  }

  beta(index: number): Buffer {
    return this.value(index);
  }

  commitment(keyId: string): ExclusionCommitment {
    const treeRoot = this.root();
    return {
      format: EXCLUSION_FORMAT,
      suite: VRF_SUITE,
      keyId,
      count: this.count,
      treeRoot: treeRoot.toString('hex'),
      root: commitmentRoot(this.datasetId, this.count, treeRoot).toString('hex'),
    };
  }

  leafProof(index: number): LeafProof {
    return {
      index,
      beta: this.beta(index).toString('hex'),
      inclusion: this.inclusion(index),
    };
  }
}

const leafProofSchema = z
  .object({
    index: z.number().int().nonnegative(),
    beta: hex(32),
    inclusion: z.array(hex(32)).max(64),
  })
  .strict();
export type LeafProof = z.infer<typeof leafProofSchema>;

/**
 * A person's proof (`veto-exclusion-proof/v1`). The fields are in the order the canonical text
 * writes them: a verifier accepts only that exact text, so no byte of a proof can change without
 * its check failing.
 */
export const exclusionProofSchema = z
  .object({
    format: z.literal(EXCLUSION_PROOF_FORMAT),
    datasetId: z.string().min(1),
    subjectKey: z.string().min(1),
    result: z.enum(['included', 'not-included']),
    commitment: z
      .object({
        format: z.literal(EXCLUSION_FORMAT),
        suite: z.literal(VRF_SUITE),
        keyId: hex(32),
        count: z.number().int().nonnegative(),
        treeRoot: hex(32),
        root: hex(32),
      })
      .strict(),
    vrfProof: z.string().regex(/^([0-9a-f]{2})+$/, 'lowercase hex'),
    /** `included`: the person's leaf. */
    leaf: leafProofSchema.nullable(),
    /** `not-included`: the nearest leaves below and above the person's beta (null at an edge). */
    below: leafProofSchema.nullable(),
    above: leafProofSchema.nullable(),
  })
  .strict();
export type ExclusionProof = z.infer<typeof exclusionProofSchema>;

/** The one text of a proof: JSON with its fields in schema order, two-space indent, final newline. */
export function exclusionProofText(p: ExclusionProof): string {
  const leaf = (l: LeafProof | null) =>
    l && { index: l.index, beta: l.beta, inclusion: [...l.inclusion] };
  const ordered = {
    format: p.format,
    datasetId: p.datasetId,
    subjectKey: p.subjectKey,
    result: p.result,
    commitment: {
      format: p.commitment.format,
      suite: p.commitment.suite,
      keyId: p.commitment.keyId,
      count: p.commitment.count,
      treeRoot: p.commitment.treeRoot,
      root: p.commitment.root,
    },
    vrfProof: p.vrfProof,
    leaf: leaf(p.leaf),
    below: leaf(p.below),
    above: leaf(p.above),
  };
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

/** The proof for `subjectKey` against a dataset's tree, made with the VRF key that built it. */
export function exclusionProof(
  key: VrfPrivateKey,
  tree: ExclusionTree,
  subjectKey: string,
): ExclusionProof {
  const pi = vrfProve(key, exclusionAlpha(tree.datasetId, subjectKey));
  const beta = vrfProofToHash(pi);
  const at = tree.lowerBound(beta);
  const found = at < tree.count && tree.beta(at).equals(beta);
  return {
    format: EXCLUSION_PROOF_FORMAT,
    datasetId: tree.datasetId,
    subjectKey,
    result: found ? 'included' : 'not-included',
    commitment: tree.commitment(key.public.keyId),
    vrfProof: pi.toString('hex'),
    leaf: found ? tree.leafProof(at) : null,
    below: !found && at > 0 ? tree.leafProof(at - 1) : null,
    above: !found && at < tree.count ? tree.leafProof(at) : null,
  };
}

export interface ExclusionCheck {
  ok: boolean;
  /** Set when `ok`: what the proof shows. */
  result?: ExclusionProof['result'];
  /** What was checked, or why it failed, in words. */
  lines: string[];
}

function fail(lines: string[], why: string): ExclusionCheck {
  return { ok: false, lines: [...lines, why] };
}

function leafHolds(p: ExclusionProof, l: LeafProof, root: Buffer): boolean {
  return verifyInclusion(
    l.index,
    p.commitment.count,
    leafHash(exclusionLeafData(p.datasetId, Buffer.from(l.beta, 'hex'))),
    l.inclusion.map((h) => Buffer.from(h, 'hex')),
    root,
  );
}

/**
 * Checks a proof file's text with the deployment's VRF public key, and, when `expected` is
 * given (a manifest's `exclusion`, or the published commitment), that the proof is against that
 * commitment. Fails closed: any field out of place, any byte off the canonical text, fails.
 */
export function verifyExclusionProof(
  text: string,
  key: VrfPublicKey,
  expected?: { datasetId: string; commitment: ExclusionCommitment },
): ExclusionCheck {
  const read = parseCanonicalProof(
    text,
    exclusionProofSchema,
    exclusionProofText,
    'an exclusion proof',
  );
  if (!read.ok) return fail([], read.why);
  const p = read.proof;
  const lines: string[] = [];
  const treeRoot = Buffer.from(p.commitment.treeRoot, 'hex');
  const count = p.commitment.count;
  if (!Number.isSafeInteger(count)) return fail(lines, 'commitment: the count is not an integer');
  if (commitmentRoot(p.datasetId, count, treeRoot).toString('hex') !== p.commitment.root)
    return fail(lines, 'commitment: its root does not bind this dataset, count and tree root');
  if (p.commitment.keyId !== key.keyId)
    return fail(
      lines,
      `VRF key: the proof names key ${p.commitment.keyId}, not the key given (${key.keyId})`,
    );
  if (expected) {
    if (expected.datasetId !== p.datasetId)
      return fail(lines, `dataset: the proof is for ${p.datasetId}, not ${expected.datasetId}`);
    const e = expected.commitment;
    if (
      e.root !== p.commitment.root ||
      e.count !== p.commitment.count ||
      e.keyId !== p.commitment.keyId
    )
      return fail(lines, "commitment: the proof's root, count or key differs from the dataset's");
    lines.push(`commitment matches the dataset's (root ${e.root}, ${e.count} subjects)`);
  }
  const beta = vrfVerify(
    key,
    exclusionAlpha(p.datasetId, p.subjectKey),
    Buffer.from(p.vrfProof, 'hex'),
  );
  if (!beta)
    return fail(
      lines,
      `VRF proof: not the proof for ${p.subjectKey} in dataset ${p.datasetId} under this key`,
    );
  lines.push(
    `VRF proof valid: ${p.subjectKey} maps to ${beta.toString('hex')} in dataset ${p.datasetId}`,
  );
  const root = treeRoot;
  if (p.result === 'included') {
    if (!p.leaf || p.below || p.above)
      return fail(lines, 'an inclusion proof carries exactly its leaf');
    if (p.leaf.beta !== beta.toString('hex')) return fail(lines, "leaf: not the person's value");
    if (!leafHolds(p, p.leaf, root))
      return fail(lines, `leaf ${p.leaf.index}: not in the tree of ${count} with this root`);
    lines.push(`IN the dataset: leaf ${p.leaf.index} of ${count}`);
    return { ok: true, result: 'included', lines };
  }
  if (p.leaf) return fail(lines, 'a proof of absence carries no leaf of its own');
  if (count === 0) {
    if (p.below || p.above) return fail(lines, 'an empty dataset has no neighbours');
    if (!root.equals(EMPTY_ROOT)) return fail(lines, 'root: not the root of an empty tree');
    lines.push('NOT in the dataset: it holds nobody (empty tree)');
    return { ok: true, result: 'not-included', lines };
  }
  const { below, above } = p;
  if (!below && !above) return fail(lines, 'a proof of absence needs a neighbour');
  if (below) {
    if (Buffer.compare(Buffer.from(below.beta, 'hex'), beta) >= 0)
      return fail(lines, "below: its value is not smaller than the person's");
    if (!leafHolds(p, below, root))
      return fail(
        lines,
        `below: leaf ${below.index} is not in the tree of ${count} with this root`,
      );
  }
  if (above) {
    if (Buffer.compare(Buffer.from(above.beta, 'hex'), beta) <= 0)
      return fail(lines, "above: its value is not larger than the person's");
    if (!leafHolds(p, above, root))
      return fail(
        lines,
        `above: leaf ${above.index} is not in the tree of ${count} with this root`,
      );
  }
  if (below && above && above.index !== below.index + 1)
    return fail(lines, 'neighbours: the two leaves are not adjacent');
  if (below && !above && below.index !== count - 1)
    return fail(lines, 'neighbours: no leaf above, but the one below is not the last');
  if (above && !below && above.index !== 0)
    return fail(lines, 'neighbours: no leaf below, but the one above is not the first');
  lines.push(
    `NOT in the dataset: its value falls ${
      below && above
        ? `between leaves ${below.index} and ${above.index}`
        : below
          ? `after the last leaf (${below.index})`
          : 'before the first leaf (0)'
    } of ${count}`,
  );
  return { ok: true, result: 'not-included', lines };
}
