import { readFileSync } from 'node:fs';
import { appendFile, copyFile, open, rename, rm, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { JudgedInputs } from './build-judging.ts';
import { type BuildPlan, OFFLINE_NOTE } from './build-plan.ts';
import type { BuildRun } from './build-run.ts';
import { sampleContentLanguages } from './content-languages.ts';
import { closeBuildJournal, crashPoint, syncDir, syncStagedFiles } from './dataset-recovery.ts';
import { formatVerifyReport, type VerifyReport, verifyDataset } from './dataset-verify.ts';
import { type DuplicateIdsOutcome, excludeDuplicateIds } from './duplicate-ids.ts';
import { commitExclusion } from './exclusion-commitment.ts';
import { readInclusionFile } from './inclusion-file.ts';
import { hashFile } from './line-files.ts';
import { type DatasetManifest, MANIFEST_FORMAT, manifestText } from './manifest.ts';
import { objectorSetFrom } from './objector-set.ts';
import { REASONS, type Reason } from './reasons.ts';
import { mappedName } from './record-fields.ts';
import { type Removal, removeSubjects } from './removal.ts';
import { commitTerms } from './terms-leaves.ts';
import { verificationOf } from './verification-outcome.ts';

/*
 * A gate build's last step: from the judged staging folder to a sealed dataset. Repeated ids,
 * the notice-period removal and the late-objection re-check change the staged files; then the
 * languages, the Parquet output, the names file, the commitments and the manifest are written,
 * `veto dataset verify` runs on exactly what is staged (a failure seals nothing), and the folder
 * is sealed in the order that cannot half-happen (dataset-recovery.ts; the crash points are the
 * fault-injection tests' step boundaries).
 */

/** The staged dataset failed `veto dataset verify`: nothing is sealed. */
export class DatasetVerifyFailed extends Error {
  override name = 'DatasetVerifyFailed';
  constructor(readonly report: VerifyReport) {
    super(`the dataset failed verification, nothing sealed:\n${formatVerifyReport(report)}`);
  }
}

const VETO_VERSION: string = (() => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  return String(pkg.version);
})();

/** The record schema's required fields (docs/gate.md), the columns of an empty Parquet output. */
const REQUIRED_FIELDS = ['id', 'author_id', 'kind', 'audience', 'created_at', 'text'] as const;

/** What a sealed build returns. */
export interface SealedDataset {
  dir: string;
  manifest: DatasetManifest;
  /** `veto dataset verify` of the staged dataset, which it passed before it was sealed. */
  verification: VerifyReport;
}

/** The staged data file as it stands after each removal: its digest, size and records. */
interface StagedData {
  sha256: string;
  bytes: number;
  records: number;
}

/** What the removals before sealing did, for the manifest. */
interface Removals {
  duplicates: DuplicateIdsOutcome;
  noticePeriod: DatasetManifest['noticePeriod'];
  recheck: DatasetManifest['recheck'];
}

/** The sealed folder's files besides the staged ones, and what the manifest says of them. */
interface SealedFiles {
  dataFile: string;
  policyFile: string;
  languages: DatasetManifest['languages'];
  names?: DatasetManifest['names'];
  exclusion?: Awaited<ReturnType<typeof commitExclusion>>;
  terms?: Awaited<ReturnType<typeof commitTerms>>;
}

/**
 * Seals the judged staging folder as `<outDir>/<datasetId>/`, recorded in the registry when
 * there is one, and closes the build journal. Throws when the dataset is not to be sealed (an
 * export without a valid record, `afterJudging` refusing, verification failing, the registry
 * failing): `buildDataset` then removes what was staged or renamed.
 */
export async function sealDataset(
  plan: BuildPlan,
  run: BuildRun,
  judging: JudgedInputs,
): Promise<SealedDataset> {
  const data = await closeStaged(plan, run, judging);
  const removals = await removeBeforeSealing(plan, run, judging, data);
  run.enter('sealing');
  const files = await writeSealedFiles(plan, judging, data);
  const manifest = datasetManifest(plan, run, judging, data, removals, files);
  const manifestFile = await open(join(plan.staging, 'manifest.json'), 'wx');
  await manifestFile.writeFile(manifestText(manifest));
  await manifestFile.sync();
  await manifestFile.close();
  const verification = await verifyStaged(plan, run);
  await sealInPlace(plan, run, manifest, files);
  run.report();
  return { dir: plan.finalDir, manifest, verification };
}

