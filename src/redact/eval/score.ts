import type { PiiCategory, PiiSpan } from '../types.ts';
import { EVAL_CATEGORIES, type EvalCategory, type EvalDoc, type GoldSpan } from './dataset.ts';

/** Our categories as scored; HANDLE, PROFILE_URL have no gold labels and are not scored. */
const PREDICTED: Partial<Record<PiiCategory, EvalCategory>> = {
  EMAIL: 'EMAIL',
  PHONE: 'PHONE',
  IBAN: 'IBAN',
  CARD: 'CARD',
  IP: 'IP',
  NIR: 'NIR',
  ADDRESS: 'ADDRESS',
  PERSON: 'PERSON',
  OBJECTOR: 'PERSON',
};

export interface PredSpan {
  category: EvalCategory;
  start: number;
  end: number;
}

export function toPredSpans(spans: readonly PiiSpan[]): PredSpan[] {
  const out: PredSpan[] = [];
  for (const s of spans) {
    const category = PREDICTED[s.category];
    if (category) out.push({ category, start: s.start, end: s.end });
  }
  return out;
}

export interface Counts {
  tp: number;
  fp: number;
  fn: number;
}
export type Mode = 'exact' | 'overlap';
export interface Tally {
  exact: Counts;
  overlap: Counts;
  /** Predictions that landed on a labelled non-target span (a date, an organisation): not FPs. */
  neutral: number;
}

const inter = (a: { start: number; end: number }, b: { start: number; end: number }) =>
  Math.max(0, Math.min(a.end, b.end) - Math.max(a.start, b.start));

/**
 * ">= 50 % overlap": the shared characters cover at least half of the gold span *and* half of
 * the predicted span, so neither a tiny prediction inside a long address nor a prediction that
 * swallows a whole line counts.
 */
export function overlapMatch(g: { start: number; end: number }, p: { start: number; end: number }) {
  const i = inter(g, p);
  return i > 0 && i * 2 >= Math.max(g.end - g.start, p.end - p.start);
}

function matchCount(gold: GoldSpan[], pred: PredSpan[], mode: Mode): number {
  if (mode === 'exact') {
    const keys = new Set(gold.map((g) => `${g.start}:${g.end}`));
    let n = 0;
    for (const p of pred) {
      const k = `${p.start}:${p.end}`;
      if (keys.delete(k)) n++;
    }
    return n;
  }
  // Greedy one-to-one by largest overlap.
  const pairs: [number, number, number][] = [];
  gold.forEach((g, gi) => {
    pred.forEach((p, pi) => {
      if (overlapMatch(g, p)) pairs.push([inter(g, p), gi, pi]);
    });
  });
  pairs.sort((a, b) => b[0] - a[0]);
  const gUsed = new Set<number>();
  const pUsed = new Set<number>();
  for (const [, gi, pi] of pairs) {
    if (gUsed.has(gi) || pUsed.has(pi)) continue;
    gUsed.add(gi);
    pUsed.add(pi);
  }
  return gUsed.size;
}

export type TallyKey = `${string}|${string}|${EvalCategory}`;

/** Tallies one document into `into`, keyed by source|lang|category. */
export function scoreDoc(doc: EvalDoc, predicted: PredSpan[], into: Map<TallyKey, Tally>): void {
  const nonTarget = doc.gold.filter((g) => g.category === undefined);
  for (const category of doc.scored) {
    const gold = doc.gold.filter((g) => g.category === category);
    let pred = predicted.filter((p) => p.category === category);
    // A prediction on a span labelled as something we do not target (a date, a hospital name) is
    // neither required nor wrong: label_map.json's rule for non-target labels.
    const before = pred.length;
    pred = pred.filter(
      (p) =>
        gold.some((g) => inter(g, p) > 0) ||
        !nonTarget.some((n) => inter(n, p) * 2 >= p.end - p.start),
    );
    const key: TallyKey = `${doc.source}|${doc.lang}|${category}`;
    let t = into.get(key);
    if (!t) {
      t = { exact: { tp: 0, fp: 0, fn: 0 }, overlap: { tp: 0, fp: 0, fn: 0 }, neutral: 0 };
      into.set(key, t);
    }
    t.neutral += before - pred.length;
    for (const mode of ['exact', 'overlap'] as const) {
      const m = matchCount(gold, pred, mode);
      t[mode].tp += m;
      t[mode].fp += pred.length - m;
      t[mode].fn += gold.length - m;
    }
  }
}

export interface Metrics {
  gold: number;
  predicted: number;
  precision: number;
  recall: number;
  f1: number;
}

export function metrics(c: Counts): Metrics {
  const gold = c.tp + c.fn;
  const predicted = c.tp + c.fp;
  const precision = predicted === 0 ? (gold === 0 ? 1 : 0) : c.tp / predicted;
  const recall = gold === 0 ? 1 : c.tp / gold;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { gold, predicted, precision, recall, f1 };
}

/** Sums the tallies whose source and language match the filters ('*' = any). */
export function rollUp(
  tallies: Map<TallyKey, Tally>,
  lang: string,
  category: EvalCategory,
  source = '*',
): Tally {
  const sum: Tally = {
    exact: { tp: 0, fp: 0, fn: 0 },
    overlap: { tp: 0, fp: 0, fn: 0 },
    neutral: 0,
  };
  for (const [key, t] of tallies) {
    const [s, l, c] = key.split('|');
    if (c !== category || (lang !== '*' && l !== lang) || (source !== '*' && s !== source))
      continue;
    for (const mode of ['exact', 'overlap'] as const) {
      sum[mode].tp += t[mode].tp;
      sum[mode].fp += t[mode].fp;
      sum[mode].fn += t[mode].fn;
    }
    sum.neutral += t.neutral;
  }
  return sum;
}

export { EVAL_CATEGORIES };
