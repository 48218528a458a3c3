/**
 * False drops of the named-objector rule (`src/gate/named-subjects.ts`) on real text:
 * `npx tsx eval/named-objectors.ts` (shared/eval beside the project, or VETO_EVAL_DIR).
 *
 * Objectors' display names and handles are generated (faker, fixed seed, English, French and
 * German): full names, lone first names, names made of ordinary words ("Red Fox") and handles.
 * None of these people is in the texts, so every text a name matches is an unrelated record that
 * would be dropped: a false drop. Texts: every document of ../shared/eval/pii (presidio synth and
 * cases, eds-pseudo) and every sentence of ../shared/eval/ner (tweets). Printed for the rule the
 * gate applies and for a naive one (every display name, any case).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { de, en, Faker, fr } from '@faker-js/faker';
import { NamedSubjectFinder } from '../src/gate/named-subjects.ts';
import { loadDocs } from '../src/redact/eval/dataset.ts';
import { sharedEvalDir } from '../src/redact/eval/eval-dir.ts';
import { createObjectorRecognizer } from '../src/redact/recognizers/objector-terms.ts';
import type { PiiSpan } from '../src/redact/types.ts';

const dir = sharedEvalDir();
if (!dir) {
  console.error('no shared/eval folder (set VETO_EVAL_DIR)');
  process.exit(2);
}

const texts: string[] = loadDocs(join(dir, 'pii')).map((d) => d.text);
for (const file of readdirSync(join(dir, 'ner')).filter((f) => f.endsWith('.conll'))) {
  let words: string[] = [];
  for (const line of readFileSync(join(dir, 'ner', file), 'utf8').split('\n')) {
    const token = line.split('\t')[0]?.trim();
    if (!token) {
      if (words.length > 0) texts.push(words.join(' '));
      words = [];
    } else words.push(token);
  }
  if (words.length > 0) texts.push(words.join(' '));
}

const ORDINARY = [
  'Red',
  'Fox',
  'The',
  'Best',
  'Good',
  'Vibes',
  'Happy',
  'Days',
  'Blue',
  'Sky',
  'Big',
  'Love',
];
const accounts = [] as { accountId: string; handles: string[]; displayNames: string[] }[];
const COUNT = 10_000;
for (const [i, locale] of [en, fr, de].entries()) {
  const faker = new Faker({ locale: [locale, en] });
  faker.seed(42 + i);
  for (let k = 0; k < COUNT / 3; k++) {
    const style = k % 10;
    const first = faker.person.firstName();
    const last = faker.person.lastName();
    const displayNames =
      style < 6
        ? [`${first} ${last}`]
        : style < 8
          ? [first]
          : [`${ORDINARY[k % ORDINARY.length]} ${ORDINARY[(k * 7 + 3) % ORDINARY.length]}`];
    accounts.push({
      accountId: `a${i}-${k}`,
      handles: [faker.internet.username({ firstName: first, lastName: last })],
      displayNames,
    });
  }
}

const finder = new NamedSubjectFinder(accounts, []);
const naive = createObjectorRecognizer(
  accounts.flatMap((a) => [...a.displayNames, ...a.handles.map((h) => `@${h}`)]),
);
let ruleDrops = 0;
let naiveDrops = 0;
const spans: PiiSpan[] = [];
const examples: string[] = [];
for (const text of texts) {
  const found = finder.find(text);
  if (found) {
    ruleDrops++;
    if (examples.length < 5) examples.push(`${found.join(',')}: ${text.slice(0, 100)}`);
  }
  spans.length = 0;
  naive.find(text, spans);
  if (spans.length > 0) naiveDrops++;
}
const pct = (n: number) => `${((100 * n) / texts.length).toFixed(2)} %`;
console.log(
  `named objectors on ../shared/eval: ${texts.length.toLocaleString('en')} texts, ${accounts.length.toLocaleString('en')} objectors (60 % full names, 20 % lone first names, 20 % ordinary words; one handle each)`,
);
console.log(
  `  display names used by the rule: ${(accounts.length - finder.skippedDisplayNames).toLocaleString('en')} of ${accounts.length.toLocaleString('en')}`,
);
console.log(`  false drops, the gate's rule: ${ruleDrops} texts (${pct(ruleDrops)})`);
console.log(
  `  false drops, every display name in any case: ${naiveDrops} texts (${pct(naiveDrops)})`,
);
for (const e of examples) console.log(`    e.g. ${e}`);
