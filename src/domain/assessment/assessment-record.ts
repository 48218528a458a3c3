import { createHash } from 'node:crypto';
import type { LoadedPolicy } from '../../gate/policy.ts';
import { CONTENT_KINDS } from '../../gate/record-vocabulary.ts';
import { printableHtml } from '../../lib/printable-markdown.ts';
import { canonicalJson } from '../audit-chain.ts';
import type { AssessmentText } from './assessment-text.ts';

/**
 * A legitimate-interest assessment record: the facts Veto draws from the dataset policy and the
 * configuration (what is used and left out, who is protected how, the controller), beside the
 * operator's own reasoning (`assessment-text.ts`), for one policy version (its sha256). The
 * record is hashed whole; a record is never changed once kept (src/store/assessment-store.ts).
 */
export const ASSESSMENT_RECORD_FORMAT = 'veto-assessment-record/v1';

/** How people can object, whatever the assessment says (codes; labels in the catalogue). */
export type ObjectionChannelCode = 'portal' | 'api' | 'non-user-email' | 'email-link' | 'signal';

export interface AssessmentFacts {
  controller: { name: string; contact: string | null; dpo: string | null };
  policy: {
    id: string;
    title: string;
    sha256: string;
    purpose: string;
    legalBasis: string;
    interest: string;
  };
  content: {
    kinds: string[];
    /** Kinds the policy leaves out (private messages always among them). */
    excludedKinds: string[];
    audiences: string[];
    notBefore: string | null;
    regions: string[] | null;
  };
  minors: { accountsExcluded: boolean; adultAge: number; depictingMinorsExcluded: boolean };
  privateMessagesExcluded: true;
  sensitiveExcluded: boolean;
  redaction: { enabled: boolean; mode: string; categories: string[] };
  notice: { version: string; minimumDays: number };
  objectionChannels: ObjectionChannelCode[];
  retentionMonths: number | null;
}

export interface AssessmentRecord {
  format: typeof ASSESSMENT_RECORD_FORMAT;
  facts: AssessmentFacts;
  text: AssessmentText;
}

/** What the facts are drawn from (a subset of src/config.ts). */
export interface AssessmentConfig {
  controllerName?: string | undefined;
  controllerContact?: string | undefined;
  dpoContact?: string | undefined;
  retentionMonths?: number | undefined;
  gpc: 'off' | 'no-sharing' | 'object';
  gpcPurpose: string;
}

/** Why a record cannot be drawn from this policy, text and configuration (fail closed). */
export class AssessmentInputError extends Error {
  override name = 'AssessmentInputError';
}

export function drawAssessmentFacts(
  loaded: LoadedPolicy,
  config: AssessmentConfig,
): AssessmentFacts {
  const p = loaded.policy;
  if (!config.controllerName) {
    throw new AssessmentInputError(
      'VETO_CONTROLLER_NAME is not set: an assessment names the controller who carried it out',
    );
  }
  const channels: ObjectionChannelCode[] = ['portal', 'api', 'non-user-email', 'email-link'];
  // A browser's Global Privacy Control counts as an objection to this purpose only when so set.
  if (config.gpc === 'object' || (config.gpc !== 'off' && config.gpcPurpose === p.purpose))
    channels.push('signal');
  return {
    controller: {
      name: config.controllerName,
      contact: config.controllerContact ?? null,
      dpo: config.dpoContact ?? null,
    },
    policy: {
      id: p.id,
      title: p.title,
      sha256: loaded.sha256,
      purpose: p.purpose,
      legalBasis: p.legalBasis.article,
      interest: p.legalBasis.interest,
    },
    content: {
      kinds: [...p.content.kinds],
      excludedKinds: CONTENT_KINDS.filter((k) => !p.content.kinds.includes(k)),
      audiences: [...p.content.audiences],
      notBefore: p.content.notBefore ?? null,
      regions: p.content.regions ? [...p.content.regions] : null,
    },
    minors: {
      accountsExcluded: p.minors.excludeAccounts,
      adultAge: p.minors.adultAge,
      depictingMinorsExcluded: p.minors.excludeContentDepictingMinors,
    },
    privateMessagesExcluded: true,
    sensitiveExcluded: p.sensitive.exclude,
    redaction: {
      enabled: p.redaction.enabled,
      mode: p.redaction.mode,
      categories: p.redaction.enabled ? [...p.redaction.categories] : [],
    },
    notice: { version: p.notice.version, minimumDays: p.notice.minimumDays },
    objectionChannels: channels,
    retentionMonths: config.retentionMonths ?? null,
  };
}

/** The record, refusing a text written for another policy. */
export function assessmentRecord(
  loaded: LoadedPolicy,
  text: AssessmentText,
  config: AssessmentConfig,
): AssessmentRecord {
  if (text.policy !== loaded.policy.id) {
    throw new AssessmentInputError(
      `the text assesses policy "${text.policy}", but the policy given is "${loaded.policy.id}" (${loaded.path})`,
    );
  }
  return { format: ASSESSMENT_RECORD_FORMAT, facts: drawAssessmentFacts(loaded, config), text };
}

