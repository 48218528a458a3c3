import { forEachLine } from './line-files.ts';
import { type FieldMapping, getterFor } from './record-fields.ts';

/**
 * The languages of a dataset's kept content, for the manifest and, from there, the AI Act
 * training-content summary. Estimated from a sample: every k-th kept record (k chosen so that at
 * most {@link LANGUAGE_SAMPLE} records are read), which is deterministic (the same data file gives
 * the same figures) and costs a fraction of a second on a 1 GB dataset. A sample of 2,000 puts a
 * language's share within about ±2.2 points (95 %); the summary says it is an estimate.
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
  /** Every `every`-th kept record was looked at (the first, then every `every`-th after it). */
  every: number;
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

type Detect = (text: string) => string | undefined;

let detector: Promise<Detect> | undefined;

/**
 * The detector, loaded once: 1.6 MB of n-gram tables that no other part of a build needs. The
 * gate starts loading it while it judges (see {@link preloadLanguageDetector}): loaded at
 * sealing it took ~0.7 s of a 1 GB build's wall time, on a main thread otherwise half idle then.
 */
function loadDetector(): Promise<Detect> {
  detector ??= import('eld/small').then(({ eld }) => (text: string) => {
    const result = eld.detect(text);
    return result.language && result.isReliable() ? result.language : undefined;
  });
  return detector;
}

/** Starts loading the detector now, for a sample taken later; a failure shows at the sample. */
export function preloadLanguageDetector(): void {
  loadDetector().catch(() => {});
}

/** How many kept records apart the sampled ones are. */
export function sampleStep(records: number, sample = LANGUAGE_SAMPLE): number {
  return Math.max(1, Math.ceil(records / sample));
}

/**
 * Reads the sampled lines of a JSONL data file (the kept records, one per line, as the gate
 * writes them) and counts their languages. `records` is the file's line count, known to the
 * caller, so the step is fixed before reading.
 */
export async function sampleContentLanguages(
  dataJsonl: string,
  options: { records: number; mapping?: FieldMapping; sample?: number },
): Promise<ContentLanguages> {
  const every = sampleStep(options.records, options.sample);
  const getLang = getterFor(options.mapping ?? {}, 'lang');
  const getText = getterFor(options.mapping ?? {}, 'text');
  const texts: (string | undefined)[] = [];
  const tags: (string | undefined)[] = [];
  let index = 0;
  await forEachLine(dataJsonl, (buf, start, end) => {
    if (index++ % every !== 0) return;
    // The gate wrote these lines after parsing them: a line that does not parse is a bug there,
    // and is counted as undetermined here rather than stopping the seal.
    let record: Record<string, unknown> | undefined;
    try {
      record = JSON.parse(buf.toString('utf8', start, end)) as Record<string, unknown>;
    } catch {
      record = undefined;
    }
    const lang = record ? getLang(record) : undefined;
    const match = typeof lang === 'string' ? TAG.exec(lang.trim()) : null;
    tags.push(match ? match[1]!.toLowerCase() : undefined);
    const text = record ? getText(record) : undefined;
    texts.push(typeof text === 'string' ? text : undefined);
  });
  const counts = new Map<string, number>();
  let fromField = 0;
  let detected = 0;
  let undetermined = 0;
  let detect: Detect | undefined;
  for (let i = 0; i < tags.length; i++) {
    let language = tags[i];
    if (language) fromField++;
    else {
      const text = texts[i];
      if (text && text.trim().length > 0) {
        detect ??= await loadDetector();
        language = detect(text);
      }
      if (language) detected++;
      else undetermined++;
    }
    if (language) counts.set(language, (counts.get(language) ?? 0) + 1);
  }
  return {
    records: options.records,
    every,
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
