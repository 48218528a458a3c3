import { Judge, type JudgeConfig } from '../../../src/gate/judge.ts';
import { ObjectorTable } from '../../../src/gate/objector-set.ts';
import { parsePolicy } from '../../../src/gate/policy.ts';
import type { Policy } from '../../../src/gate/policy-schema.ts';
import type { FieldMapping } from '../../../src/gate/record-fields.ts';
import { TEST_POLICY } from './fixtures.ts';

export function testPolicy(yamlOverride?: string): Policy {
  return parsePolicy(yamlOverride ?? TEST_POLICY, 'test-policy.yaml');
}

/** Judges JSONL lines inline and returns the decision of each, plus the raw batch result. */
export function judgeLines(
  lines: string[],
  options: {
    objectors?: string[];
    policy?: Policy;
    mapping?: FieldMapping;
    reader?: JudgeConfig['reader'];
  } = {},
) {
  const table = new ObjectorTable(options.objectors?.length ?? 0);
  for (const k of options.objectors ?? []) table.add(k);
  const judge = new Judge({
    policy: options.policy ?? testPolicy(),
    mapping: options.mapping ?? {},
    reader: options.reader,
    objectors: table.descriptor(),
    inputs: ['in.jsonl'],
  });
  const bytes = Buffer.from(lines.map((l) => `${l}\n`).join(''));
  const result = judge.processBatch(bytes, 0, bytes.length, 0, 1);
  const decisions = Buffer.from(result.decisions)
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((row) => row.split('\t')[2]);
  return {
    result,
    decisions,
    out: Buffer.from(result.out).toString('utf8'),
    rejects: result.rejects
      .split('\n')
      .filter(Boolean)
      .map((r) => JSON.parse(r) as { line: number; error: string }),
    inclusions: Buffer.from(result.inclusions).toString('utf8').split('\n').filter(Boolean),
  };
}
