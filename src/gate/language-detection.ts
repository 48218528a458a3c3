import { withWorkers, workerReady } from '../lib/ts-worker.ts';

/**
 * Language detection of texts with `eld` (n-gram detector, its "small" tables: 60 languages, all
 * of the EU's but Irish and Maltese), on a thread of its own. Why a thread: the detector's 1.6 MB
 * of n-gram tables take ~0.3-0.5 s of CPU to load (bundled as `JSON.parse` of their data; as the
 * package's JavaScript literal ~0.9 s: source-bundle.js), and on the main thread of a build they
 * held up the gate's workers whenever they landed (at judging's start the workers waited for
 * their first batches; at sealing the build waited). Started when a build starts, the thread
 * loads them meanwhile; the sample is sent to it at sealing. One thread per process, kept
 * (unref'd) for the next build; where it cannot start, the detector loads on this thread
 * instead.
 */

/** What eld answers for a text, as far as it is used here. */
interface Detection {
  language: string;
  isReliable(): boolean;
}

/** A detection the detector itself calls unreliable (short or mixed texts) is none. */
export function reliableLanguage(result: Detection): string | undefined {
  return result.language && result.isReliable() ? result.language : undefined;
}

type DetectMany = (texts: string[]) => Promise<(string | undefined)[]>;

let detector: Promise<DetectMany> | undefined;
/** Where the detector runs once started (the tests check it is its thread). */
let where: 'thread' | 'here' | undefined;

/** Starts the detector (its thread, or failing that here), if not started yet. */
export function startLanguageDetector(): Promise<DetectMany> {
  detector ??= onThread().then(
    (detect) => {
      where = 'thread';
      return detect;
    },
    () => {
      where = 'here';
      return detectHere;
    },
  );
  return detector;
}

/** Where detection runs: on the detector's thread, or on this one (it could not start). */
export async function languageDetectorRunsOn(): Promise<'thread' | 'here'> {
  await startLanguageDetector();
  return where ?? 'here';
}

/** The language of each text (undefined where none is reliable), in order. */
export async function detectLanguages(texts: string[]): Promise<(string | undefined)[]> {
  if (texts.length === 0) return [];
  return (await startLanguageDetector())(texts);
}

/** Detection on this thread: where the detector's thread cannot start or fails (and tests). */
export async function detectHere(texts: string[]): Promise<(string | undefined)[]> {
  const { eld } = await import('eld/small');
  return texts.map((t) => reliableLanguage(eld.detect(t)));
}

async function onThread(): Promise<DetectMany> {
  const worker = await withWorkers(
    new URL('./language-detector-worker.ts', import.meta.url),
    {},
    (start) => workerReady(start(), 'language detector thread'),
  );
  const pending = new Map<number, (languages: (string | undefined)[]) => void>();
  let failed: Error | undefined;
  let nextId = 1;
  worker.on('message', (m: { id: number; languages: (string | undefined)[] }) => {
    const done = pending.get(m.id);
    pending.delete(m.id);
    if (pending.size === 0) worker.unref();
    done?.(m.languages);
  });
  const fail = (err: Error) => {
    failed = err;
    // A later sample detects here; this one is retried there.
    where = 'here';
    detector = Promise.resolve(detectHere);
    for (const done of pending.values()) done([]);
    pending.clear();
  };
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`language detector thread exited (${code})`)));
  // Never what keeps the process alive: it idles between builds. (After the listeners: adding
  // one refs the thread again.)
  worker.unref();
  return async (texts) => {
    if (failed) return detectHere(texts);
    const languages = await new Promise<(string | undefined)[]>((resolve) => {
      const id = nextId++;
      // Held while an answer is due (an unref'd thread would let the process end first).
      if (pending.size === 0) worker.ref();
      pending.set(id, resolve);
      worker.postMessage({ id, texts });
    });
    // The thread failed before answering: detected here instead.
    return languages.length === texts.length ? languages : detectHere(texts);
  };
}
