import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type ExclusionCommitment,
  ExclusionTree,
  exclusionLeavesInParallel,
} from '../transparency/dataset-exclusion.ts';
import type { VrfPrivateKey } from '../transparency/rsa-fdh-vrf.ts';
import { textLines } from './line-files.ts';
import type { DatasetManifest } from './manifest.ts';

/** The file of a dataset directory holding its sorted VRF outputs (`count` × 32 octets). */
export const EXCLUSION_LEAVES_FILE = 'exclusion-leaves.bin';

/**
 * The exclusion commitment of a staged dataset (docs/transparency.md "Am I in this dataset? A
 * proof"): every subject key of its final inclusion index (authors and people mentioned) through
 * the VRF, sorted and deduplicated, written to `exclusion-leaves.bin`, and the tree's root.
 */
export async function commitExclusion(
  key: VrfPrivateKey,
  datasetId: string,
  inclusionsFile: string,
  stagingDir: string,
): Promise<{ field: NonNullable<DatasetManifest['exclusion']>; leaves: Buffer }> {
  const subjects = new Set<string>();
  let header = true;
  for await (const lines of textLines(inclusionsFile)) {
    for (const line of lines) {
      if (header) {
        header = false;
        continue;
      }
      const tab = line.indexOf('\t');
      if (tab > 0) subjects.add(line.slice(0, tab));
    }
  }
  const leaves = await exclusionLeavesInParallel(key, datasetId, subjects);
  const commitment: ExclusionCommitment = new ExclusionTree(datasetId, leaves).commitment(
    key.public.keyId,
  );
  await writeFile(join(stagingDir, EXCLUSION_LEAVES_FILE), leaves);
  return {
    field: {
      ...commitment,
      file: EXCLUSION_LEAVES_FILE,
      sha256: createHash('sha256').update(leaves).digest('hex'),
    },
    leaves,
  };
}

/**
 * A sealed directory's exclusion leaves, checked against its manifest (hash, count, root), for
 * recording it again (recovery, `veto dataset register`); undefined when it has no commitment.
 */
export async function readExclusionLeaves(
  dir: string,
  manifest: DatasetManifest,
): Promise<Buffer | undefined> {
  const e = manifest.exclusion;
  if (!e) return undefined;
  const leaves = await readFile(join(dir, e.file));
  if (createHash('sha256').update(leaves).digest('hex') !== e.sha256)
    throw new Error(`${e.file}: its sha256 differs from the manifest's`);
  const tree = new ExclusionTree(manifest.datasetId, leaves);
  if (tree.count !== e.count || tree.commitment(e.keyId).root !== e.root)
    throw new Error(`${e.file}: its leaves do not give the manifest's root and count`);
  return leaves;
}