/** Refuses an export without a valid record, then closes the staged files' writers. */
async function closeStaged(
  { options }: BuildPlan,
  run: BuildRun,
  { writers, blankLines, kept }: JudgedInputs,
): Promise<StagedData> {
  const counts = run.counts;
  const judged = REASONS.reduce((n, r) => n + counts[r], 0);
  if (judged - counts.malformed === 0 && !options.allowEmpty) {
    throw new Error(
      `the export holds no valid record (${judged} malformed lines, ${blankLines} blank lines): nothing sealed; --allow-empty seals an empty dataset`,
    );
  }
  const sha256 = await writers.data.close();
  await writers.inclusions.close();
  await writers.decisions.close();
  await writers.rejects.close();
  run.writers.length = 0;
  return { sha256, bytes: writers.data.bytes, records: kept };
}

/**
 * The removals before sealing, each rewriting the staged files: repeated ids, then (after
 * `afterJudging`) the authors not shown the notice long enough and the late objections.
 */
async function removeBeforeSealing(
  plan: BuildPlan,
  run: BuildRun,
  { staged, noticeCheck, redacted, decisionIds }: JudgedInputs,
  data: StagedData,
): Promise<Removals> {
  const { options, now, policy, mapping, inputs, staging, snapshot, floor, announcedAt, shownBy } =
    plan;
  const counts = run.counts;
  // Repeated ids: later copies out, and every copy when they disagree on the author.
  const duplicates = await excludeDuplicateIds(staged, inputs, mapping, staging, decisionIds);
  if (duplicates.rejects) await appendFile(join(staging, 'rejects.jsonl'), duplicates.rejects);
  if (duplicates.removal.removed > 0) {
    const removal = duplicates.removal;
    for (const [reason, n] of Object.entries(removal.byReason) as [Reason, number][]) {
      counts[reason] += n;
      counts.kept -= n;
    }
    data.records -= removal.removed;
    data.sha256 = removal.data!.sha256;
    data.bytes = removal.data!.bytes;
  }
  await options.afterJudging?.({
    inputs: inputs.map((p) => p.path),
    decisions: staged.decisions,
    counts: { ...counts },
    redactedRecords: redacted,
  });

  // Before sealing: people not shown the notice long enough (hook), then late objections.
  const noticePeriod: DatasetManifest['noticePeriod'] = {
    checked: false,
    noticeVersion: policy.notice.version,
    minimumDays: policy.notice.minimumDays,
    floorDays: floor.days,
    floorSource: floor.source,
    ...(announcedAt !== undefined ? { announcedAt } : {}),
    removedRecords: 0,
  };
  const applyRemoval = (removal: Removal) => {
    for (const [reason, n] of Object.entries(removal.byReason) as [Reason, number][]) {
      counts[reason] += n;
      counts.kept -= n;
    }
    data.records -= removal.removed;
    if (removal.data) {
      data.sha256 = removal.data.sha256;
      data.bytes = removal.data.bytes;
    }
  };
  const registry = options.registry;
  if (registry) {
    if (!noticeCheck.fedWhileJudging) {
      await noticeCheck.check.scanFile(staged.inclusions);
    }
    const missing = await noticeCheck.check.missing();
    const removal = await removeSubjects(staged, missing, (role) =>
      role === 'author' ? 'notice-period' : undefined,
    );
    applyRemoval(removal);
    noticePeriod.checked = true;
    noticePeriod.shownBy = shownBy;
    noticePeriod.removedRecords = removal.removed;
  } else {
    // Offline: said in the manifest, like a re-check not performed, for whoever trains on it.
    noticePeriod.note = OFFLINE_NOTE;
  }

  run.enter('rechecking');
  const recheck: DatasetManifest['recheck'] = {
    performed: false,
    lateObjectors: 0,
    removedRecords: 0,
  };
  if (registry) {
    // Objections keep arriving while we remove: ask again until an answer brings nothing new.
    const handled = new Set<string>();
    for (let round = 0; round < 10; round++) {
      const late = await registry.objectorsAddedSince(policy.purpose, snapshot.asOf);
      const fresh = new Set(late.filter((k) => !handled.has(k)));
      recheck.at = now().toISOString();
      if (fresh.size === 0) break;
      for (const k of fresh) handled.add(k);
      const removal = await removeSubjects(staged, fresh, (role) =>
        role === 'author'
          ? 'objected'
          : policy.objections.coverMentions
            ? 'objected-mention'
            : undefined,
      );
      applyRemoval(removal);
      recheck.removedRecords += removal.removed;
    }
    recheck.performed = true;
    recheck.lateObjectors = handled.size;
  } else {
    recheck.note = OFFLINE_NOTE;
  }
  return { duplicates, noticePeriod, recheck };
}

