import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  TERMS_LEAVES_FILE,
  type TermsCommitment,
  TermsTree,
  termsLeaves,
} from '../transparency/terms-commitment.ts';
import type { DatasetManifest } from './manifest.ts';

/**
 * The terms commitment of a staged dataset (docs/transparency.md "Terms objections applied"):
 * the receipt references of the terms objections its redaction step applied, each through the
 * deployment's terms key, sorted and deduplicated, written to `terms-leaves.bin`, and the tree's
 * root. Never the references themselves: the dataset travels to recipients.
 */
export async function commitTerms(
  key: Uint8Array,
  datasetId: string,
  references: readonly string[],
  stagingDir: string,
): Promise<{ field: NonNullable<DatasetManifest['terms']>; leaves: Buffer }> {
  const leaves = termsLeaves(key, datasetId, references);
  const commitment: TermsCommitment = new TermsTree(datasetId, leaves).commitment();
  await writeFile(join(stagingDir, TERMS_LEAVES_FILE), leaves);
  return {
    field: {
      ...commitment,
      file: TERMS_LEAVES_FILE,
      sha256: createHash('sha256').update(leaves).digest('hex'),
    },
    leaves,
  };
}

/**
 * A sealed directory's terms leaves, checked against its manifest (hash, count, root), for
 * recording it again (recovery, `veto dataset register`) or rebuilding from it; undefined when
 * it has no terms commitment.
 */
export async function readTermsLeaves(
  dir: string,
  manifest: DatasetManifest,
): Promise<Buffer | undefined> {
  const t = manifest.terms;
  if (!t) return undefined;
  const leaves = await readFile(join(dir, t.file));
  if (createHash('sha256').update(leaves).digest('hex') !== t.sha256)
    throw new Error(`${t.file}: its sha256 differs from the manifest's`);
  const tree = new TermsTree(manifest.datasetId, leaves);
  const c = tree.commitment();
  if (c.count !== t.count || c.root !== t.root)
    throw new Error(`${t.file}: its leaves do not give the manifest's root and count`);
  return leaves;
}
