import { parentPort } from 'node:worker_threads';
import { eld } from 'eld/small';
import { reliableLanguage } from './language-detection.ts';

/**
 * Thread entry of the language detector (language-detection.ts): posts `{ ready: true }` once
 * the n-gram tables are loaded, then answers `{ id, texts }` with `{ id, languages }`.
 */
parentPort!.on('message', ({ id, texts }: { id: number; texts: string[] }) => {
  parentPort!.postMessage({ id, languages: texts.map((t) => reliableLanguage(eld.detect(t))) });
});
parentPort!.postMessage({ ready: true });
