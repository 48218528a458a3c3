import { z } from 'zod';
import { DEFAULT_CATEGORIES } from '../redact/categories.ts';
import { AUDIENCES, CONTENT_KINDS, PRIVATE_MESSAGE_KIND } from './record-vocabulary.ts';

/**
 * The gate policy: what a training dataset may contain, as code. One schema validates a policy
 * file and documents it (field by field in docs/policy.md; keep them in step).
 */
export const POLICY_FORMAT = 'veto-policy/v1';

/** The categories a policy may ask the redactor for: all it knows (OBJECTOR is implied by terms). */
export const REDACTION_CATEGORIES = DEFAULT_CATEGORIES;

const isoDate = z
  .string()
  .regex(/^\d{4}-\d\d-\d\d(T\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d))?$/, {
    error: 'must be a date (YYYY-MM-DD) or an instant with a time zone (2025-05-27T00:00:00Z)',
  })
  .refine((s) => !Number.isNaN(Date.parse(s)), { error: 'is not a real date' });

const kind = z.enum(CONTENT_KINDS, {
  error: (issue) =>
    `unknown content kind ${JSON.stringify(issue.input)}; known kinds: ${CONTENT_KINDS.join(', ')}`,
});
const audience = z.enum(AUDIENCES, {
  error: (issue) =>
    `unknown audience ${JSON.stringify(issue.input)}; known audiences: ${AUDIENCES.join(', ')}`,
});

export const policySchema = z.strictObject({
  format: z.literal(POLICY_FORMAT, { error: `must be "${POLICY_FORMAT}"` }),
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, {
    error: 'must be 1-63 lowercase letters, digits or hyphens',
  }),
  title: z.string().min(1),
  /** Registry purpose whose objections apply; must equal the snapshot's purpose. */
  purpose: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, { error: 'must be a lowercase token' }),
  legalBasis: z.strictObject({
    article: z.string().min(1),
    interest: z.string().min(1),
    /** Where the legitimate-interest assessment for this policy lives. */
    assessment: z.string().min(1).optional(),
  }),
  notice: z.strictObject({
    version: z.string().min(1),
    minimumDays: z.number().int().min(0).max(365),
  }),
  content: z.strictObject({
    kinds: z
      .array(kind)
      .min(1, { error: 'must include at least one kind' })
      .refine((ks) => !ks.includes(PRIVATE_MESSAGE_KIND), {
        error: 'private messages between people are always excluded and cannot be included',
      }),
    audiences: z.array(audience).min(1).default(['public']),
    /** Content created before this date is excluded (reason `before-cutoff`). */
    notBefore: isoDate.optional(),
    /** ISO 3166-1 alpha-2 codes of the authors' regions; absent = every region. */
    regions: z
      .array(z.string().regex(/^[A-Z]{2}$/, { error: 'must be an ISO 3166-1 alpha-2 code (FR)' }))
      .min(1)
      .optional(),
  }),
  minors: z
    .strictObject({
      excludeAccounts: z.boolean().default(true),
      /** Required when `excludeAccounts` is false: the documented decision. */
      includeReason: z.string().min(1).optional(),
      adultAge: z.number().int().min(13).max(21).default(18),
      excludeContentDepictingMinors: z.boolean().default(true),
    })
    .default({ excludeAccounts: true, adultAge: 18, excludeContentDepictingMinors: true })
    .refine((m) => m.excludeAccounts || m.includeReason !== undefined, {
      error:
        'excludeAccounts: false needs includeReason (GDPR Art. 6(1)(f) and Art. 8 weigh children)',
      path: ['includeReason'],
    }),
  objections: z
    .strictObject({
      coverMentions: z.boolean().default(true),
      /**
       * Profile links that name an account by its id (`https://forum.example/users/{id}`): a
       * record linking to an objector's profile is treated like one mentioning them
       * (docs/gate.md "Named objectors").
       */
      profileUrls: z
        .array(
          z.string().regex(/^(https?:\/\/)?[^\s{}]+\{id\}[^\s{}]*$/, {
            error: 'a link with {id} where the account id goes: https://forum.example/users/{id}',
          }),
        )
        .default([]),
    })
    .default({ coverMentions: true, profileUrls: [] }),
  media: z
    .strictObject({
      doNotTrain: z.literal('exclude-record', {
        error: 'the only treatment is "exclude-record": "do not train" flags are always honoured',
      }),
    })
    .default({ doNotTrain: 'exclude-record' }),
  sensitive: z.strictObject({ exclude: z.boolean().default(true) }).default({ exclude: true }),
  redaction: z
    .strictObject({
      enabled: z.boolean().default(true),
      categories: z
        .array(
          z.enum(REDACTION_CATEGORIES, {
            error: (issue) =>
              `unknown category ${JSON.stringify(issue.input)}; known: ${REDACTION_CATEGORIES.join(', ')}`,
          }),
        )
        .default(['EMAIL', 'PHONE', 'IBAN', 'CARD', 'IP']),
      // `pseudonym`: the key is never in the policy (policies are stored with datasets); the
      // gate takes it from the operator (VETO_PSEUDONYM_KEY or --pseudonym-key-file).
      mode: z.enum(['placeholder', 'pseudonym']).default('placeholder'),
      defaultRegion: z
        .string()
        .regex(/^[A-Z]{2}$/)
        .optional(),
      // Public figures' names kept or redacted, and links to profiles: docs/redaction.md.
      publicFigures: z
        .strictObject({
          keep: z.boolean().default(false),
          names: z.array(z.string().min(2)).default([]),
        })
        .default({ keep: false, names: [] }),
      profileUrlPatterns: z
        .array(z.string().refine(isRegex, 'not a valid regular expression'))
        .default([]),
    })
    .default({
      enabled: true,
      categories: ['EMAIL', 'PHONE', 'IBAN', 'CARD', 'IP'],
      mode: 'placeholder',
      publicFigures: { keep: false, names: [] },
      profileUrlPatterns: [],
    }),
});

export type Policy = z.output<typeof policySchema>;

function isRegex(source: string): boolean {
  try {
    new RegExp(source, 'iu');
    return true;
  } catch {
    return false;
  }
}
