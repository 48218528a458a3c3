import { once } from 'node:events';
import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { createRedactor, DEFAULT_CATEGORIES } from './redactor.ts';
import type { PiiCategory, RedactionOptions } from './types.ts';

/*
 * `veto redact`: the redactor alone, for platforms that want it without the gate. JSONL in (one
 * object per line, the text in `text` or `--field`), JSONL out: the same object with the text
 * redacted and `spans` (category, start, end: UTF-16 code units of the original text). Streams
 * line by line with back-pressure; a line that is not a JSON object with a string in the field is
 * reported with its line number and left out of the output (never written unredacted), and the
 * exit code is then 1.
 */

/** Phone region implied by a language hint, when the language has one main country. */
const REGION_OF_LANG: Readonly<Record<string, string>> = {
  fr: 'FR',
  de: 'DE',
  es: 'ES',
  it: 'IT',
  nl: 'NL',
  pl: 'PL',
  pt: 'PT',
  en: 'GB',
  sv: 'SE',
  da: 'DK',
  fi: 'FI',
  cs: 'CZ',
  sk: 'SK',
  sl: 'SI',
  hr: 'HR',
  hu: 'HU',
  ro: 'RO',
  bg: 'BG',
  el: 'GR',
  et: 'EE',
  lv: 'LV',
  lt: 'LT',
  mt: 'MT',
  ga: 'IE',
};

export class RedactUsageError extends Error {}

export interface RedactCliOptions {
  field: string;
  redaction: RedactionOptions;
}

/** Reads the command line into redaction options; throws RedactUsageError on a bad one. */
export function redactOptions(
  values: Record<string, string | boolean | (string | boolean)[] | undefined>,
  env: NodeJS.ProcessEnv,
): RedactCliOptions {
  const field = (values.field as string | undefined) ?? 'text';
  let categories: PiiCategory[] | undefined;
  if (typeof values.categories === 'string') {
    categories = values.categories.split(',').map((c) => c.trim().toUpperCase()) as PiiCategory[];
    const unknown = categories.filter(
      (c) => !(DEFAULT_CATEGORIES as readonly PiiCategory[]).includes(c),
    );
    if (unknown.length > 0 || categories.length === 0) {
      throw new RedactUsageError(
        `--categories: unknown ${unknown.map((c) => JSON.stringify(c)).join(', ') || 'empty list'}; known: ${DEFAULT_CATEGORIES.join(', ')}`,
      );
    }
  }
  const mode = (values.mode as string | undefined) ?? 'placeholder';
  if (mode !== 'placeholder' && mode !== 'pseudonym') {
    throw new RedactUsageError(
      `--mode must be placeholder or pseudonym, got ${JSON.stringify(mode)}`,
    );
  }
  let pseudonymKey: string | undefined;
  if (mode === 'pseudonym') {
    const file = values['pseudonym-key-file'] as string | undefined;
    try {
      pseudonymKey = file ? readFileSync(file, 'utf8').trim() : env.VETO_PSEUDONYM_KEY;
    } catch (err) {
      throw new RedactUsageError(`--pseudonym-key-file ${file}: ${(err as Error).message}`);
    }
    if (!pseudonymKey || pseudonymKey.length < 32) {
      throw new RedactUsageError(
        '--mode pseudonym needs a key of at least 32 characters (--pseudonym-key-file or VETO_PSEUDONYM_KEY)',
      );
    }
  }
  const lang = (values.lang as string | undefined)?.toLowerCase();
  if (lang !== undefined && !/^[a-z]{2}(?:-[a-z]{2})?$/.test(lang)) {
    throw new RedactUsageError(
      `--lang: expected a language code such as en or fr, got ${JSON.stringify(lang)}`,
    );
  }
  const region =
    (values.region as string | undefined) ?? (lang ? REGION_OF_LANG[lang.slice(0, 2)] : undefined);
  if (region !== undefined && !/^[A-Z]{2}$/.test(region)) {
    throw new RedactUsageError(
      `--region: expected a two-letter country code such as FR, got ${JSON.stringify(region)}`,
    );
  }
  const list = (v: unknown) =>
    Array.isArray(v) ? (v as string[]) : typeof v === 'string' ? [v] : [];
  return {
    field,
    redaction: {
      categories,
      mode,
      pseudonymKey,
      defaultRegion: region,
      keepPublicFigures: values['keep-public-figures'] === true,
      publicFigureNames: list(values['public-figure']),
      profileUrlPatterns: list(values['profile-url-pattern']),
    },
  };
}

