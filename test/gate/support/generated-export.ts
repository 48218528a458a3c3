import fc from 'fast-check';
import { AUDIENCES, CONTENT_KINDS } from '../../../src/gate/record-vocabulary.ts';

/**
 * Generated content exports for comparing the gate with another engine running the policy's SQL
 * (`veto policy sql`): records in the export schema with every field the rules read, each
 * valid most of the time and otherwise missing, empty, out of range or of an odd but well-typed
 * shape (so that `read_json` with the schema's column types reads them). A `seq` field (the
 * record's 0-based line) lets the two engines' decisions be paired.
 *
 * Not generated, because the SQL contract types the columns (docs/scale.md): values of another
 * JSON type than the column's (a number as `created_at`, a string as `author_minor`), and
 * duplicate keys.
 */
export const ACCOUNTS = Array.from({ length: 30 }, (_, i) => `u${i}`);
/** The accounts that objected, in the registry the generated exports are judged against. */
export const OBJECTORS = ACCOUNTS.slice(0, 6);

const oneOf = <T>(...values: T[]) => fc.constantFrom(...values);
/** `value` in a clean record; in a flawed one, `value` or one of the flaws. */
let flawed = false;
function mostly<T>(value: fc.Arbitrary<T>, ...flaws: fc.Arbitrary<unknown>[]) {
  const clean = fc.oneof(
    { arbitrary: value, weight: 10 },
    ...flaws.map((f) => ({ arbitrary: f, weight: 1 })),
  );
  return flawed ? clean : value;
}
/** Values the policies under test keep, more often than the others. */
function often<T>(liked: T[], all: readonly T[]) {
  return fc.oneof(
    { arbitrary: oneOf(...liked), weight: 3 },
    { arbitrary: oneOf(...all), weight: 2 },
  );
}
const ABSENT = Symbol('absent');
const absent = fc.constant(ABSENT);

const account = fc.oneof(oneOf(...ACCOUNTS), fc.integer({ min: 0, max: 29 }));
const two = (min: number, max: number) =>
  fc.integer({ min, max }).map((n) => String(n).padStart(2, '0'));

const timestamp = () =>
  fc
    .record({
      y: oneOf('2024', '2025', '2026'),
      mo: mostly(two(1, 12), two(0, 0), two(13, 13)),
      d: mostly(two(1, 28), two(29, 31), two(0, 0), two(32, 32)),
      h: mostly(two(0, 23), oneOf('24')),
      mi: mostly(two(0, 59), oneOf('60')),
      s: mostly(two(0, 59), oneOf('60')),
      f: mostly(oneOf('', '.5', '.123', '.999999', '.0000'), oneOf('.')),
      sep: oneOf('T', ' '),
      zone: mostly(oneOf('Z', '', '+01:00', '-0530', '+23:59'), oneOf('+24:00', '+01:60')),
      shape: oneOf('full', 'full', 'minutes', 'date'),
    })
    .map((t) =>
      t.shape === 'date'
        ? `${t.y}-${t.mo}-${t.d}`
        : t.shape === 'minutes'
          ? `${t.y}-${t.mo}-${t.d}${t.sep}${t.h}:${t.mi}${t.zone}`
          : `${t.y}-${t.mo}-${t.d}${t.sep}${t.h}:${t.mi}:${t.s}${t.f}${t.zone}`,
    );

