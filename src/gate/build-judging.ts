import { createHash } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type SummaryWants, summariseBatch } from './batch-summary.ts';
import type { JudgeStage, JudgeStageResult } from './build-options.ts';
import type { BuildPlan } from './build-plan.ts';
import type { BuildRun } from './build-run.ts';
import { DecisionIds } from './duplicate-ids.ts';
import { INCLUSIONS_HEADER } from './inclusion-file.ts';
import type { BatchResult } from './judge.ts';
import { KeptAuthorsNoticeCheck } from './kept-authors-notice.ts';
import { HashedWriter, hashFile } from './line-files.ts';
import type { DatasetManifest } from './manifest.ts';
import { REASONS } from './reasons.ts';
import type { StagedFiles } from './removal.ts';

/*
 * A gate build's second step: the planned inputs judged into the staging folder's files, here
 * (on the worker pool, or inline with 0 workers) or elsewhere (`judgeElsewhere`, the JetStream
 * runner), in input order and byte for byte the same either way. Nothing is removed or sealed
 * here: build-sealing.ts takes the staged files from this step's result.
 */

/** Kept authors are asked about the notice in batches of this many distinct keys. */
const NOTICE_BATCH = 10_000;

/** The staged files' writers, headers written; open until sealing closes them. */
export type StagedWriters = JudgeStage['writers'];

/** The build's notice-period check, and whether judging fed it (else sealing reads the index). */
export interface NoticeCheck {
  check: KeptAuthorsNoticeCheck;
  fedWhileJudging: boolean;
}

/** What sealing needs of the judging: the staged files, their writers and the counts so far. */
export interface JudgedInputs extends JudgeStageResult {
  staged: StagedFiles;
  writers: StagedWriters;
  noticeCheck: NoticeCheck;
}

/**
 * Judges every record of the plan's inputs into the staged files (`data.jsonl`,
 * `inclusions.tsv`, `decisions.tsv`, `rejects.jsonl`), counting into `run`. The writers stay open
 * (in `run.writers`, for the failure path to abort); with workers, the pool is `run.pool`.
 */
export async function judgeInputs(plan: BuildPlan, run: BuildRun): Promise<JudgedInputs> {
  const { options, staging, policy, shownBy, booting, config, datasetId, loaded, outDir } = plan;
  const staged: StagedFiles = {
    data: join(staging, 'data.jsonl'),
    inclusions: join(staging, 'inclusions.tsv'),
    decisions: join(staging, 'decisions.tsv'),
  };
  const data = await HashedWriter.create(staged.data);
  // Only the data's digest goes into the manifest.
  const inclusions = await HashedWriter.create(staged.inclusions, { hash: false });
  const decisions = await HashedWriter.create(staged.decisions, { hash: false });
  const rejects = await HashedWriter.create(join(staging, 'rejects.jsonl'), { hash: false });
  run.writers.push(data, inclusions, decisions, rejects);
  inclusions.pushString(INCLUSIONS_HEADER);
  decisions.pushString('input\tline\treason\titem_id\n');

  const writers = { data, inclusions, decisions, rejects };
  // The notice period: the kept authors asked about as their rows are written (when this
  // process writes them; a runner's shards are read back after judging).
  const noticeRegistry = options.registry;
  const noticeCheck = {
    check: new KeptAuthorsNoticeCheck(
      (subjectKeys) =>
        noticeRegistry
          ? noticeRegistry.subjectsWithoutNotice({
              purpose: policy.purpose,
              noticeVersion: policy.notice.version,
              shownBy,
              subjectKeys,
            })
          : Promise.resolve([]),
      NOTICE_BATCH,
    ),
    fedWhileJudging: noticeRegistry !== undefined,
  };
  if (options.judgeElsewhere) {
    // The pool that loaded the objector set stays, idle while others judge, for verify to read
    // the assembled data with (not a second pool started then: ~0.3 s and ~0.6 CPU-s).
    if (booting) run.pool = await booting;
    run.enter('judging');
    const judged = await options.judgeElsewhere({
      datasetId,
      config,
      policy: loaded,
      objectors: options.objectors,
      staging,
      outDir,
      writers,
      progress(bytes, shardCounts) {
        run.progress.bytesDone += bytes;
        for (let i = 0; i < REASONS.length; i++) {
          run.counts[REASONS[i]!] += shardCounts[i]!;
          run.progress.records += shardCounts[i]!;
        }
      },
      inclusionRows(buf, start, end) {
        if (noticeCheck.fedWhileJudging) noticeCheck.check.scanRows(buf, start, end);
      },
      keptAuthors(joined) {
        if (noticeCheck.fedWhileJudging) noticeCheck.check.addKeys(joined);
      },
    });
    // A stage that did not hand over every row: sealing reads the index back for the check.
    noticeCheck.fedWhileJudging &&= judged.noticeFed === true;
    return { staged, writers, noticeCheck, ...judged };
  }
  return { staged, writers, noticeCheck, ...(await judgeHere(plan, run, writers, noticeCheck)) };
}

