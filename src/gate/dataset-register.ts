import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { subjectKeyProblem } from '../registry-files/subject-keys.ts';
import type { ObjectorSource } from './build.ts';
import {
  type RegistryRecords,
  type VerifyRegistry,
  type VerifyReport,
  verifyDataset,
} from './dataset-verify.ts';
import { readExclusionLeaves } from './exclusion-commitment.ts';
import { textLines } from './line-files.ts';
import { type DatasetManifest, manifestText } from './manifest.ts';
import { type NamedAccount, NamedSubjectFinder, readNamesFile } from './named-subjects.ts';
import { loadPolicy } from './policy.ts';
import { getterFor } from './record-fields.ts';
import type { GateRegistry, InclusionRow } from './registry-port.ts';
import { readTermsLeaves } from './terms-leaves.ts';

/**
 * `veto dataset register DIR`: records a dataset built with `gate build --offline` in the
 * registry (the dataset and its inclusion index), so that later objections plan removals for it
 * and "Am I in the dataset?" finds it, as for a dataset the gate recorded itself.
 *
 * Only a dataset that `veto dataset verify` passes against this registry is recorded: its own
 * objector set at the cut-off, objections received since (those after the cut-off are removals
 * due, which the removal planner records once the dataset is in), the notice period and the
 * third parties' terms. The inclusion index is read from the data itself, never from the
 * directory's `inclusions.tsv`: an index with rows left out would hide people from removals.
 */
export type RegisterResult =
  | { status: 'registered'; datasetId: string; rows: number; report: VerifyReport }
  | { status: 'already registered'; datasetId: string; report: VerifyReport }
  | { status: 'refused'; datasetId: string; why: string; report: VerifyReport };

export async function registerDataset(options: {
  dir: string;
  registry: VerifyRegistry & Pick<GateRegistry, 'recordDataset'>;
  records: RegistryRecords;
  objectors?: ObjectorSource;
}): Promise<RegisterResult> {
  const report = await verifyDataset({
    dir: options.dir,
    registry: options.registry,
    records: options.records,
    ...(options.objectors ? { objectors: options.objectors } : {}),
  });
  const datasetId = report.datasetId;
  if (!report.ok) {
    return { status: 'refused', datasetId, why: 'it fails veto dataset verify', report };
  }
  const manifestBytes = await readFile(join(options.dir, 'manifest.json'));
  const manifest = JSON.parse(manifestBytes.toString('utf8')) as DatasetManifest;
  const existing = await options.records.datasetManifest(datasetId);
  if (existing) {
    // Verify compared the two and passed: the registry already holds this very dataset.
    return { status: 'already registered', datasetId, report };
  }
  // The log's `dataset.sealed` event names the manifest by the hash of the bytes the gate
  // writes: a file laid out otherwise (reformatted by hand) would never verify again.
  if (!manifestBytes.equals(Buffer.from(manifestText(manifest)))) {
    return {
      status: 'refused',
      datasetId,
      why: 'manifest.json is not laid out as the gate writes it (it was reformatted): restore the file the build wrote',
      report,
    };
  }
  if (manifest.output.format !== 'jsonl') {
    return {
      status: 'refused',
      datasetId,
      why: 'only a JSONL dataset can be registered (convert with veto dataset import)',
      report,
    };
  }
  let rows = 0;
  const counted = async function* (): AsyncGenerator<InclusionRow> {
    for await (const row of inclusionRowsOf(options.dir, manifest)) {
      rows++;
      yield row;
    }
  };
  await options.registry.recordDataset(
    manifest,
    counted(),
    await readExclusionLeaves(options.dir, manifest),
    resolve(options.dir),
    await readTermsLeaves(options.dir, manifest),
  );
  return { status: 'registered', datasetId, rows, report };
}

/**
 * The inclusion index of a dataset, from its data: per kept record its author, then every other
 * subject it mentions or names (the names file sealed with it, the policy's profile links), as
 * the gate writes them.
 */
export async function* inclusionRowsOf(
  dir: string,
  manifest: DatasetManifest,
): AsyncGenerator<InclusionRow> {
  const policy = (await loadPolicy(join(dir, manifest.files.policy))).policy;
  const mapping = manifest.mapping ?? {};
  const get = {
    id: getterFor(mapping, 'id'),
    author: getterFor(mapping, 'author_id'),
    mentions: getterFor(mapping, 'mentions'),
    text: getterFor(mapping, 'text'),
  };
  let accounts: NamedAccount[] = [];
  if (manifest.names) accounts = (await readNamesFile(join(dir, manifest.names.file))).accounts;
  const finder = new NamedSubjectFinder(accounts, policy.objections.profileUrls);
  const datasetId = manifest.datasetId;
  for await (const lines of textLines(join(dir, manifest.output.file))) {
    for (const line of lines) {
      if (line === '') continue;
      // Verify has passed: every line is a JSON object with an id and an author.
      const r = JSON.parse(line) as Record<string, unknown>;
      const itemId = String(get.id(r));
      const author = `acct:${String(get.author(r))}`;
      yield { datasetId, subjectKey: author, itemId, role: 'author' };
      const others = new Set<string>();
      const mentions = get.mentions(r);
      if (Array.isArray(mentions)) {
        for (const m of mentions) {
          const s = String(m);
          others.add(s.startsWith('acct:') || s.startsWith('email:') ? s : `acct:${s}`);
        }
      }
      if (finder.active) {
        for (const key of finder.find(String(get.text(r))) ?? [])
          if (!subjectKeyProblem(key)) others.add(key);
      }
      others.delete(author);
      for (const subjectKey of others) yield { datasetId, subjectKey, itemId, role: 'mention' };
    }
  }
}