const mediaItem = oneOf<unknown>(
  {},
  { 'cawg.training-mining': 'allowed' },
  { 'cawg.training-mining': 'notAllowed' },
  { training_mining: 'constrained' },
  { 'cawg.training-mining': null, training_mining: 'allowed' },
  { 'cawg.training-mining': null, training_mining: 'notAllowed' },
  { 'cawg.training-mining': { entries: { 'cawg.ai_training': { use: 'allowed' } } } },
  { 'cawg.training-mining': { entries: { 'cawg.ai_training': { use: 'notAllowed' } } } },
  { 'cawg.training-mining': { 'cawg.data_mining': 'allowed', 'c2pa.ai_training': 'allowed' } },
  { 'cawg.training-mining': { 'c2pa.ai_generative_training': 'constrained' } },
  { 'cawg.training-mining': { 'c2pa.data_mining': null } },
  { 'cawg.training-mining': { 'cawg.ai_training': { use: 5 } } },
  { 'cawg.training-mining': { 'cawg.ai_training': ['allowed'] } },
  { 'cawg.training-mining': { entries: null, 'cawg.ai_training': 'notAllowed' } },
  { 'cawg.training-mining': { entries: 'x' } },
  { 'cawg.training-mining': { other: 'notAllowed' } },
  { 'cawg.training-mining': true },
  { 'cawg.training-mining': 3 },
  { 'cawg.training-mining': ['notAllowed'] },
  { 'plus:DataMining': 'http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED' },
  { 'plus:DataMining': 'http://ns.useplus.org/ldf/vocab/DMI-ALLOWED' },
  { data_mining: 'dmi-unspecified' },
  { data_mining: 'DMI-PROHIBITED-AIMLTRAINING' },
  { 'plus:DataMining': null, data_mining: 'DMI-ALLOWED' },
  { 'plus:DataMining': 7 },
  { 'plus:DataMining': { v: 'DMI-ALLOWED' } },
  { 'plus:DataMining': 'DMI-ALLOWED', 'cawg.training-mining': 'allowed' },
);

function recordOf(withFlaws: boolean) {
  flawed = withFlaws;
  return fc.record({
    id: mostly(
      fc.constant('id'),
      fc.integer({ min: 1, max: 1e6 }),
      absent,
      oneOf(null, '', 'a\u0001b', 'x'.repeat(501)),
    ),
    author_id: mostly(account, absent, oneOf(null, '', 'has space', 'tab\tbed', 'y'.repeat(501))),
    kind: mostly(often(['post', 'comment'], CONTENT_KINDS), absent, oneOf(null, '', 'story')),
    audience: mostly(often(['public'], AUDIENCES), absent, oneOf(null, '', 'everyone')),
    created_at: mostly(timestamp(), absent, oneOf(null, 'yesterday', '2025-06-01T12:00:00', '')),
    text: mostly(
      oneOf('hello', 'mail me at ana@example.org', '', 'call +33 6 12 34 56 78'),
      absent,
      fc.constant(null),
    ),
    author_minor: mostly(
      oneOf<unknown>(ABSENT, false, false, false, true),
      oneOf<unknown>(null, ABSENT),
    ),
    author_age: mostly(
      oneOf<unknown>(12, 15, 16, 17, 17.9, 18, 35, 40, 0),
      oneOf<unknown>(-1, null, ABSENT),
    ),
    region: mostly(often(['FR'], ['FR', 'DE', 'fr', 'US', 'gb']), absent, oneOf(null, '')),
    media: fc.oneof(
      { arbitrary: absent, weight: 4 },
      { arbitrary: fc.array(mediaItem, { minLength: 1, maxLength: 3 }), weight: 3 },
      {
        arbitrary: mostly(oneOf<unknown>(null, []), oneOf<unknown>({}, 'x', [1], [null])),
        weight: 1,
      },
    ),
    mentions: fc.oneof(
      { arbitrary: absent, weight: 4 },
      {
        arbitrary: fc.array(
          mostly(
            fc.oneof(
              account.map(String),
              fc.integer({ min: 0, max: 29 }),
              oneOf('email:0a1b', 'acct:u1', 'acct:u20'),
            ),
            oneOf(null, 'has space', ''),
          ),
          { minLength: 1, maxLength: 3 },
        ),
        weight: 3,
      },
      { arbitrary: oneOf<unknown>(null, []), weight: 1 },
    ),
    depicts_minor: oneOf<unknown>(ABSENT, ABSENT, true, false, null),
    sensitive: oneOf<unknown>(ABSENT, ABSENT, true, false, null),
  });
}

const record = fc.oneof(
  { arbitrary: recordOf(false), weight: 3 },
  { arbitrary: recordOf(true), weight: 1 },
);

/** `count` records as JSONL lines, the same for the same seed. */
export function generatedExport(seed: number, count: number): string {
  const rows = fc.sample(record, { seed, numRuns: count });
  return rows
    .map((r, seq) => {
      const out: Record<string, unknown> = { seq };
      for (const [k, v] of Object.entries(r)) {
        if (v === ABSENT) continue;
        out[k] = k === 'id' && v === 'id' ? `p${seq}` : v;
      }
      return `${JSON.stringify(out)}\n`;
    })
    .join('');
}
