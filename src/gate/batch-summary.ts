import { DecisionIds } from './duplicate-ids.ts';
import type { BatchResult } from './judge.ts';
import { forEachKeptAuthor } from './kept-authors-notice.ts';

/**
 * What a build needs from each judged batch besides its rows, worked out on the thread that
 * judged it: the decided records' id hashes (the search for repeated ids, duplicate-ids.ts) and
 * the batch's kept authors (the notice-period check, kept-authors-notice.ts). Why not on the main
 * thread, from the rows it writes: there both cost ~1.5 s of its time at bench scale (1 GB, most
 * of it a `Set` of author strings and their garbage), and the main thread is what the workers
 * wait for; each worker has the batch's rows in its cache already.
 */
export interface BatchSummary {
  /** The ids' 64-bit hashes as word pairs (`WordPairs.words`), in decision-row order. */
  idWords: Uint32Array;
  /** The batch's kept authors' subject keys, each once, `\n`-joined ('' when not asked for). */
  keptAuthors: string;
}

/** What to summarise. */
export interface SummaryWants {
  keptAuthors: boolean;
}

export function summariseBatch(result: BatchResult, wants: SummaryWants): BatchSummary {
  const ids = new DecisionIds(result.counts.reduce((n, c) => n + c, 0));
  ids.scan(result.decisions, 0, result.decisions.length);
  let keptAuthors = '';
  if (wants.keptAuthors) {
    const authors = new Set<string>();
    const rows = result.inclusions;
    forEachKeptAuthor(
      Buffer.from(rows.buffer, rows.byteOffset, rows.byteLength),
      0,
      rows.byteLength,
      (key) => authors.add(key),
    );
    keptAuthors = [...authors].join('\n');
  }
  return { idWords: ids.hashes.words(), keptAuthors };
}
