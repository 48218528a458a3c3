import { publicFigureMatcher } from '../names/public-figures.ts';
import { PersonTagger } from '../ner/person-model.ts';
import type { PiiSpan } from '../types.ts';
import type { Recognizer } from './recognizer.ts';

/*
 * Person names, found by the trained model of src/redact/ner/ (an averaged perceptron over BIO
 * labels, trained on real tweets and French notes; docs/redaction.md) and the text-wide rules
 * applied after it (repeated mentions, lists, titles). The model and its word lists load on
 * first use, once per thread.
 */

export interface PersonOptions {
  /**
   * Keep the names of public figures: the shipped list (src/redact/names/public-figures.ts) plus
   * `publicFigureNames`. Off by default: every name is redacted.
   */
  keepPublicFigures?: boolean;
  publicFigureNames?: readonly string[];
}

export function createPersonRecognizer(options: PersonOptions = {}): Recognizer {
  let tagger: PersonTagger | undefined;
  const keep = options.keepPublicFigures
    ? publicFigureMatcher(options.publicFigureNames ?? [])
    : undefined;
  return {
    name: 'person',
    categories: ['PERSON'],
    // A name needs a letter; the tokeniser's first pass decides the rest.
    mayMatch: (text) => /\p{L}/u.test(text),
    find(text, out: PiiSpan[]) {
      tagger ??= new PersonTagger();
      for (const s of tagger.find(text)) {
        if (keep?.(text.slice(s.start, s.end))) continue;
        out.push({ category: 'PERSON', start: s.start, end: s.end });
      }
    },
  };
}