/**
 * The files sealed next to the staged ones, from the JSONL as kept after every removal: the
 * Parquet output (the JSONL then goes), the policy, the names file, the commitments.
 */
async function writeSealedFiles(
  plan: BuildPlan,
  { staged }: JudgedInputs,
  data: StagedData,
): Promise<SealedFiles> {
  const { options, loaded, mapping, names, namedTerms, datasetId, staging, termReferences } = plan;
  // From the JSONL as kept, after every removal (a Parquet file is written from it next).
  const languages = await sampleContentLanguages(staged.data, { records: data.records, mapping });
  let dataFile = 'data.jsonl';
  const outputFormat = options.outputFormat ?? 'jsonl';
  if (outputFormat === 'parquet') {
    dataFile = 'data.parquet';
    const parquet = await import('./parquet.ts');
    if (data.records > 0) {
      await parquet.jsonlToParquet(staged.data, join(staging, dataFile));
    } else {
      // Nothing kept: no rows to infer a schema from; the required fields' columns.
      await parquet.emptyParquet(
        join(staging, dataFile),
        REQUIRED_FIELDS.map((f) => mappedName(mapping, f).split('.').pop()!),
      );
    }
    await rm(staged.data);
    ({ sha256: data.sha256, bytes: data.bytes } = await hashFile(join(staging, dataFile)));
  }
  const policyFile = `policy${extname(loaded.path) || '.yaml'}`;
  await writeFile(join(staging, policyFile), loaded.source);
  let namesInfo: DatasetManifest['names'];
  if (names && options.names) {
    await copyFile(options.names, join(staging, 'names.jsonl'));
    const { NamedSubjectFinder } = await import('./named-subjects.ts');
    namesInfo = {
      file: 'names.jsonl',
      sha256: names.sha256,
      accounts: names.accounts.length,
      displayNamesSkipped: new NamedSubjectFinder(names.accounts, []).skippedDisplayNames,
      redactedTerms: namedTerms.length,
    };
  }

  // After every removal: the commitment covers exactly the subjects of the sealed index.
  const exclusion =
    options.exclusionKey &&
    (await commitExclusion(options.exclusionKey, datasetId, staged.inclusions, staging));
  const terms =
    termReferences &&
    options.termsKey &&
    (await commitTerms(options.termsKey, datasetId, termReferences, staging));
  return {
    dataFile,
    policyFile,
    languages,
    ...(namesInfo ? { names: namesInfo } : {}),
    ...(exclusion ? { exclusion } : {}),
    ...(terms ? { terms } : {}),
  };
}

/** The manifest of the dataset as staged (docs/gate.md): `finishedAt` is now. */
function datasetManifest(
  plan: BuildPlan,
  run: BuildRun,
  { inputs, blankLines, redacted }: JudgedInputs,
  data: StagedData,
  { duplicates, noticePeriod, recheck }: Removals,
  { dataFile, policyFile, languages, names: namesInfo, exclusion, terms }: SealedFiles,
): DatasetManifest {
  const {
    options,
    now,
    started,
    loaded,
    policy,
    mapping,
    workers,
    datasetId,
    pseudonyms,
    snapshot,
    anchor,
    assessment,
    registryTerms,
  } = plan;
  const registry = options.registry;
  const counts = run.counts;
  return {
    format: MANIFEST_FORMAT,
    datasetId,
    purpose: policy.purpose,
    ...(options.origin ? { origin: options.origin } : {}),
    policy: {
      id: policy.id,
      title: policy.title,
      sha256: loaded.sha256,
      path: loaded.path,
      file: policyFile,
    },
    ...(anchor ? { anchor } : {}),
    snapshot,
    inputs,
    ...(Object.keys(mapping).length > 0 ? { mapping } : {}),
    ...(namesInfo ? { names: namesInfo } : {}),
    output: {
      file: dataFile,
      format: dataFile.endsWith('.parquet') ? 'parquet' : 'jsonl',
      bytes: data.bytes,
      sha256: data.sha256,
      records: data.records,
    },
    counts,
    records: REASONS.reduce((n, r) => n + counts[r], 0),
    blankLines,
    duplicateIds: {
      ids: duplicates.ids,
      authorsDiffer: duplicates.authorsDiffer,
      copiesExcluded: duplicates.removal.removed,
    },
    redactedRecords: redacted,
    languages,
    redaction: {
      mode: policy.redaction.mode,
      categories: policy.redaction.enabled ? [...policy.redaction.categories] : [],
      ...(pseudonyms ? { pseudonymKeyId: pseudonyms.keyId } : {}),
    },
    thirdPartyTerms: registry
      ? { count: registryTerms.length, asOf: snapshot.asOf }
      : { count: 0, note: OFFLINE_NOTE },
    recheck,
    noticePeriod,
    assessment,
    checks: {
      objectors: {
        status: 'performed',
        counts: {
          objectors: snapshot.count,
          objected: counts.objected,
          'objected-mention': counts['objected-mention'],
        },
      },
      'late-objections': registry
        ? {
            status: 'performed',
            counts: {
              lateObjectors: recheck.lateObjectors,
              removedRecords: recheck.removedRecords,
            },
          }
        : { status: 'deferred', note: OFFLINE_NOTE },
      'notice-period': registry
        ? { status: 'performed', counts: { removedRecords: noticePeriod.removedRecords } }
        : { status: 'deferred', note: OFFLINE_NOTE },
      'third-party-terms': registry
        ? { status: 'performed', counts: { terms: registryTerms.length } }
        : { status: 'deferred', note: OFFLINE_NOTE },
    },
    files: {
      data: dataFile,
      rejects: 'rejects.jsonl',
      decisions: 'decisions.tsv',
      inclusions: 'inclusions.tsv',
      policy: policyFile,
    },
    ...(exclusion ? { exclusion: exclusion.field } : {}),
    ...(terms ? { terms: terms.field } : {}),
    startedAt: started.toISOString(),
    finishedAt: now().toISOString(),
    vetoVersion: VETO_VERSION,
    workers,
  };
}

