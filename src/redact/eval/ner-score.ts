import type { LabelledDoc } from '../train/corpus.ts';

/*
 * The scoring convention of the shared named-entity material (ner/README.md), the one the project
 * is judged by:
 * - a gold person name counts as found when predicted PERSON spans cover at least half of its
 *   characters;
 * - a predicted PERSON span that overlaps no gold entity counts against precision; one that
 *   overlaps a gold location, organisation or other entity is neutral;
 * - @handles labelled as persons are scored apart (the handle recogniser redacts them).
 */

export interface Range {
  start: number;
  end: number;
}

export interface PersonTally {
  /** Gold person names, @handles left out. */
  gold: number;
  /** Of those, covered to at least half of their characters. */
  found: number;
  /** Predicted spans that overlap a gold person name. */
  right: number;
  /** Predicted spans that overlap no gold entity at all. */
  wrong: number;
  /** Predicted spans on a place, organisation, other entity or handle: not counted. */
  neutral: number;
}

export function emptyTally(): PersonTally {
  return { gold: 0, found: 0, right: 0, wrong: 0, neutral: 0 };
}

const overlaps = (a: Range, b: Range) => a.start < b.end && b.start < a.end;

/** Characters of `g` covered by the union of `pred`. */
function covered(g: Range, pred: readonly Range[]): number {
  const marks = new Uint8Array(g.end - g.start);
  for (const p of pred) {
    for (let i = Math.max(p.start, g.start); i < Math.min(p.end, g.end); i++)
      marks[i - g.start] = 1;
  }
  let n = 0;
  for (const m of marks) n += m;
  return n;
}

export function scorePersons(doc: LabelledDoc, predicted: readonly Range[], t: PersonTally): void {
  const persons = doc.entities.filter((e) => e.type === 'PER' && !e.handle);
  t.gold += persons.length;
  for (const g of persons) if (covered(g, predicted) * 2 >= g.end - g.start) t.found++;
  for (const p of predicted) {
    if (persons.some((g) => overlaps(g, p))) t.right++;
    else if (doc.entities.some((e) => overlaps(e, p))) t.neutral++;
    else t.wrong++;
  }
}

export function addTally(into: PersonTally, t: PersonTally): void {
  into.gold += t.gold;
  into.found += t.found;
  into.right += t.right;
  into.wrong += t.wrong;
  into.neutral += t.neutral;
}

export function recallOf(t: PersonTally): number {
  return t.gold === 0 ? 1 : t.found / t.gold;
}
export function precisionOf(t: PersonTally): number {
  return t.right + t.wrong === 0 ? 1 : t.right / (t.right + t.wrong);
}
