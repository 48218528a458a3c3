import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { createRedactor } from '../redactor.ts';
import { loadCorpus } from '../train/corpus.ts';
import { measureHeldOut, type SetFigures } from '../train/train-person-model.ts';
import type { BaselineRedactor } from './baseline.ts';

const require = createRequire(import.meta.url);

/**
 * Person names on the held-out fifth of the shared material (src/redact/train/corpus.ts), scored
 * by the convention of ner/README.md: the redactor as shipped, the list-and-rules recogniser it
 * replaced (figures recorded in person-before.json) and `redact-pii` from the same run.
 */
export function personHeldOut(evalDir: string, baseline: BaselineRedactor) {
  if (!existsSync(join(evalDir, 'ner'))) return undefined;
  const docs = loadCorpus(evalDir);
  const ours = createRedactor({ categories: ['PERSON'] });
  const now = measureHeldOut(docs, (t) => ours.redact(t).spans);
  const base = measureHeldOut(docs, (t) =>
    baseline.spans(t).filter((s) => s.category === 'PERSON'),
  );
  const before = (require('./person-before.json') as { heldOut: SetFigures[] }).heldOut;
  const lines = [
    '== PERSON on the held-out fifth of ../shared/eval (ner/ tweets, eds-pseudo, presidio-synth; not trained on)',
    'names not @handles; found = predicted spans cover >= 50 % of the name; a prediction on a place or organisation is neutral',
    'set                                            names | now R  P     | before R  P  | redact-pii R  P',
  ];
  now.forEach((f, i) => {
    const b = before.find((x) => x.name === f.name);
    const r = base[i]!;
    const target =
      i === 0
        ? f.recall >= 0.8 && f.precision >= 0.85
          ? '  target met'
          : '  < target R 0.80 P 0.85'
        : '';
    lines.push(
      `${f.name.padEnd(46)} ${String(f.gold).padStart(5)} | ${f.recall.toFixed(3)} ${f.precision.toFixed(3)} | ${b ? `${b.recall.toFixed(3)} ${b.precision.toFixed(3)}` : '  -     -  '} | ${r.recall.toFixed(3)} ${r.precision.toFixed(3)}${target}`,
    );
  });
  return { text: lines.join('\n'), now, before, redactPii: base };
}
