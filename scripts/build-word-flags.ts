/**
 * Writes the person model's word-flags table (src/redact/ner/word-flags.bin) from the word lists
 * of the installed packages (faker's names, the Hunspell dictionaries, stopwords-iso,
 * humannames, the place and people lists, and the lists in word-flags.ts):
 *
 *   npx tsx scripts/build-word-flags.ts [--out file]
 *
 * Deterministic. After it changes the table, rebuild the word classes and retrain the model
 * (docs/redaction.md): the model's weights are for the flags it was trained with.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { encodeWordFlags, listedWordFlags, WORD_FLAGS_FILE } from '../src/redact/ner/word-flags.ts';

const args = process.argv.slice(2);
const o = args.indexOf('--out');
const out = o >= 0 ? args[o + 1]! : fileURLToPath(WORD_FLAGS_FILE);
const flags = listedWordFlags();
const gz = gzipSync(encodeWordFlags(flags), { level: 9 });
writeFileSync(out, gz);
console.log(`${out}: ${flags.size.toLocaleString('en')} words, ${(gz.length / 1e6).toFixed(2)} MB`);