/**
 * The independent check, on exactly what is about to be sealed: it re-reads the staged directory
 * as a verifier would, and a dataset that fails it is not sealed. The pool is closed after it.
 */
async function verifyStaged(plan: BuildPlan, run: BuildRun): Promise<VerifyReport> {
  const { options, now, objectors, workers, datasetId, staging } = plan;
  const registry = options.registry;
  run.enter('verifying');
  const verification = await verifyDataset({
    dir: staging,
    objectors: options.objectors,
    loadedObjectors: objectorSetFrom(objectors),
    registry,
    now,
    // The workers that judged read the staged data's chunks (their judge set-up is idle now).
    pool: run.pool,
    threads: workers,
  });
  await run.pool?.close();
  run.pool = undefined;
  // Kept in the registry, passed or not: the console shows each dataset's last verification.
  if (registry) {
    const recorded = registry.recordVerification(
      verificationOf(verification, 'gate', now().toISOString(), datasetId),
    );
    // A failed verification is what the build reports, even if keeping it failed too.
    if (verification.ok) await recorded;
    else await recorded.catch(() => undefined);
  }
  if (!verification.ok) throw new DatasetVerifyFailed(verification);
  await writeFile(join(staging, 'verify.json'), `${JSON.stringify(verification, null, 2)}\n`);
  return verification;
}

/**
 * Seals the verified staging folder in the order that cannot half-happen (dataset-recovery.ts):
 * every staged byte durable, the directory renamed into place and its parent synced, and only
 * then the registry's record, whose last step makes the dataset visible to the removal planner;
 * the journal entry goes last.
 */
async function sealInPlace(
  plan: BuildPlan,
  run: BuildRun,
  manifest: DatasetManifest,
  { exclusion, terms }: SealedFiles,
): Promise<void> {
  const { options, datasetId, staging, finalDir, outDir, journal } = plan;
  const registry = options.registry;
  await syncStagedFiles(staging);
  crashPoint('staged');
  await rename(staging, finalDir);
  run.renamed = true;
  await syncDir(outDir);
  crashPoint('renamed');
  if (registry) {
    run.enter('recording');
    const rows = readInclusionFile(join(finalDir, 'inclusions.tsv'), datasetId);
    await registry.recordDataset(
      manifest,
      process.env.VETO_TEST_CRASH_AT === 'recording' ? crashAfterFirstRow(rows) : rows,
      exclusion?.leaves,
      finalDir,
      terms?.leaves,
    );
    crashPoint('recorded');
  }
  await closeBuildJournal(journal);
}

/** For the fault-injection test: the process dies once the store has taken the first row. */
async function* crashAfterFirstRow<T>(rows: AsyncIterable<T>): AsyncGenerator<T> {
  let first = true;
  for await (const row of rows) {
    yield row;
    if (first) crashPoint('recording');
    first = false;
  }
}
