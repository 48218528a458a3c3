import { writeFile } from 'node:fs/promises';
import { wireVeto } from '../app/wire.ts';
import { AssessmentInputError, assessmentHtml } from '../domain/assessment/assessment-record.ts';
import { AssessmentTextError, loadAssessmentText } from '../domain/assessment/assessment-text.ts';
import { loadPolicy, PolicyError } from '../gate/policy.ts';
import type { StoredAssessment } from '../store/assessment-store.ts';
import { type Command, defineCommand, UsageError } from './command.ts';

/**
 * `veto assessment record|show|list`: the legitimate-interest assessment of a policy version,
 * kept in the registry (each changed version a new record, earlier ones never modified), its
 * public summary at /assessment (docs/assessment.md).
 */
export const assessmentCommands: Command[] = [
  defineCommand({
    name: 'assessment record',
    synopsis: '--policy FILE --text FILE',
    summary: 'keep the legitimate-interest assessment of a policy version (versions kept)',
    details: `  Draws the facts from the policy (content used and left out, minors, private messages,
  redaction, notice period, objection channels) and the configuration (controller, DPO,
  retention), with the operator's own text in fixed sections (docs/assessment.md). A record
  that differs from the latest one of that policy version becomes a new version, with an
  assessment.recorded audit event; a text missing a section is refused, naming it and its line.
  --policy FILE       the dataset policy assessed (its sha256 is the version)
  --text FILE         the operator's text (YAML, format veto-assessment/v1)`,
    options: { policy: { type: 'string' }, text: { type: 'string' } },
    positionals: { max: 0 },
    async run({ values }, h) {
      if (!values.policy) throw new UsageError('--policy FILE is required');
      if (!values.text) throw new UsageError('--text FILE is required');
      let policy: Awaited<ReturnType<typeof loadPolicy>>;
      let text: Awaited<ReturnType<typeof loadAssessmentText>>;
      try {
        policy = await loadPolicy(values.policy);
        text = await loadAssessmentText(values.text);
      } catch (err) {
        if (err instanceof PolicyError || err instanceof AssessmentTextError) {
          console.error(`veto assessment record: ${err.message}`);
          return 1;
        }
        throw err;
      }
      const veto = await wireVeto(h.loadConfig());
      try {
        const { stored, created } = await veto.assessments.record(policy, text);
        console.log(
          `${created ? 'new version' : 'unchanged, latest version'} ${stored.id} of policy ${stored.policyId} (sha256 ${stored.policySha256}), recorded ${stored.recordedAt}`,
        );
        return 0;
      } catch (err) {
        if (err instanceof AssessmentInputError) {
          console.error(`veto assessment record: ${err.message}`);
          return 1;
        }
        throw err;
      } finally {
        await veto.close();
      }
    },
  }),
  defineCommand({
    name: 'assessment show',
    synopsis: '[ID] [--policy FILE] [--html] [--out FILE]',
    summary: 'print a kept assessment as Markdown, or as a printable HTML page',
    details: `  ID                  the record (default: the latest kept, or with --policy the one that
                      applies to that policy version)
  --policy FILE       the latest record of this policy version
  --html              a printable HTML page instead of Markdown
  --out FILE          write it there (default: standard output)`,
    options: { policy: { type: 'string' }, html: { type: 'boolean' }, out: { type: 'string' } },
    positionals: { max: 1 },
    async run({ values, positionals }, h) {
      if (positionals[0] && values.policy) throw new UsageError('give an ID or --policy, not both');
      let policySha256: string | undefined;
      if (values.policy) {
        try {
          policySha256 = (await loadPolicy(values.policy)).sha256;
        } catch (err) {
          console.error(`veto assessment show: ${(err as Error).message}`);
          return 1;
        }
      }
      const veto = await wireVeto(h.loadConfig());
      try {
        let stored: StoredAssessment | undefined;
        if (positionals[0]) stored = await veto.assessments.get(positionals[0]);
        else if (policySha256) stored = await veto.assessments.forPolicy(policySha256);
        else stored = (await veto.assessments.list())[0];
        if (!stored) {
          console.error(
            `veto assessment show: ${positionals[0] ? `no assessment ${positionals[0]}` : policySha256 ? `no assessment recorded for ${values.policy} (sha256 ${policySha256})` : 'no assessment recorded'}`,
          );
          return 1;
        }
        const markdown = veto.assessments.markdown(stored);
        const out = values.html ? assessmentHtml(markdown) : markdown;
        if (values.out) {
          await writeFile(values.out, out);
          console.log(`assessment ${stored.id}: ${values.out}`);
        } else process.stdout.write(out);
        return 0;
      } finally {
        await veto.close();
      }
    },
  }),
  defineCommand({
    name: 'assessment list',
    synopsis: '',
    summary: 'every kept assessment record, newest first',
    details: '  One line each: id, policy, policy sha256, when recorded, the record sha256.',
    options: {},
    positionals: { max: 0 },
    async run(_args, h) {
      const veto = await wireVeto(h.loadConfig());
      try {
        for (const a of await veto.assessments.list())
          console.log(`${a.id}  ${a.policyId}  ${a.policySha256}  ${a.recordedAt}  ${a.sha256}`);
        return 0;
      } finally {
        await veto.close();
      }
    },
  }),
];
