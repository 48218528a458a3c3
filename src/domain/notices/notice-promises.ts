import { type Policy, REDACTION_CATEGORIES } from '../../gate/policy-schema.ts';
import { CONTENT_KINDS } from '../../gate/record-vocabulary.ts';
import type { FieldIssue } from '../errors.ts';

/**
 * What a notice promises, tied to the policy the gate runs. A statement in a notice text about
 * what is used, excluded or redacted carries a marker at the end of its line, the same in every
 * language, which the reader never sees:
 *
 *     - Private messages with friends and family {promise: excluded private-messages}
 *     Names, email addresses ... are removed {promise: redacted PERSON EMAIL HANDLE}
 *
 * Publication checks the markers against the tied policy (the one whose `notice.version` is this
 * version): a promise the policy does not keep is refused, naming the promise and the line; so is
 * content the policy uses that no statement announces, and a language that leaves out a promise
 * another language makes. Free text itself cannot be checked: the marker is the author's claim
 * of what the line says, reviewed with the translation.
 */
export type PromiseKind = 'used' | 'excluded' | 'redacted';

/** What a notice can say is never used, and how a policy keeps it. */
export const EXCLUSIONS = {
  /** Private messages between people: the policy schema refuses them (always excluded). */
  'private-messages': () => true,
  /** People who objected: Veto honours every objection whatever the policy says. */
  objectors: () => true,
  /** Media flagged "do not train": always honoured (`media.doNotTrain` has one value). */
  'do-not-train-media': () => true,
  'minor-accounts': (p: Policy) => p.minors.excludeAccounts,
  'content-depicting-minors': (p: Policy) => p.minors.excludeContentDepictingMinors,
  'special-category-data': (p: Policy) => p.sensitive.exclude,
} as const satisfies Record<string, (p: Policy) => boolean>;
export type Exclusion = keyof typeof EXCLUSIONS;

const VOCABULARY: Record<PromiseKind, readonly string[]> = {
  used: CONTENT_KINDS,
  excluded: Object.keys(EXCLUSIONS),
  redacted: REDACTION_CATEGORIES,
};

export interface NoticePromise {
  kind: PromiseKind;
  item: string;
  /** 1-based line of the marker in its text. */
  line: number;
}

const MARKER = /\{promise:([^}]*)\}/g;
const STRIP = /[ \t]*\{promise:[^}]*\}/g;

/** The text as readers get it: markers removed. */
export function stripPromiseMarkers(markdown: string): string {
  return markdown.replace(STRIP, '');
}

/** Reads the markers of one text; unknown kinds or items are issues with their line. */
export function readPromises(
  markdown: string,
  field: string,
): { promises: NoticePromise[]; issues: FieldIssue[] } {
  const promises: NoticePromise[] = [];
  const issues: FieldIssue[] = [];
  markdown.split('\n').forEach((text, i) => {
    for (const m of text.matchAll(MARKER)) {
      const [kind, ...items] = m[1]!.trim().split(/[\s,]+/);
      if (!kind || !(kind in VOCABULARY)) {
        issues.push({
          field,
          reason: `line ${i + 1}: "{promise:${m[1]}}" must start with used, excluded or redacted`,
        });
        continue;
      }
      const known = VOCABULARY[kind as PromiseKind];
      if (items.length === 0)
        issues.push({ field, reason: `line ${i + 1}: "{promise: ${kind}}" names nothing` });
      for (const item of items) {
        if (!known.includes(item)) {
          issues.push({
            field,
            reason: `line ${i + 1}: unknown ${kind} item "${item}" (known: ${known.join(', ')})`,
          });
          continue;
        }
        promises.push({ kind: kind as PromiseKind, item, line: i + 1 });
      }
    }
  });
  return { promises, issues };
}

export const promiseLabel = (p: { kind: PromiseKind; item: string }) => `${p.kind} ${p.item}`;

/** Why `policy` does not keep `promise`, or undefined when it does. */
export function brokenBy(promise: NoticePromise, policy: Policy): string | undefined {
  if (promise.kind === 'excluded') {
    return EXCLUSIONS[promise.item as Exclusion](policy)
      ? undefined
      : {
          'minor-accounts': 'minors.excludeAccounts is false',
          'content-depicting-minors': 'minors.excludeContentDepictingMinors is false',
          'special-category-data': 'sensitive.exclude is false',
        }[promise.item];
  }
  if (promise.kind === 'redacted') {
    if (!policy.redaction.enabled) return 'redaction.enabled is false';
    return (policy.redaction.categories as string[]).includes(promise.item)
      ? undefined
      : `redaction.categories lacks ${promise.item}`;
  }
  return undefined;
}

export interface TextPromises {
  language: string;
  promises: NoticePromise[];
}

/**
 * Every issue between the texts' promises and the tied policy (`policyName` names it in the
 * messages). `field` of each issue is the text's (`texts.<lang>.markdown`) or `policy`.
 */
export function checkPromises(
  texts: TextPromises[],
  policy: Policy,
  policyName: string,
): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const all = new Map<string, NoticePromise>();
  for (const t of texts) for (const p of t.promises) all.set(promiseLabel(p), p);
  for (const t of texts) {
    const field = `texts.${t.language}.markdown`;
    const own = new Set(t.promises.map(promiseLabel));
    for (const p of t.promises) {
      const why = brokenBy(p, policy);
      if (why)
        issues.push({
          field,
          reason: `line ${p.line}: the promise "${promiseLabel(p)}" is not kept by policy ${policyName} (${why})`,
        });
    }
    for (const label of all.keys())
      if (!own.has(label))
        issues.push({
          field,
          reason: `does not make the promise "${label}" that other languages make`,
        });
  }
  const used = new Set([...all.values()].filter((p) => p.kind === 'used').map((p) => p.item));
  for (const kind of policy.content.kinds)
    if (!used.has(kind))
      issues.push({
        field: 'policy',
        reason: `policy ${policyName} uses content of kind "${kind}", which no text announces ({promise: used ${kind}})`,
      });
  return issues;
}
