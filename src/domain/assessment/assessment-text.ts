import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { type FileFieldIssue, formatFileIssues, validateYamlFile } from '../../lib/yaml-fields.ts';

/**
 * The operator's own text of a legitimate-interest assessment (LIA): the reasoning of the
 * three-step test that no configuration can state for them (EDPB Opinion 28/2024; CNIL's
 * legitimate-interest sheets). Veto draws the facts from the policy and the configuration
 * (`assessment-record.ts`); this file holds what only the controller can write, in fixed sections,
 * every one required, so a record can never be kept with a step left out.
 */
export const ASSESSMENT_TEXT_FORMAT = 'veto-assessment/v1';

const section = (what: string) =>
  z
    .string({
      error: (issue) =>
        issue.input === undefined
          ? `required section missing: ${what}`
          : `must be text (${what}), not ${typeof issue.input}`,
    })
    .trim()
    .min(1, { error: `is empty: write ${what}` });

/** The public summary: one short text per step, and the conclusion. */
const summarySchema = z.strictObject(
  {
    purpose: section('the purpose step in plain words, for the public summary'),
    necessity: section('the necessity step in plain words, for the public summary'),
    balancing: section('the balancing step in plain words, for the public summary'),
    conclusion: section('the outcome in plain words, for the public summary'),
  },
  { error: (issue) => (issue.input === undefined ? 'required section missing' : undefined) },
);

const LANGUAGE_TAG = /^[a-z]{2,3}(-[A-Z]{2})?$/;
const LANGUAGE_ERROR = 'must be a language tag such as "en" or "fr"';
const language = z.string().regex(LANGUAGE_TAG, { error: LANGUAGE_ERROR });

export const assessmentTextSchema = z.strictObject({
  format: z.literal(ASSESSMENT_TEXT_FORMAT, { error: `must be "${ASSESSMENT_TEXT_FORMAT}"` }),
  /** The id of the policy it assesses: a text written for another policy is refused. */
  policy: z.string().min(1, { error: 'must name the policy id' }),
  /** The language the operator wrote the text in (shown with that `lang` when not translated). */
  language,
  purpose: z.strictObject(
    {
      interest: section('the interest pursued, clearly and precisely articulated'),
      lawfulness: section('why the interest is lawful'),
      present: section('why the interest is real and present, not speculative'),
    },
    { error: (issue) => (issue.input === undefined ? 'required section missing' : undefined) },
  ),
  necessity: z.strictObject(
    {
      lessIntrusiveMeans: section('the less intrusive means considered, and why they fall short'),
      minimisation: section('how the data used is limited to what the purpose needs'),
    },
    { error: (issue) => (issue.input === undefined ? 'required section missing' : undefined) },
  ),
  balancing: z.strictObject(
    {
      reasonableExpectations: section("the people's reasonable expectations"),
      natureOfData: section('the nature of the data'),
      impact: section('the impact on the people concerned'),
      vulnerablePeople: section('how children and other vulnerable people are weighed'),
      mitigations: section('the mitigating measures beyond those the policy enforces'),
    },
    { error: (issue) => (issue.input === undefined ? 'required section missing' : undefined) },
  ),
  conclusion: section('the outcome of the test'),
  summary: summarySchema,
  /** The public summary in other languages, keyed by language tag. */
  translations: z
    .record(z.string(), summarySchema)
    .superRefine((translations, ctx) => {
      for (const key of Object.keys(translations)) {
        if (!LANGUAGE_TAG.test(key))
          ctx.addIssue({ code: 'custom', path: [key], message: LANGUAGE_ERROR });
      }
    })
    .default({}),
});

export type AssessmentText = z.output<typeof assessmentTextSchema>;
export type AssessmentSummary = AssessmentText['summary'];

/** An assessment text that cannot be used: every problem as `file:line: field: why`. */
export class AssessmentTextError extends Error {
  override name = 'AssessmentTextError';
  constructor(
    readonly file: string,
    readonly issues: FileFieldIssue[],
  ) {
    super(formatFileIssues(file, issues));
  }
}

/** Parses and validates the operator's text (YAML, or JSON when the name ends in `.json`). */
export function parseAssessmentText(text: string, file: string): AssessmentText {
  const result = validateYamlFile(text, file, assessmentTextSchema);
  if (result.issues) throw new AssessmentTextError(file, result.issues);
  return result.data;
}

export async function loadAssessmentText(file: string): Promise<AssessmentText> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new AssessmentTextError(file, [
      { field: '', reason: `cannot read: ${(err as Error).message}` },
    ]);
  }
  return parseAssessmentText(text, file);
}
