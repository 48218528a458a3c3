import { createHash } from 'node:crypto';
import { copyFile, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { sampleContentLanguages } from '../../gate/content-languages.ts';
import {
  closeBuildJournal,
  crashPoint,
  openBuildJournal,
  syncDir,
  syncStagedFiles,
} from '../../gate/dataset-recovery.ts';
import { commitExclusion } from '../../gate/exclusion-commitment.ts';
import {
  groupedInclusionRows,
  INCLUSIONS_HEADER,
  readInclusionFile,
} from '../../gate/inclusion-file.ts';
import { forEachLine, HashedWriter, hashFile } from '../../gate/line-files.ts';
import { type DatasetManifest, manifestText as manifestFileText } from '../../gate/manifest.ts';
import type { InclusionRow } from '../../gate/registry-port.ts';
import { commitTerms, readTermsLeaves } from '../../gate/terms-leaves.ts';
import type { RemovalRecord } from '../../store/removal-store.ts';
import type { VrfPrivateKey } from '../../transparency/rsa-fdh-vrf.ts';
import { TermsTree, termsBlind, termsValue } from '../../transparency/terms-commitment.ts';
import { writeRemovalList } from './removal-list.ts';

/** What a rebuilt version's manifest adds to the gate's: the version it replaces, and why. */
export interface RebuiltManifest extends DatasetManifest {
  removal: {
    replaces: { datasetId: string; outputSha256: string; manifestSha256: string };
    /** Removals applied (their items are not in this version). */
    removals: string[];
    removedRecords: number;
    removedItems: number;
    removalListSha256: string;
    note: string;
  };
}

export class RebuildError extends Error {
  override name = 'RebuildError';
}

export interface RebuildOptions {
  /** The sealed directory of the version to replace (as written by `veto gate build`). */
  dir: string;
  /** When given, the directory must hold this dataset. */
  datasetId?: string;
  /** Parent folder for the new version (default: the old version's parent). */
  outDir?: string;
  removals: readonly RemovalRecord[];
  /**
   * Records the new version and its inclusion index (the gate's `recordDataset`), with the
   * absolute directory it was sealed into.
   */
  record(
    manifest: DatasetManifest,
    rows: AsyncIterable<InclusionRow>,
    exclusionLeaves: Buffer | undefined,
    location: string,
    termsLeaves?: Buffer,
  ): Promise<void>;
  /**
   * The current VRF key: the new version commits its own subjects with it (`manifest.exclusion`),
   * so "is my content in this version?" has a proof like a built dataset's; without it the new
   * version has no commitment.
   */
  exclusionKey?: VrfPrivateKey | undefined;
  /**
   * The terms commitment of the new version: the replaced version's redaction carries over to
   * its records, so the new version commits, under its own id, to the same terms objections,
   * found again among the registry's (`references`: the gate's `objectorTermReferences`) by
   * their values in the replaced version. Without it, or for a version without a terms
   * commitment, the new version has none.
   */
  terms?: {
    key: Uint8Array;
    references(purpose: string, asOf: string): Promise<string[]>;
  };
  secret: string;
  now: () => string;
  /**
   * The build journal (`<data dir>/builds`): with it the new version seals in the gate's order
   * (staged and fsynced, renamed, then recorded), so a crash leaves nothing that `veto dataset
   * recover` cannot finish or undo (src/gate/dataset-recovery.ts).
   */
  journalDir?: string;
}

/** `ds_x` → `ds_x.v2`, `ds_x.v2` → `ds_x.v3`. */
export function nextVersionId(id: string): string {
  const m = /^(.*)\.v(\d+)$/.exec(id);
  return m ? `${m[1]}.v${Number(m[2]) + 1}` : `${id}.v2`;
}

/**
 * Produces the next version of a sealed dataset without the removed items, by filtering the
 * sealed output (the platform export is never read again). Rows of one record are consecutive
 * in `inclusions.tsv` and in output order (src/gate/inclusion-file.ts), so the n-th group of
 * rows is the n-th data line: a record is dropped when any of its item ids was removed. Written
 * to `.<id>.partial`, fsynced, renamed into place, then recorded in the registry, like a gate
 * build: the registry never holds a sealed version without its directory.
 */
export async function rebuildDataset(options: RebuildOptions): Promise<{
  datasetId: string;
  dir: string;
  manifest: RebuiltManifest;
}> {
  const oldDir = resolve(options.dir);
  const manifestText = await readFile(join(oldDir, 'manifest.json'), 'utf8').catch(() => {
    throw new RebuildError(`${oldDir}: no manifest.json (not a sealed dataset directory)`);
  });
  const old = JSON.parse(manifestText) as DatasetManifest;
  if (options.datasetId !== undefined && old.datasetId !== options.datasetId)
    throw new RebuildError(`${oldDir} holds dataset ${old.datasetId}, not ${options.datasetId}`);
  // A superseded version's records were deleted (supersede.ts): say so, and where to go instead.
  const superseded = await readFile(join(oldDir, 'SUPERSEDED.json'), 'utf8').then(
    (text) => JSON.parse(text) as { replacedBy: string; at: string },
    () => undefined,
  );
  if (superseded)
    throw new RebuildError(
      `${oldDir}: dataset ${old.datasetId} was superseded by ${superseded.replacedBy} on ${superseded.at} and its records deleted; rebuild ${superseded.replacedBy} instead`,
    );
  const oldData = join(oldDir, old.files.data);
  const check = await hashFile(oldData);
  if (check.sha256 !== old.output.sha256)
    throw new RebuildError(
      `${oldData}: sha256 ${check.sha256} differs from the manifest's ${old.output.sha256}; refusing to rebuild from a modified dataset`,
    );
  const removedItems = new Set<string>();
  for (const r of options.removals) {
    if (r.datasetId !== old.datasetId)
      throw new RebuildError(`removal ${r.id} is for ${r.datasetId}, not ${old.datasetId}`);
    for (const id of r.itemIds) removedItems.add(id);
  }
  const datasetId = nextVersionId(old.datasetId);
  const outDir = resolve(options.outDir ?? dirname(oldDir));
  const finalDir = join(outDir, datasetId);
  if (
    await stat(finalDir).then(
      () => true,
      () => false,
    )
  )
    throw new RebuildError(`${finalDir} already exists`);
  const staging = join(outDir, `.${datasetId}.partial`);
  // Journalled first (refused if another rebuild of this version is under way): what a crash
  // leaves is then finished or undone by recovery, never a ghost.
  const journal = options.journalDir
    ? await openBuildJournal(options.journalDir, { datasetId, staging, finalDir })
    : undefined;
  let renamed = false;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  try {
    // 1. Which records (groups of inclusion rows) hold a removed item.
    const dropped = new Set<number>();
    const oldInclusions = join(oldDir, old.files.inclusions);
    let records = 0;
    for await (const rows of groupedInclusionRows(oldInclusions)) {
      for (const { fields, record } of rows) {
        if (removedItems.has(fields[1]!)) dropped.add(record);
        records = record + 1;
      }
    }

    // 2. The data, line for line (Parquet through JSONL, as the gate writes it).
    const parquet = old.output.format === 'parquet';
    let source = oldData;
    // DuckDB loaded only for a Parquet dataset: it is a fifth of what the command loads.
    const duck = parquet ? await import('../../gate/parquet.ts') : undefined;
    if (duck) {
      source = join(staging, 'old-data.jsonl');
      await duck.parquetToJsonl(oldData, source);
    }
    const dataJsonl = join(staging, 'data.jsonl');
    const data = await HashedWriter.create(dataJsonl);
    let index = 0;
    let kept = 0;
    await forEachLine(
      source,
      (buf, start, end) => {
        if (!dropped.has(index++)) {
          data.push(buf, start, end);
          data.push(NEWLINE);
          kept++;
        }
      },
      () => data.flushIfFull(),
    );
    let dataSha256 = await data.close();
    let dataBytes = data.bytes;
    if (index !== records)
      throw new RebuildError(
        `${old.files.data} has ${index} records but ${old.files.inclusions} describes ${records}`,
      );
    // The sample is drawn again: the old version's figures describe records this one lacks.
    const languages = await sampleContentLanguages(dataJsonl, {
      records: kept,
      ...(old.mapping ? { mapping: old.mapping } : {}),
    });
    let dataFile = 'data.jsonl';
    if (duck) {
      await rm(source);
      dataFile = 'data.parquet';
      // Nothing left: an empty file with the replaced dataset's columns.
      if (kept > 0) await duck.jsonlToParquet(dataJsonl, join(staging, dataFile));
      else await duck.emptyParquetLike(oldData, join(staging, dataFile));
      await rm(dataJsonl);
      ({ sha256: dataSha256, bytes: dataBytes } = await hashFile(join(staging, dataFile)));
    }

    // 3. The inclusion index minus the dropped records.
    const inclusionsPath = join(staging, 'inclusions.tsv');
    const inclusions = await HashedWriter.create(inclusionsPath, { hash: false });
    inclusions.pushString(INCLUSIONS_HEADER);
    for await (const rows of groupedInclusionRows(oldInclusions)) {
      let out = '';
      for (const { line, record } of rows) if (!dropped.has(record)) out += `${line}\n`;
      inclusions.pushString(out);
      await inclusions.flushIfFull();
    }
    await inclusions.close();

    // 4. The rest: the policy, decisions and rejects of the replaced build, and the removal list.
    for (const f of [old.files.policy, old.files.decisions, old.files.rejects])
      await copyFile(join(oldDir, f), join(staging, f));
    const list = await writeRemovalList(
      staging,
      old.datasetId,
      options.removals,
      options.secret,
      options.now(),
    );

    // The replaced version's exclusion commitment names its own subjects and id: never carried
    // over. The new version commits to its own (fewer) subjects when the key is given.
    const { exclusion: _replacedCommitment, terms: _replacedTerms, ...carried } = old;
    const exclusion = options.exclusionKey
      ? await commitExclusion(options.exclusionKey, datasetId, inclusionsPath, staging)
      : undefined;
    // Its terms commitment too is the replaced version's own: the same objections are committed
    // again under the new id (their values differ from one dataset to the next).
    const terms =
      old.terms && options.terms
        ? await commitTerms(
            options.terms.key,
            datasetId,
            await appliedTermReferences(oldDir, old, options.terms),
            staging,
          )
        : undefined;
    const manifest: RebuiltManifest = {
      ...carried,
      ...(exclusion ? { exclusion: exclusion.field } : {}),
      ...(terms ? { terms: terms.field } : {}),
      datasetId,
      output: {
        file: dataFile,
        format: dataFile.endsWith('.parquet') ? 'parquet' : 'jsonl',
        bytes: dataBytes,
        sha256: dataSha256,
        records: kept,
      },
      languages,
      counts: { ...old.counts, kept, objected: old.counts.objected + (old.output.records - kept) },
      files: { ...old.files, data: dataFile },
      startedAt: options.now(),
      finishedAt: options.now(),
      removal: {
        replaces: {
          datasetId: old.datasetId,
          outputSha256: old.output.sha256,
          manifestSha256: createHash('sha256').update(manifestText).digest('hex'),
        },
        removals: options.removals.map((r) => r.id),
        removedRecords: old.output.records - kept,
        removedItems: removedItems.size,
        removalListSha256: list.sha256,
        note: 'built by filtering the replaced version (the platform export was not read again); decisions.tsv and rejects.jsonl are those of the replaced build, removals.jsonl lists what was removed since',
      },
    };
    const mf = await open(join(staging, 'manifest.json'), 'wx');
    await mf.writeFile(manifestFileText(manifest));
    await mf.sync();
    await mf.close();

    await syncStagedFiles(staging);
    crashPoint('staged');
    await rename(staging, finalDir);
    renamed = true;
    await syncDir(outDir);
    crashPoint('renamed');
    await options.record(
      manifest,
      readInclusionFile(join(finalDir, 'inclusions.tsv'), datasetId),
      exclusion?.leaves,
      finalDir,
      terms?.leaves,
    );
    crashPoint('recorded');
    await closeBuildJournal(journal);
    return { datasetId, dir: finalDir, manifest };
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    // Renamed but not recorded: a version the registry does not know is one no removal reaches.
    if (renamed) await rm(finalDir, { recursive: true, force: true });
    await closeBuildJournal(journal);
    throw err;
  }
}

const NEWLINE = Buffer.from('\n');

/**
 * The receipt references of the terms objections a sealed version applied: the registry's terms
 * objections at its cut-off whose values (under the version's id) its `terms-leaves.bin` holds.
 * Every value must be found: a terms objection the registry no longer answers for would be
 * dropped from the new version's commitment silently, so the rebuild stops instead.
 */
async function appliedTermReferences(
  dir: string,
  manifest: DatasetManifest,
  terms: NonNullable<RebuildOptions['terms']>,
): Promise<string[]> {
  const leaves = await readTermsLeaves(dir, manifest).catch((err: Error) => {
    throw new RebuildError(`${dir}: terms commitment: ${err.message}`);
  });
  const tree = new TermsTree(manifest.datasetId, leaves!);
  const candidates = await terms.references(manifest.purpose, manifest.snapshot.asOf);
  const applied = candidates.filter(
    (ref) =>
      tree.indexOf(
        termsValue(manifest.datasetId, ref, termsBlind(terms.key, manifest.datasetId, ref)),
      ) >= 0,
  );
  if (applied.length !== tree.count)
    throw new RebuildError(
      `${dir}: the replaced version applied ${tree.count} terms objections, the registry answers for ${applied.length} of them (another deployment secret, or objections missing): refusing to commit fewer`,
    );
  return applied;
}
