import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { wireVeto } from '../app/wire.ts';
import { type Command, defineCommand, UsageError } from './command.ts';

/**
 * The contract with a platform's own engine (docs/scale.md): the policy's rules as SQL, and a
 * dataset built elsewhere taken in only once the gate's checks pass on it.
 */
export const contractCommands: Command[] = [
  defineCommand({
    name: 'policy sql',
    synopsis: 'POLICY [--dialect duckdb] [--decisions] [--records T] [--objectors T] [--out FILE]',
    summary: "the policy's record rules as SQL, for your own engine (docs/scale.md)",
    details: `  POLICY              the policy file (YAML or JSON)
  --dialect D         duckdb (the one dialect so far; docs/scale.md says what differs for Spark)
  --decisions         every record's id and decision (veto_reason) instead of the kept records
  --records T         the table or view of records in the export schema (default: records)
  --objectors T       the table or view of the snapshot, column subject_key (default: objectors)
  --out FILE          write the SQL there (default: standard output)`,
    options: {
      dialect: { type: 'string' },
      decisions: { type: 'boolean' },
      records: { type: 'string' },
      objectors: { type: 'string' },
      out: { type: 'string' },
    },
    positionals: { min: 1, max: 1 },
    async run({ values, positionals }) {
      const dialect = values.dialect ?? 'duckdb';
      if (dialect !== 'duckdb') throw new UsageError(`--dialect: duckdb (not "${dialect}")`);
      for (const option of ['records', 'objectors'] as const) {
        const name = values[option];
        if (name !== undefined && !/^[A-Za-z_][A-Za-z0-9_.]*$/.test(name))
          throw new UsageError(`--${option}: a table name (letters, digits, _ and .)`);
      }
      const { loadPolicy, PolicyError } = await import('../gate/policy.ts');
      const { policySql } = await import('../gate/policy-sql.ts');
      let loaded: Awaited<ReturnType<typeof loadPolicy>>;
      try {
        loaded = await loadPolicy(positionals[0]!);
      } catch (err) {
        if (!(err instanceof PolicyError)) throw err;
        console.error(err.message);
        return 2;
      }
      const text = policySql(loaded.policy, {
        dialect,
        records: values.records,
        objectors: values.objectors,
        output: values.decisions ? 'decisions' : 'kept',
        source: { path: loaded.path, sha256: loaded.sha256 },
      });
      if (values.out) await writeFile(values.out, text);
      else process.stdout.write(text);
      return 0;
    },
  }),

  defineCommand({
    name: 'dataset import',
    synopsis: 'DIR --policy P --snapshot S [--out DIR] [--dataset-id ID] [--workers N]',
    summary:
      'take in a dataset built by your own engine, once the gate keeps all of it (docs/scale.md)',
    details: `  DIR                 the engine's output: JSONL or Parquet files and SHA256SUMS listing
                      every one of them (cd DIR && sha256sum *.jsonl > SHA256SUMS)
  --policy P          the policy the engine ran (veto policy sql P)
  --snapshot S        the snapshot file it filtered against (the Parquet twin's id and hash)
  --out DIR           the dataset is sealed as DIR/<dataset id>/ (default: DATA_DIR/datasets)
  --dataset-id ID     choose the dataset id (default: ds_<uuidv7>)
  --workers N         worker threads (default: all cores)
                      Every record is judged again by the gate against the snapshot; one it
                      would drop or redact, a repeated id or a file not matching SHA256SUMS
                      refuses the import (each named as FILE:LINE). Then the notice period and
                      objections since the snapshot remove records as in any build, and the
                      dataset is recorded with its inclusion index. Exit 0 sealed, 1 refused.`,
    options: {
      policy: { type: 'string' },
      snapshot: { type: 'string' },
      out: { type: 'string' },
      'dataset-id': { type: 'string' },
      workers: { type: 'string' },
    },
    positionals: { min: 1, max: 1 },
    async run({ values, positionals }, { loadConfig }) {
      if (!values.policy) throw new UsageError('--policy is required');
      if (!values.snapshot) throw new UsageError('--snapshot is required');
      let workers: number | undefined;
      if (values.workers !== undefined) {
        workers = Number(values.workers);
        if (!Number.isInteger(workers) || workers < 0)
          throw new UsageError('--workers: a whole number');
      }
      const { importDataset, ImportRefusedError } = await import('../gate/dataset-import.ts');
      const { GateSetupError, noticeFloorSetting, withoutAssessmentSetting } = await import(
        '../gate/build.ts'
      );
      const { PolicyError } = await import('../gate/policy.ts');
      const { RegistryFileError } = await import('../registry-files/registry-file-error.ts');
      const { floor: noticeFloor, problem: floorProblem } = noticeFloorSetting(process.env);
      if (floorProblem) throw new UsageError(floorProblem);
      if (noticeFloor)
        console.error(
          `veto dataset import: notice-period floor ${noticeFloor.days} days, set by VETO_NOTICE_FLOOR_DAYS`,
        );
      const { withoutAssessment, problem: assessmentProblem } = withoutAssessmentSetting(
        process.env,
      );
      if (assessmentProblem) throw new UsageError(assessmentProblem);
      if (withoutAssessment)
        console.error(
          `veto dataset import: ${withoutAssessment}=1: importing even if no legitimate-interest assessment is recorded for this policy`,
        );
      const config = loadConfig();
      const veto = await wireVeto(config);
      try {
        const result = await importDataset({
          noticeFloor,
          withoutAssessment,
          dir: positionals[0]!,
          policy: values.policy,
          snapshot: values.snapshot,
          registry: veto.gate,
          outDir: values.out ?? path.join(config.dataDir, 'datasets'),
          datasetId: values['dataset-id'],
          workers,
          pseudonymKey: process.env.VETO_PSEUDONYM_KEY,
          // Proofs of exclusion for an imported dataset, as for one the gate built.
          exclusionKey: veto.exclusionKeys().current,
          termsKey: veto.termsKey(),
        });
        if (result.status === 'failed') {
          console.error(`veto dataset import: nothing imported: ${result.error.message}`);
          return 1;
        }
        const m = result.manifest;
        console.log(
          `dataset ${m.datasetId} imported and sealed in ${result.dir}: ${m.output.records} records (notice period removed ${m.noticePeriod.removedRecords}, objections since the snapshot ${m.recheck.removedRecords})`,
        );
        return 0;
      } catch (err) {
        if (err instanceof ImportRefusedError) {
          console.error(`veto dataset import: nothing imported: ${err.message}`);
          return 1;
        }
        if (
          err instanceof GateSetupError ||
          err instanceof PolicyError ||
          err instanceof RegistryFileError
        ) {
          console.error(`veto dataset import: ${err.message}`);
          return 2;
        }
        throw err;
      } finally {
        await veto.close();
      }
    },
  }),
];
