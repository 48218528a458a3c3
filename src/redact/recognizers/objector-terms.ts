import type { PiiSpan } from '../types.ts';
import type { Recognizer } from './recognizer.ts';
import { isWordCodePointAt, isWordCodePointBefore } from './word-chars.ts';

/*
 * Names and handles of third parties who objected, found everywhere, case-insensitively, at word
 * boundaries. Thousands of terms are compiled into one Aho-Corasick automaton, so the cost is one
 * pass over the text whatever the number of terms (an alternation regex of thousands of terms
 * backtracks term by term at every position).
 *
 * Case folding is per UTF-16 unit and length-preserving (a unit whose lower case is longer, like
 * "İ", folds to itself), so offsets in the folded text are offsets in the original. Whitespace of
 * any kind folds to a space.
 */
let foldTable: Uint16Array | undefined;
function fold(): Uint16Array {
  if (foldTable) return foldTable;
  const t = new Uint16Array(65536);
  for (let c = 0; c < 65536; c++) {
    if (c >= 0xd800 && c <= 0xdfff) {
      t[c] = c;
      continue;
    }
    const s = String.fromCharCode(c);
    const lower = s.toLowerCase();
    t[c] = /\s/.test(s) ? 32 : lower.length === 1 ? lower.charCodeAt(0) : c;
  }
  foldTable = t;
  return t;
}

interface Automaton {
  /** Root transitions, indexed by folded code unit (0 = none: the root is node 0). */
  root: Int32Array;
  next: Map<number, number>[];
  fail: Int32Array;
  /** Lengths of the terms that end at each node, longest first (including via fail links). */
  outputs: number[][];
}

function normalizeTerm(term: string): string {
  return term.normalize('NFC').trim().replace(/\s+/g, ' ');
}

function build(terms: readonly string[]): Automaton {
  const f = fold();
  const next: Map<number, number>[] = [new Map()];
  const outputs: number[][] = [[]];
  for (const raw of terms) {
    const term = normalizeTerm(raw);
    if (term.length === 0) continue;
    let node = 0;
    for (let i = 0; i < term.length; i++) {
      const c = f[term.charCodeAt(i)]!;
      let child = next[node]!.get(c);
      if (child === undefined) {
        child = next.length;
        next.push(new Map());
        outputs.push([]);
        next[node]!.set(c, child);
      }
      node = child;
    }
    if (!outputs[node]!.includes(term.length)) outputs[node]!.push(term.length);
  }
  const fail = new Int32Array(next.length);
  const queue: number[] = [];
  for (const child of next[0]!.values()) queue.push(child);
  for (let qi = 0; qi < queue.length; qi++) {
    const node = queue[qi]!;
    for (const [c, child] of next[node]!) {
      let f2 = fail[node]!;
      while (f2 !== 0 && !next[f2]!.has(c)) f2 = fail[f2]!;
      const target = next[f2]!.get(c);
      fail[child] = target !== undefined && target !== child ? target : 0;
      for (const len of outputs[fail[child]!]!) {
        if (!outputs[child]!.includes(len)) outputs[child]!.push(len);
      }
      queue.push(child);
    }
  }
  for (const o of outputs) o.sort((a, b) => b - a);
  const root = new Int32Array(65536);
  for (const [c, child] of next[0]!) root[c] = child;
  return { root, next, fail, outputs };
}

export function createObjectorRecognizer(terms: readonly string[]): Recognizer {
  const a = build(terms);
  const f = fold();
  return {
    name: 'objector-terms',
    categories: ['OBJECTOR'],
    mayMatch: () => a.next.length > 1,
    find(text, out: PiiSpan[]) {
      let node = 0;
      for (let i = 0; i < text.length; i++) {
        const c = f[text.charCodeAt(i)]!;
        if (node === 0) {
          node = a.root[c]!;
        } else {
          let n = a.next[node]!.get(c);
          while (n === undefined && node !== 0) {
            node = a.fail[node]!;
            n = node === 0 ? a.root[c] || undefined : a.next[node]!.get(c);
          }
          node = n ?? 0;
        }
        if (node === 0) continue;
        const lens = a.outputs[node]!;
        for (let k = 0; k < lens.length; k++) {
          const end = i + 1;
          const start = end - lens[k]!;
          // Word boundaries apply only where the term itself starts/ends with a word character.
          if (isWordCodePointAt(text, start) && isWordCodePointBefore(text, start)) continue;
          if (isWordCodePointBefore(text, end) && isWordCodePointAt(text, end)) continue;
          out.push({ category: 'OBJECTOR', start, end });
          break;
        }
      }
    },
  };
}
