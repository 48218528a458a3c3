import { createHash, createHmac } from 'node:crypto';
import { z } from 'zod';
import { hex, parseCanonicalProof } from './canonical-proof.ts';
import { EMPTY_ROOT, HASH_SIZE, leafHash, verifyInclusion } from './merkle.ts';
import { i2osp } from './rsa-fdh-vrf.ts';
import { SortedLeafTree } from './sorted-leaf-tree.ts';

/**
 * The terms commitment of a dataset (docs/transparency.md "Terms objections applied: a proof for
 * people without an account"). People without an account object by giving the names, handles
 * and links under which they appear (their terms); the gate redacts those terms from every kept
 * record. A dataset built with the registry commits to WHICH terms objections its redaction step
 * applied, so that such a person can check, from their receipt, that theirs was one of them.
 *
 * Each applied objection's receipt reference becomes a keyed value: a blind, HMAC-SHA-256 under
 * the deployment's terms key of the dataset id and the reference, then SHA-256 of a tag, the
 * dataset id, the reference and the blind. The values are sorted, deduplicated and committed by
 * an RFC 9162 Merkle tree whose leaves, like its root, carry the dataset id. A person's proof
 * gives them their blind, so they can recompute their value and climb its inclusion proof to
 * the root; without the blind nobody can tell whose values they are, and the same reference
 * gives unrelated values in two datasets.
 */
export const TERMS_FORMAT = 'veto-terms/v1';
export const TERMS_PROOF_FORMAT = 'veto-terms-proof/v1';
/** The file of a dataset directory holding its sorted values (`count` × 32 octets). */
export const TERMS_LEAVES_FILE = 'terms-leaves.bin';

const KEY_TAG = 'veto-terms/v1 key';
const BLIND_TAG = Buffer.from('veto-terms/v1 blind\0', 'utf8');
const VALUE_TAG = Buffer.from('veto-terms/v1 value\0', 'utf8');
const LEAF_TAG = Buffer.from('veto-terms/v1 leaf\0', 'utf8');
const ROOT_TAG = Buffer.from('veto-terms/v1 root\0', 'utf8');

/** What a manifest and the registry record of a dataset's terms commitment. */
export interface TermsCommitment {
  format: typeof TERMS_FORMAT;
  /** How many terms objections the build applied. */
  count: number;
  /** Hex RFC 9162 root over the sorted leaves (the empty tree's root when there were none). */
  treeRoot: string;
  /** Hex SHA-256 over a tag, the dataset id, the count and the tree root: the commitment. */
  root: string;
}

function lengthPrefixed(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  return Buffer.concat([i2osp(BigInt(bytes.length), 4), bytes]);
}

/** The deployment's terms key, derived from its secret (VETO_SECRET): never written anywhere. */
export function termsKey(secret: string): Buffer {
  return createHmac('sha256', secret).update(KEY_TAG).digest();
}

/** A reference's blind in a dataset: what its proof hands the person, and nobody else. */
export function termsBlind(key: Uint8Array, datasetId: string, reference: string): Buffer {
  return createHmac('sha256', key)
    .update(BLIND_TAG)
    .update(lengthPrefixed(datasetId))
    .update(lengthPrefixed(reference))
    .digest();
}

/** A reference's value in a dataset: what the tree holds, recomputable from the proof. */
export function termsValue(datasetId: string, reference: string, blind: Uint8Array): Buffer {
  return createHash('sha256')
    .update(VALUE_TAG)
    .update(lengthPrefixed(datasetId))
    .update(lengthPrefixed(reference))
    .update(blind)
    .digest();
}

function termsLeafData(datasetId: string, value: Uint8Array): Buffer {
  return Buffer.concat([LEAF_TAG, lengthPrefixed(datasetId), value]);
}

/** The committed root: the dataset id, count and tree root hashed together. */
export function termsCommitmentRoot(
  datasetId: string,
  count: number,
  treeRoot: Uint8Array,
): Buffer {
  return createHash('sha256')
    .update(ROOT_TAG)
    .update(lengthPrefixed(datasetId))
    .update(i2osp(BigInt(count), 8))
    .update(treeRoot)
    .digest();
}

/** A dataset's values for these references, sorted and deduplicated (`count` × 32 octets). */
export function termsLeaves(
  key: Uint8Array,
  datasetId: string,
  references: Iterable<string>,
): Buffer {
  const values = [...new Set(references)].map((ref) =>
    termsValue(datasetId, ref, termsBlind(key, datasetId, ref)),
  );
  values.sort(Buffer.compare);
  return Buffer.concat(values.filter((v, i) => i === 0 || !v.equals(values[i - 1]!)));
}

/**
 * The index of `value` in sorted leaves (`count` × 32 octets), or -1: membership without
 * building the tree (which hashes every leaf).
 */
export function sortedIndexOf(leaves: Buffer, value: Uint8Array): number {
  let lo = 0;
  let hi = leaves.length / HASH_SIZE;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = Buffer.compare(leaves.subarray(mid * HASH_SIZE, (mid + 1) * HASH_SIZE), value);
    if (c === 0) return mid;
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return -1;
}

/** The tree over a dataset's terms values. */
export class TermsTree extends SortedLeafTree {
  constructor(datasetId: string, leaves: Buffer) {
    super(datasetId, leaves, 'terms leaves', termsLeafData);
  }

