import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Veto } from '../../src/app/wire.ts';
import { parseAssessmentText } from '../../src/domain/assessment/assessment-text.ts';
import { loadPolicy } from '../../src/gate/policy.ts';

/** A complete operator text (every section) for the policy `policyId`. */
export function assessmentText(policyId: string): string {
  return `format: veto-assessment/v1
policy: ${policyId}
language: en
purpose:
  interest: Improving the platform's assistant.
  lawfulness: No law forbids it; objections are honoured.
  present: The assistant is offered today.
necessity:
  lessIntrusiveMeans: Licensed text alone was considered and falls short.
  minimisation: Only the content the policy lists; identifiers replaced.
balancing:
  reasonableExpectations: People were told in the notice before any build.
  natureOfData: Everyday public content; special categories excluded.
  impact: Identifiers replaced; reproductions can be reported.
  vulnerablePeople: Minors' accounts excluded.
  mitigations: Output filters.
conclusion: Not overridden, with these safeguards.
summary:
  purpose: We improve our assistant with public posts.
  necessity: Only the content listed in the notice.
  balancing: You can object at any time, without a reason.
  conclusion: Fair with these safeguards.
`;
}

export function writeAssessmentText(
  dir: string,
  policyId: string,
  text = assessmentText(policyId),
) {
  const file = path.join(dir, `assessment-${policyId}.yaml`);
  writeFileSync(file, text);
  return file;
}

/**
 * Records an assessment of the policy file in the wired registry, for tests of other things
 * that build datasets through the CLI (the gate refuses a policy version without one).
 */
export async function recordAssessmentFor(veto: Veto, policyFile: string): Promise<void> {
  const policy = await loadPolicy(policyFile);
  await veto.assessments.record(
    policy,
    parseAssessmentText(assessmentText(policy.policy.id), 'test-assessment.yaml'),
  );
}