/** Judges the inputs in this process: on the worker pool, or inline with 0 workers. */
async function judgeHere(
  plan: BuildPlan,
  run: BuildRun,
  { data, inclusions, decisions, rejects }: StagedWriters,
  noticeCheck: NoticeCheck,
): Promise<JudgeStageResult> {
  const { options, staging, booting, config, inputs } = plan;
  // The batches' id hashes and kept authors come back with their results (batch-summary.ts).
  const wants: SummaryWants = { keptAuthors: noticeCheck.fedWhileJudging };
  if (booting) {
    run.pool = await booting;
    await run.pool.init(config, wants);
  }
  const pool = run.pool;
  // Imported here, not at the top: with workers the main thread never judges, and the judge's
  // imports (the redactor's lexicons, libphonenumber) cost ~0.34 s of CPU to load; DuckDB
  // (~0.17 s) is loaded only for Parquet.
  const judge = pool ? undefined : new (await import('./judge.ts')).Judge(config);
  // The judged records' ids, hashed as their decisions are written (not for shards judged
  // elsewhere: their decision log is read back instead).
  // Sized for a record per 256 input bytes (growing by doubling copies the whole array).
  const decisionIds = new DecisionIds(inputs.reduce((n, p) => n + p.bytes, 0) / 256);
  let kept = 0;
  let blankLines = 0;
  let redacted = 0;
  const inputsInfo: DatasetManifest['inputs'] = [];
  run.enter('judging');

  // 1 MiB batches: a batch's input and result stay in cache while a worker judges it. Whole
  // run at bench scale 0.3, 2 workers, process CPU time: 4 MiB 6.5-6.6 s, 2 MiB 6.2 s,
  // 1 MiB 5.9-6.2 s, 512 KiB 6.0-6.2 s, 256 KiB 6.0-6.1 s.
  const batchBytes = options.batchBytes ?? 1 << 20;
  // Four batches per worker in flight (two measured about the same, within noise, at 1 MiB):
  // a worker always has the next batch queued while the main thread writes results.
  const maxInFlight = Math.max(2, (pool?.size ?? 1) * 4);
  const results = new Map<number, BatchResult>();
  // Read buffers are reused (handed back by the workers, or judged inline): allocating 4 MiB
  // per batch is what drove the main thread's "external memory pressure" collections (see
  // `Judge.processBatch`). The slack takes the partial line carried over from the last read.
  const readSize = batchBytes + (64 << 10);
  const freeInputs: ArrayBuffer[] = [];
  let spareResult: ArrayBuffer | undefined;
  const readBuffer = (bytes: number): Buffer => {
    if (bytes <= readSize) {
      const reused = pool ? pool.takeInput(readSize) : freeInputs.pop();
      return Buffer.from(reused ?? new ArrayBuffer(readSize));
    }
    return Buffer.allocUnsafeSlow(bytes);
  };
  const inFlight = new Set<Promise<void>>();
  let nextSeq = 0;
  let nextToWrite = 0;
  let failure: Error | undefined;

  const writeReady = async () => {
    for (;;) {
      const result = results.get(nextToWrite);
      if (!result) return;
      results.delete(nextToWrite);
      nextToWrite++;
      await data.write(result.out);
      inclusions.push(result.inclusions);
      decisions.push(result.decisions);
      const summary = result.summary ?? summariseBatch(result, wants);
      noticeCheck.check.addKeys(summary.keptAuthors);
      decisionIds.hashes.pushWords(summary.idWords);
      if (result.rejects) rejects.pushString(result.rejects);
      // All three views are copied or written: the buffer can take a later batch's result.
      if (pool) pool.recycle(result.out.buffer as ArrayBuffer);
      else spareResult = result.out.buffer as ArrayBuffer;
      await inclusions.flushIfFull();
      await decisions.flushIfFull();
      await rejects.flushIfFull();
      for (let i = 0; i < REASONS.length; i++) {
        const n = result.counts[i]!;
        run.counts[REASONS[i]!] += n;
        run.progress.records += n;
      }
      kept += result.kept;
      blankLines += result.blank;
      redacted += result.redacted;
    }
  };
  let writing = Promise.resolve();
  const dispatch = (input: number, firstLine: number, buffer: Buffer, length: number) => {
    const seq = nextSeq++;
    const bytes = length;
    const job = (
      pool
        ? pool.run({ seq, input, firstLine, buffer: buffer.buffer as ArrayBuffer, length })
        : new Promise<BatchResult>((done) =>
            setImmediate(() => {
              const spare = spareResult;
              spareResult = undefined;
              const result = judge!.processBatch(buffer, 0, length, input, firstLine, spare);
              if (buffer.buffer.byteLength === readSize && result.out.buffer !== buffer.buffer)
                freeInputs.push(buffer.buffer as ArrayBuffer);
              done(result);
            }),
          )
    ).then(
      (result) => {
        results.set(seq, result);
        run.progress.bytesDone += bytes;
        writing = writing.then(writeReady);
        return writing;
      },
      (err: Error) => {
        failure ??= err;
      },
    );
    const tracked = job.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  };

  for (let index = 0; index < inputs.length && !failure; index++) {
    const planned = inputs[index]!;
    let readPath = planned.path;
    if (planned.format === 'parquet') {
      readPath = join(staging, `input-${index}.jsonl`);
      await (await import('./parquet.ts')).parquetToJsonl(planned.path, readPath);
    }
    const hash = createHash('sha256');
    const file = await open(readPath, 'r');
    let line = 1;
    let carry: Buffer | undefined;
    try {
      for (;;) {
        while (inFlight.size >= maxInFlight) await Promise.race(inFlight);
        if (failure) break;
        const carried = carry?.length ?? 0;
        const buf = readBuffer(carried + batchBytes);
        if (carry) carry.copy(buf, 0);
        const { bytesRead } = await file.read(buf, carried, batchBytes, null);
        const total = carried + bytesRead;
        if (planned.format === 'jsonl') hash.update(buf.subarray(carried, total));
        if (bytesRead === 0) {
          if (carried > 0) dispatch(index, line, buf, total);
          break;
        }
        const last = buf.lastIndexOf(10, total - 1);
        if (last < 0) {
          carry = Buffer.from(buf.subarray(0, total));
          continue;
        }
        carry = last + 1 < total ? Buffer.from(buf.subarray(last + 1, total)) : undefined;
        let lines = 0;
        for (let i = buf.indexOf(10); i !== -1 && i <= last; i = buf.indexOf(10, i + 1)) lines++;
        dispatch(index, line, buf, last + 1);
        line += lines;
      }
    } finally {
      await file.close();
    }
    const lines = carry ? line : line - 1;
    if (planned.format === 'parquet') {
      await rm(readPath, { force: true });
      inputsInfo.push({
        path: planned.path,
        format: 'parquet',
        ...(await hashFile(planned.path)),
        lines,
      });
    } else {
      inputsInfo.push({
        path: planned.path,
        format: 'jsonl',
        bytes: planned.bytes,
        sha256: hash.digest('hex'),
        lines,
      });
    }
  }
  while (inFlight.size > 0) await Promise.race(inFlight);
  await writing;
  if (failure) throw failure;
  return { kept, blankLines, redacted, inputs: inputsInfo, decisionIds };
}