/** Hex sha256 of the record's canonical JSON: its identity. */
export function assessmentSha256(record: AssessmentRecord): string {
  return createHash('sha256').update(canonicalJson(record)).digest('hex');
}

const CHANNEL_LABELS: Record<ObjectionChannelCode, string> = {
  portal: 'the portal, in one step and without a reason',
  api: 'the API, for the platform and automated means',
  'non-user-email': 'an email address, for people without an account',
  'email-link': "the one-click link in the notice's email",
  signal: 'the browser signal Global Privacy Control',
};

const list = (values: readonly string[]) => (values.length ? values.join(', ') : 'none');

/** The whole record as Markdown: the operator's text under each step, with the facts drawn. */
export function assessmentMarkdown(
  record: AssessmentRecord,
  meta: { id: string; recordedAt: string },
): string {
  const { facts: f, text: t } = record;
  const drawn = (lines: string[]) => [
    '',
    '_Drawn from the policy and the configuration:_',
    '',
    ...lines,
  ];
  return [
    `# Legitimate-interest assessment: ${f.policy.title}`,
    '',
    `- Record: \`${meta.id}\`, recorded ${meta.recordedAt}`,
    `- Policy: \`${f.policy.id}\`, sha256 \`${f.policy.sha256}\``,
    `- Purpose: \`${f.policy.purpose}\`; legal basis ${f.policy.legalBasis}`,
    `- Controller: ${f.controller.name}${f.controller.contact ? ` (${f.controller.contact})` : ''}`,
    `- Data protection officer: ${f.controller.dpo ?? 'none configured'}`,
    `- Written in: ${t.language}${Object.keys(t.translations).length ? `; summary translated into ${Object.keys(t.translations).sort().join(', ')}` : ''}`,
    '',
    '## 1. Purpose: a legitimate interest',
    '',
    `**Interest pursued.** ${t.purpose.interest}`,
    '',
    `**Lawful.** ${t.purpose.lawfulness}`,
    '',
    `**Real and present.** ${t.purpose.present}`,
    ...drawn([`- Interest stated in the policy: ${f.policy.interest}`]),
    '',
    '## 2. Necessity',
    '',
    `**Less intrusive means considered.** ${t.necessity.lessIntrusiveMeans}`,
    '',
    `**Data minimisation.** ${t.necessity.minimisation}`,
    ...drawn([
      `- Content used: ${list(f.content.kinds)}; audiences ${list(f.content.audiences)}${f.content.notBefore ? `; nothing created before ${f.content.notBefore}` : ''}${f.content.regions ? `; authors in ${list(f.content.regions)}` : ''}`,
      `- Content left out: ${list(f.content.excludedKinds)}`,
      `- Identifiers of third parties in training text: ${f.redaction.enabled ? `replaced (${f.redaction.mode}): ${list(f.redaction.categories)}` : 'not replaced'}`,
      `- Special categories of data (GDPR Art. 9): ${f.sensitiveExcluded ? 'excluded' : 'included'}`,
    ]),
    '',
    '## 3. Balancing',
    '',
    `**Reasonable expectations.** ${t.balancing.reasonableExpectations}`,
    '',
    `**Nature of the data.** ${t.balancing.natureOfData}`,
    '',
    `**Impact on the people concerned.** ${t.balancing.impact}`,
    '',
    `**Children and vulnerable people.** ${t.balancing.vulnerablePeople}`,
    '',
    `**Further mitigating measures.** ${t.balancing.mitigations}`,
    ...drawn([
      `- Accounts of people under ${f.minors.adultAge}: ${f.minors.accountsExcluded ? 'excluded' : 'included'}; content depicting minors: ${f.minors.depictingMinorsExcluded ? 'excluded' : 'included'}`,
      '- Private messages between people: always excluded',
      `- Notice: version ${f.notice.version}, at least ${f.notice.minimumDays} days before a dataset's cut-off`,
      `- Objection, unconditional and without a reason, through: ${f.objectionChannels.map((c) => CHANNEL_LABELS[c]).join('; ')}; honoured at every build and re-checked just before sealing; removals sent to every recipient after a build`,
      `- Training datasets kept: ${f.retentionMonths ? `${f.retentionMonths} months, then deleted` : 'no retention period configured'}`,
    ]),
    '',
    '## 4. Conclusion',
    '',
    t.conclusion,
    '',
    '## 5. Public summary',
    '',
    `**Purpose.** ${t.summary.purpose}`,
    '',
    `**Necessity.** ${t.summary.necessity}`,
    '',
    `**Balancing.** ${t.summary.balancing}`,
    '',
    `**Conclusion.** ${t.summary.conclusion}`,
    '',
  ].join('\n');
}

/** The record as a printable HTML page (the Markdown subset `assessmentMarkdown` writes). */
export function assessmentHtml(markdown: string): string {
  return printableHtml(markdown);
}
