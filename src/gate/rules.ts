import type { Policy } from './policy-schema.ts';
import type { Reason } from './reasons.ts';
import { parseTimestamp } from './record-fields.ts';
import { PRIVATE_MESSAGE_KIND } from './record-vocabulary.ts';

/**
 * The gate's exclusion rules, and nothing else: what a record's facts and its subjects'
 * objections decide. First match wins, in the order of `REASONS` (reasons.ts, docs/gate.md
 * "Decisions"). Pure: the same facts, rules and lookups always give the same reason, which is what
 * lets every record reader (the WebAssembly scanner, its JavaScript twin, `JSON.parse`) feed the
 * same rules and makes a build's output independent of how it was read or on which thread.
 *
 * `duplicate-id` and `notice-period` are decided after judging (they need the whole export or
 * the registry) and `malformed` before (a record whose facts cannot be read); see
 * `record-validation.ts`.
 */

/** What the rules read of one record, validated (`RecordValidator.facts`). */
export interface RecordFacts {
  /** The content kind, after the mapping's translation. */
  kind: string;
  /** The audience, after the mapping's translation. */
  audience: string;
  /** `author_minor` as given (undefined when absent). */
  authorMinor: boolean | undefined;
  /** `author_age` as given (undefined when absent). */
  authorAge: number | undefined;
  depictsMinor: boolean;
  sensitive: boolean;
  /** The author's region in capitals; read only when the policy lists regions. */
  region: string | undefined;
  /** `created_at` as epoch ms; read only when the policy has `content.notBefore` (else NaN). */
  createdAt: number;
  /** Why an attached media item says "do not train" (CAWG / IPTC), if one does. */
  mediaFlag: string | undefined;
}

/** Whether a record's subjects objected: its author, or a person it mentions or names. */
export interface SubjectLookups {
  authorObjected: boolean;
  /** Any subject other than the author; counts only when the policy covers mentions. */
  mentionObjected: boolean;
}

/** A policy's record rules, compiled once per build (sets for the lists, the cut-off parsed). */
export interface RuleSet {
  readonly kinds: ReadonlySet<string>;
  readonly audiences: ReadonlySet<string>;
  /** Undefined: every region. */
  readonly regions: ReadonlySet<string> | undefined;
  /** `content.notBefore` as epoch ms; undefined: no cut-off. */
  readonly notBefore: number | undefined;
  readonly coverMentions: boolean;
  readonly excludeMinorAccounts: boolean;
  readonly adultAge: number;
  readonly excludeContentDepictingMinors: boolean;
  readonly excludeSensitive: boolean;
}

export function compileRules(policy: Policy): RuleSet {
  return {
    kinds: new Set(policy.content.kinds),
    audiences: new Set(policy.content.audiences),
    regions: policy.content.regions ? new Set(policy.content.regions) : undefined,
    notBefore: policy.content.notBefore ? parseTimestamp(policy.content.notBefore) : undefined,
    coverMentions: policy.objections.coverMentions,
    excludeMinorAccounts: policy.minors.excludeAccounts,
    adultAge: policy.minors.adultAge,
    excludeContentDepictingMinors: policy.minors.excludeContentDepictingMinors,
    excludeSensitive: policy.sensitive.exclude,
  };
}

/** Every rule, first match wins: the decision for one record that could be read. */
export function decide(facts: RecordFacts, rules: RuleSet, lookups: SubjectLookups): Reason {
  return subjectRule(lookups, rules) ?? contentRule(facts, rules);
}

/**
 * The first two rules, on the record's subjects. Why apart from the others: the judge asks the
 * objector set for a whole batch of authors at once (`ObjectorSet.hasAll`), after it has applied
 * `contentRule` to each record, and combines the two as `decide` does.
 */
export function subjectRule(lookups: SubjectLookups, rules: RuleSet): Reason | undefined {
  if (lookups.authorObjected) return 'objected';
  if (rules.coverMentions && lookups.mentionObjected) return 'objected-mention';
  return undefined;
}

/** The rules on the record's own facts: every rule after the subjects'. */
export function contentRule(facts: RecordFacts, rules: RuleSet): Reason {
  const kind = facts.kind;
  if (kind === PRIVATE_MESSAGE_KIND) return 'private-message';
  if (!rules.kinds.has(kind)) return 'kind';
  if (rules.excludeMinorAccounts && isMinor(facts, rules)) return 'minor';
  if (rules.excludeContentDepictingMinors && facts.depictsMinor) return 'minor';
  if (!rules.audiences.has(facts.audience)) return 'audience';
  if (rules.regions !== undefined && !rules.regions.has(facts.region!)) return 'region';
  if (rules.notBefore !== undefined && facts.createdAt < rules.notBefore) return 'before-cutoff';
  if (facts.mediaFlag !== undefined) return 'media-flag';
  if (rules.excludeSensitive && facts.sensitive) return 'sensitive';
  return 'kept';
}

/** A minor's account: flagged so, or younger than the policy's adult age. */
function isMinor(facts: RecordFacts, rules: RuleSet): boolean {
  return (
    facts.authorMinor === true ||
    (facts.authorAge !== undefined && facts.authorAge < rules.adultAge)
  );
}
