import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createRedactor } from '../redactor.ts';
import { createBaseline } from './baseline.ts';
import { type EvalDoc, loadDocs } from './dataset.ts';
import { personHeldOut } from './person-heldout.ts';
import {
  EVAL_CATEGORIES,
  type Metrics,
  metrics,
  type PredSpan,
  rollUp,
  scoreDoc,
  type Tally,
  type TallyKey,
  toPredSpans,
} from './score.ts';

/** The targets, checked at >= 50 % overlap. */
export const TARGETS: Readonly<Record<string, { recall: number; precision?: number }>> = {
  EMAIL: { recall: 0.98, precision: 0.95 },
  PHONE: { recall: 0.98, precision: 0.95 },
  IBAN: { recall: 0.98, precision: 0.95 },
  CARD: { recall: 0.98, precision: 0.95 },
  IP: { recall: 0.98, precision: 0.95 },
  NIR: { recall: 0.98, precision: 0.95 },
  PERSON: { recall: 0.85 },
  ADDRESS: { recall: 0.8 },
};

interface SystemResult {
  name: string;
  seconds: number;
  tallies: Map<TallyKey, Tally>;
}

/**
 * Scores one system. The time is of a second pass over the documents (the first loads name lists
 * and compiles, which is most of it for the first system run and would make the two incomparable),
 * finding only, scoring left out.
 */
function runSystem(name: string, docs: EvalDoc[], find: (text: string) => PredSpan[]) {
  const tallies = new Map<TallyKey, Tally>();
  for (const doc of docs) scoreDoc(doc, find(doc.text), tallies);
  const t0 = performance.now();
  for (const doc of docs) find(doc.text);
  return { name, seconds: (performance.now() - t0) / 1000, tallies };
}

const LANGS = ['en', 'fr', '*'] as const;
const SOURCES = ['presidio-synth', 'presidio-cases', 'eds-pseudo'] as const;

function fmt(x: number): string {
  return x.toFixed(3);
}

function table(r: SystemResult): string {
  const lines = [
    `== ${r.name} (${r.seconds.toFixed(2)} s for all documents, warm)`,
    'category lang  gold  | exact P  R     F1    | >=50% P  R     F1    | neutral',
  ];
  for (const c of EVAL_CATEGORIES) {
    for (const lang of LANGS) {
      const t = rollUp(r.tallies, lang, c);
      const e = metrics(t.exact);
      const o = metrics(t.overlap);
      if (e.gold === 0 && e.predicted === 0) continue;
      const target = TARGETS[c];
      const miss =
        lang !== '*' &&
        target &&
        e.gold > 0 &&
        (o.recall < target.recall ||
          (target.precision !== undefined && o.precision < target.precision))
          ? '  < target'
          : '';
      lines.push(
        `${c.padEnd(8)} ${(lang === '*' ? 'all' : lang).padEnd(4)} ${String(e.gold).padStart(5)} | ${fmt(e.precision)} ${fmt(e.recall)} ${fmt(e.f1)} | ${fmt(o.precision)} ${fmt(o.recall)} ${fmt(o.f1)} | ${t.neutral}${miss}`,
      );
    }
  }
  return lines.join('\n');
}

function toJson(r: SystemResult) {
  const out: Record<
    string,
    Record<string, Record<string, { exact: Metrics; overlap: Metrics; neutral: number }>>
  > = {};
  for (const source of ['*', ...SOURCES]) {
    const bySource: (typeof out)[string] = {};
    for (const lang of LANGS) {
      const byLang: (typeof bySource)[string] = {};
      for (const c of EVAL_CATEGORIES) {
        const t = rollUp(r.tallies, lang, c, source);
        const exact = metrics(t.exact);
        if (exact.gold === 0 && exact.predicted === 0) continue;
        byLang[c] = { exact, overlap: metrics(t.overlap), neutral: t.neutral };
      }
      bySource[lang === '*' ? 'all' : lang] = byLang;
    }
    out[source === '*' ? 'all' : source] = bySource;
  }
  return { seconds: r.seconds, scores: out };
}

export function runEval(dataDir: string, outFile: string): void {
  const docs = loadDocs(dataDir);
  const ours = createRedactor({ defaultRegion: 'FR' });
  const baseline = createBaseline();
  const results = [
    runSystem('veto redactor', docs, (t) => toPredSpans(ours.redact(t).spans)),
    runSystem('redact-pii (baseline)', docs, (t) => baseline.spans(t)),
  ];
  console.log(`${docs.length} documents from ${dataDir}`);
  console.log('P/R/F1 at span level; >=50% = overlap covers half of both spans; neutral =');
  console.log('predictions on labelled non-target spans (dates, organisations), not counted.\n');
  for (const r of results) console.log(`${table(r)}\n`);
  const persons = personHeldOut(join(dataDir, '..'), baseline);
  if (persons) console.log(`${persons.text}\n`);
  else console.log(`(no ${join(dataDir, '..', 'ner')}: person figures on real text skipped)\n`);
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(
    outFile,
    `${JSON.stringify(
      {
        data: dataDir,
        documents: docs.length,
        targets: TARGETS,
        systems: Object.fromEntries(results.map((r) => [r.name, toJson(r)])),
        personHeldOut: persons && {
          now: persons.now,
          before: persons.before,
          redactPii: persons.redactPii,
        },
      },
      null,
      2,
    )}\n`,
  );
  console.log(`written ${outFile}`);
}