/** Progress on a terminal only: lines, megabytes and rate, redrawn at most 5 times a second. */
function progress(err: NodeJS.WriteStream) {
  const tty = Boolean(err.isTTY);
  const t0 = Date.now();
  let last = 0;
  let drawn = false;
  const draw = (lines: number, bytes: number) => {
    const s = (Date.now() - t0) / 1000;
    err.write(
      `\r\x1b[2Kredact: ${lines} lines, ${(bytes / 1e6).toFixed(1)} MB, ${s > 0 ? Math.round(lines / s) : 0} lines/s`,
    );
    drawn = true;
  };
  return {
    update(lines: number, bytes: number) {
      if (!tty) return;
      const now = Date.now();
      if (now - last >= 200) {
        last = now;
        draw(lines, bytes);
      }
    },
    done(lines: number, bytes: number) {
      if (!tty) return;
      draw(lines, bytes);
      if (drawn) err.write('\n');
    },
  };
}

/** Runs `veto redact` on parsed options (the command line is parsed by `src/cli/run-cli.ts`). */
export async function runRedact(
  values: Record<string, string | boolean | (string | boolean)[] | undefined>,
  positionals: string[],
): Promise<number> {
  let opts: RedactCliOptions;
  let redactor: ReturnType<typeof createRedactor>;
  try {
    opts = redactOptions(values, process.env);
    redactor = createRedactor(opts.redaction);
  } catch (err) {
    console.error(`veto redact: ${(err as Error).message}`);
    return 2;
  }
  const file = positionals[0];
  const name = file && file !== '-' ? file : 'stdin';
  const input = file && file !== '-' ? createReadStream(file) : process.stdin;
  const output = values.out ? createWriteStream(values.out as string) : process.stdout;
  const openError = new Promise<never>((_, reject) => {
    input.once('error', reject);
    output.once('error', reject);
  });
  openError.catch(() => {});
  const meter = progress(process.stderr);
  let n = 0;
  let bytes = 0;
  let written = 0;
  let bad = 0;
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  try {
    const work = (async () => {
      for await (const line of lines) {
        n++;
        bytes += Buffer.byteLength(line) + 1;
        if (line.trim() === '') continue;
        let record: unknown;
        try {
          record = JSON.parse(line);
        } catch (err) {
          bad++;
          console.error(`${name}:${n}: not JSON: ${(err as Error).message}`);
          continue;
        }
        if (record === null || typeof record !== 'object' || Array.isArray(record)) {
          bad++;
          console.error(`${name}:${n}: expected a JSON object`);
          continue;
        }
        const obj = record as Record<string, unknown>;
        const text = obj[opts.field];
        if (typeof text !== 'string') {
          bad++;
          console.error(
            `${name}:${n}: ${opts.field}: ${text === undefined ? 'missing' : `expected a string, got ${Array.isArray(text) ? 'an array' : typeof text}`}`,
          );
          continue;
        }
        if ('spans' in obj && opts.field !== 'spans') {
          bad++;
          console.error(
            `${name}:${n}: spans: the record already has a "spans" field, which the output would overwrite`,
          );
          continue;
        }
        const r = redactor.redact(text);
        const out = { ...obj, [opts.field]: r.text, spans: r.spans };
        if (!output.write(`${JSON.stringify(out)}\n`)) await once(output, 'drain');
        written++;
        meter.update(n, bytes);
      }
    })();
    await Promise.race([work, openError]);
  } catch (err) {
    meter.done(n, bytes);
    console.error(`veto redact: ${(err as Error).message}`);
    return 1;
  }
  meter.done(n, bytes);
  if (output !== process.stdout) {
    (output as NodeJS.WritableStream).end();
    await once(output, 'finish');
  }
  if (bad > 0) {
    console.error(`veto redact: ${written} records written, ${bad} left out (errors above)`);
    return 1;
  }
  return 0;
}
