import { readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { detectLanguages, startLanguageDetector } from './language-detection.ts';
import { forEachLine } from './line-files.ts';
import { type FieldMapping, getterFor } from './record-fields.ts';

/**
 * The languages of a dataset's kept content, for the manifest and, from there, the AI Act
 * training-content summary. Estimated from a sample of at most {@link LANGUAGE_SAMPLE} records:
 * every record when there are no more, else the record that starts at or after each of 2,000
 * evenly spaced byte offsets of the data file (a line hit twice counts once). Deterministic (the
 * same data file gives the same figures), and 2,000 short reads rather than a pass over the
 * file: reading every k-th line cost ~0.5 s of a 1 GB build, in its one-threaded sealing step. A
 * record's chance of being drawn follows the length of the line before it, which says nothing of
 * its own language. A sample of 2,000 puts a language's share within about ±2.2 points (95 %); the
 * summary says it is an estimate.
 *
 * A record's language is its `lang` field (a BCP 47 tag, field mapping applies) when the export
 * gives one, else it is detected from its `text` with `eld` (n-gram detector, 60 languages, all
 * of the EU's but Irish and Maltese). A detection the detector itself calls unreliable (short or
 * mixed texts, names and numbers) counts as undetermined rather than as a guess.
 */
export const LANGUAGE_SAMPLE = 2_000;
export const LANGUAGE_DETECTOR = 'eld 2.1 (small)';

export interface ContentLanguages {
  /** Kept records in the data file. */
  records: number;
  /** How the sample was drawn: every kept record, or one at each of evenly spaced byte offsets. */
  sampling?: 'all' | 'byte-offsets';
  /** Manifests sealed before byte-offset sampling: every `every`-th kept record was looked at. */
  every?: number;
  sampled: number;
  /** Sampled records whose language came from the export's `lang` field. */
  fromField: number;
  /** Sampled records whose language was detected from their text. */
  detected: number;
  /** Sampled records with no language field and no reliable detection. */
  undetermined: number;
  /** Sampled records per language (lower-case primary subtag: `fr`, `en`), largest first. */
  languages: { language: string; records: number }[];
  detector: string;
}

// A primary language subtag of BCP 47 (2-3 letters), with or without region/script subtags.
const TAG = /^([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]{1,8})*$/;

/**
 * Starts the language detector now (language-detection.ts: on a thread of its own, where its
 * tables compile while the build goes on), for a sample taken later; a failure shows at the
 * sample.
 */
export function preloadLanguageDetector(): void {
  startLanguageDetector().catch(() => {});
}

/** A text the detector is asked about: one with something in it. */
function detectable(text: string | undefined): text is string {
  return text !== undefined && text.trim().length > 0;
}

/** How many kept records apart the sampled ones are. */
export async function sampleContentLanguages(
  dataJsonl: string,
  options: { records: number; mapping?: FieldMapping; sample?: number },
): Promise<ContentLanguages> {
  const sample = options.sample ?? LANGUAGE_SAMPLE;
  const getLang = getterFor(options.mapping ?? {}, 'lang');
  const getText = getterFor(options.mapping ?? {}, 'text');
  const texts: (string | undefined)[] = [];
  const tags: (string | undefined)[] = [];
  const take = (line: string) => {
    // The gate wrote these lines after parsing them: a line that does not parse is a bug there,
    // and is counted as undetermined here rather than stopping the seal.
    let record: Record<string, unknown> | undefined;
    try {
      record = JSON.parse(line) as Record<string, unknown>;
    } catch {
      record = undefined;
    }
    const lang = record ? getLang(record) : undefined;
    const match = typeof lang === 'string' ? TAG.exec(lang.trim()) : null;
    tags.push(match ? match[1]!.toLowerCase() : undefined);
    const text = record ? getText(record) : undefined;
    texts.push(typeof text === 'string' ? text : undefined);
  };
  const all = options.records <= sample;
  if (all) {
    await forEachLine(dataJsonl, (buf, start, end) => take(buf.toString('utf8', start, end)));
  } else {
    const file = await open(dataJsonl, 'r');
    try {
      const size = (await file.stat()).size;
      const lines = new LineAt(file, size);
      let last = -1;
      for (let i = 0; i < sample; i++) {
        const line = lines.startingAt(Math.floor((i * size) / sample));
        if (line === undefined || line.start === last) continue;
        last = line.start;
        take(line.text);
      }
    } finally {
      await file.close();
    }
  }
  // The texts of the records without a language field, detected together.
  const toDetect: string[] = [];
  for (let i = 0; i < tags.length; i++) {
    const text = texts[i];
    if (!tags[i] && detectable(text)) toDetect.push(text);
  }
  const found = await detectLanguages(toDetect);
  const counts = new Map<string, number>();
  let fromField = 0;
  let detected = 0;
  let undetermined = 0;
  let next = 0;
  for (let i = 0; i < tags.length; i++) {
    let language = tags[i];
    if (language) fromField++;
    else {
      if (detectable(texts[i])) language = found[next++];
      if (language) detected++;
      else undetermined++;
    }
    if (language) counts.set(language, (counts.get(language) ?? 0) + 1);
  }
  return {
    records: options.records,
    sampling: all ? 'all' : 'byte-offsets',
    sampled: tags.length,
    fromField,
    detected,
    undetermined,
    languages: [...counts]
      .map(([language, records]) => ({ language, records }))
      .sort((a, b) => b.records - a.records || (a.language < b.language ? -1 : 1)),
    detector: LANGUAGE_DETECTOR,
  };
}

/**
 * Reads the line of a file that starts at or after a byte offset: one synchronous read of a
 * window around the offset, longer only for a line that does not fit. Why synchronous: the
 * sample is the sealing step's only work, on a file just written (in the page cache); 2,000
 * awaited reads of 64 KB, three a sample, kept that step waiting ~0.45 s of a 1 GB build.
 */
class LineAt {
  #buf = Buffer.allocUnsafe(16 << 10);

  constructor(
    readonly file: Awaited<ReturnType<typeof open>>,
    readonly size: number,
  ) {}

  startingAt(offset: number): { start: number; text: string } | undefined {
    // The line starts after the first line end at or after offset - 1.
    let from = Math.max(0, offset - 1);
    let have = this.#read(from);
    let start = offset;
    if (offset > 0) {
      let nl = this.#buf.subarray(0, have).indexOf(10);
      while (nl < 0) {
        if (have === 0) return undefined;
        from += have;
        have = this.#read(from);
        nl = this.#buf.subarray(0, have).indexOf(10);
      }
      start = from + nl + 1;
    }
    if (start >= this.size) return undefined;
    // The line from `start` to its end (or the file's), from the window when it holds both.
    const rel = start - from;
    let end = this.#buf.subarray(rel, have).indexOf(10);
    if (end >= 0) return { start, text: this.#buf.toString('utf8', rel, rel + end) };
    const parts: Buffer[] = [Buffer.from(this.#buf.subarray(rel, have))];
    for (let at = from + have; at < this.size; ) {
      const n = this.#read(at);
      if (n === 0) break;
      end = this.#buf.subarray(0, n).indexOf(10);
      parts.push(Buffer.from(this.#buf.subarray(0, end >= 0 ? end : n)));
      if (end >= 0) break;
      at += n;
    }
    return { start, text: Buffer.concat(parts).toString('utf8') };
  }

  /** Reads the window at `at`; the number of bytes read. */
  #read(at: number): number {
    return readSync(this.file.fd, this.#buf, 0, this.#buf.length, at);
  }
}