  commitment(): TermsCommitment {
    const treeRoot = this.root();
    return {
      format: TERMS_FORMAT,
      count: this.count,
      treeRoot: treeRoot.toString('hex'),
      root: termsCommitmentRoot(this.datasetId, this.count, treeRoot).toString('hex'),
    };
  }

  /** The index holding `value`, or -1. */
  indexOf(value: Uint8Array): number {
    return sortedIndexOf(this.leaves, value);
  }
}

/**
 * A person's proof that their terms objection was among those a dataset's redaction applied
 * (`veto-terms-proof/v1`). Fields in the order of the canonical text, which is the only text a
 * verifier accepts.
 */
export const termsProofSchema = z
  .object({
    format: z.literal(TERMS_PROOF_FORMAT),
    datasetId: z.string().min(1),
    reference: z.string().min(1).describe("The objection's receipt reference"),
    result: z.literal('applied'),
    commitment: z
      .object({
        format: z.literal(TERMS_FORMAT),
        count: z.number().int().nonnegative(),
        treeRoot: hex(32),
        root: hex(32),
      })
      .strict(),
    blind: hex(32).describe("The reference's blind in this dataset: it makes the value"),
    leaf: z
      .object({
        index: z.number().int().nonnegative(),
        value: hex(32),
        inclusion: z.array(hex(32)).max(64),
      })
      .strict(),
  })
  .strict()
  .describe(
    "A proof that a terms objection (by its receipt reference) was among those a dataset's redaction applied",
  );
export type TermsProof = z.infer<typeof termsProofSchema>;

/** The one text of a proof: JSON in schema order, two-space indent, final newline. */
export function termsProofText(p: TermsProof): string {
  const ordered = {
    format: p.format,
    datasetId: p.datasetId,
    reference: p.reference,
    result: p.result,
    commitment: {
      format: p.commitment.format,
      count: p.commitment.count,
      treeRoot: p.commitment.treeRoot,
      root: p.commitment.root,
    },
    blind: p.blind,
    leaf: { index: p.leaf.index, value: p.leaf.value, inclusion: [...p.leaf.inclusion] },
  };
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

/**
 * The proof for `reference` against a dataset's tree, or undefined when the reference's value is
 * not in it (the objection was not among those the build applied).
 */
export function termsProof(
  key: Uint8Array,
  tree: TermsTree,
  reference: string,
): TermsProof | undefined {
  const blind = termsBlind(key, tree.datasetId, reference);
  const value = termsValue(tree.datasetId, reference, blind);
  const index = tree.indexOf(value);
  if (index < 0) return undefined;
  return {
    format: TERMS_PROOF_FORMAT,
    datasetId: tree.datasetId,
    reference,
    result: 'applied',
    commitment: tree.commitment(),
    blind: blind.toString('hex'),
    leaf: { index, value: value.toString('hex'), inclusion: tree.inclusion(index) },
  };
}

export interface TermsCheck {
  ok: boolean;
  lines: string[];
}

/**
 * Checks a terms proof's text and, when `expected` is given (a manifest's `terms`), that it is
 * against that dataset and commitment. Fails closed on any byte off the canonical text.
 */
export function verifyTermsProof(
  text: string,
  expected?: { datasetId: string; commitment: Pick<TermsCommitment, 'root' | 'count'> },
): TermsCheck {
  const fail = (lines: string[], why: string): TermsCheck => ({
    ok: false,
    lines: [...lines, why],
  });
  const read = parseCanonicalProof(text, termsProofSchema, termsProofText, 'a terms proof');
  if (!read.ok) return fail([], read.why);
  const p = read.proof;
  const lines: string[] = [];
  const treeRoot = Buffer.from(p.commitment.treeRoot, 'hex');
  const count = p.commitment.count;
  if (!Number.isSafeInteger(count)) return fail(lines, 'commitment: the count is not an integer');
  if (termsCommitmentRoot(p.datasetId, count, treeRoot).toString('hex') !== p.commitment.root)
    return fail(lines, 'commitment: its root does not bind this dataset, count and tree root');
  if (expected) {
    if (expected.datasetId !== p.datasetId)
      return fail(lines, `dataset: the proof is for ${p.datasetId}, not ${expected.datasetId}`);
    const e = expected.commitment;
    if (e.root !== p.commitment.root || e.count !== p.commitment.count)
      return fail(lines, "commitment: the proof's root or count differs from the dataset's");
    lines.push(`commitment matches the dataset's (root ${e.root}, ${e.count} terms objections)`);
  }
  if (count === 0 || treeRoot.equals(EMPTY_ROOT))
    return fail(lines, 'the dataset applied no terms objection: nothing can be in its tree');
  const value = termsValue(p.datasetId, p.reference, Buffer.from(p.blind, 'hex'));
  if (value.toString('hex') !== p.leaf.value)
    return fail(lines, `leaf: its value is not ${p.reference}'s in dataset ${p.datasetId}`);
  if (
    !verifyInclusion(
      p.leaf.index,
      count,
      leafHash(termsLeafData(p.datasetId, value)),
      p.leaf.inclusion.map((h) => Buffer.from(h, 'hex')),
      treeRoot,
    )
  )
    return fail(lines, `leaf ${p.leaf.index}: not in the tree of ${count} with this root`);
  lines.push(
    `APPLIED: the terms objection ${p.reference} is leaf ${p.leaf.index} of the ${count} terms objections dataset ${p.datasetId}'s redaction applied`,
  );
  return { ok: true, lines };
}
