import { createRequire } from 'node:module';
import type { PredSpan } from './score.ts';

/*
 * The `redact-pii` package as baseline. It only returns redacted text, so its own pipeline (the
 * built-in regexes in the package's order, then its name redactor) is rebuilt with a distinct
 * private-use marker per pattern, and spans are recovered by aligning the output on the input.
 */
const require = createRequire(import.meta.url);
const patterns = require('redact-pii/lib/built-ins/simple-regexp-patterns.js') as Record<
  string,
  RegExp
>;
const { NameRedactor } = require('redact-pii/lib/built-ins/NameRedactor.js') as {
  NameRedactor: new (replaceWith?: string) => { redact(text: string): string };
};
const { SyncRedactor } = require('redact-pii') as {
  SyncRedactor: new (opts: unknown) => { redact(text: string): string };
};

const CATEGORY_OF: Readonly<Record<string, PredSpan['category'] | undefined>> = {
  creditCardNumber: 'CARD',
  streetAddress: 'ADDRESS',
  zipcode: 'ADDRESS',
  phoneNumber: 'PHONE',
  ipAddress: 'IP',
  emailAddress: 'EMAIL',
  names: 'PERSON',
};

const MARK = '\ue000';

export interface BaselineRedactor {
  /** Spans found, in UTF-16 offsets of `text`. */
  spans(text: string): PredSpan[];
  /** The package used as documented (default options), for throughput. */
  redactText(text: string): string;
}

export function createBaseline(): BaselineRedactor {
  const names = Object.keys(patterns);
  const all = [...names, 'names'];
  const disabled = Object.fromEntries(all.map((n) => [n, { enabled: false }]));
  const markerOf = (i: number) => `${MARK}${String.fromCharCode(0xe100 + i)}${MARK}`;
  const marked = new SyncRedactor({
    builtInRedactors: disabled,
    customRedactors: {
      after: [
        ...names.map((n, i) => ({ regexpPattern: patterns[n]!, replaceWith: markerOf(i) })),
        new NameRedactor(markerOf(names.length)),
      ],
    },
  });
  const plain = new SyncRedactor({});
  const markerRe = new RegExp(`${MARK}([\\ue100-\\ue1ff])${MARK}`, 'g');
  return {
    redactText: (text) => plain.redact(text),
    spans(text) {
      const out = marked.redact(text);
      const parts = out.split(markerRe); // literal, markerChar, literal, markerChar, ...
      const spans: PredSpan[] = [];
      let pos = 0;
      let pending: number | undefined;
      let pendingStart = 0;
      for (let k = 0; k < parts.length; k++) {
        if (k % 2 === 1) {
          if (pending === undefined) {
            pending = parts[k]!.charCodeAt(0) - 0xe100;
            pendingStart = pos;
          }
          continue;
        }
        const literal = parts[k]!;
        // Two markers back to back: the region is attributed to the first one.
        if (literal.length === 0 && k !== 0 && k !== parts.length - 1) continue;
        const at =
          k === 0
            ? 0
            : literal.length === 0 && k === parts.length - 1
              ? text.length
              : text.indexOf(literal, pos + (pending === undefined ? 0 : 1));
        if (at < 0) break;
        if (pending !== undefined) {
          const category = CATEGORY_OF[all[pending]!];
          if (category && at > pendingStart) spans.push({ category, start: pendingStart, end: at });
          pending = undefined;
        }
        pos = at + literal.length;
      }
      return spans;
    },
  };
}
