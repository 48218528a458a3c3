import { writeFile } from 'node:fs/promises';
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
];
