import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EvalDoc } from '../../src/redact/eval/dataset.ts';
import {
  metrics,
  overlapMatch,
  rollUp,
  scoreDoc,
  type Tally,
  type TallyKey,
} from '../../src/redact/eval/score.ts';

describe('eval scoring', () => {
  it('half-overlap means half of both spans', () => {
    assert.equal(overlapMatch({ start: 0, end: 10 }, { start: 0, end: 5 }), true);
    assert.equal(overlapMatch({ start: 0, end: 10 }, { start: 0, end: 4 }), false);
    assert.equal(overlapMatch({ start: 0, end: 4 }, { start: 0, end: 10 }), false);
  });
  it('counts exact and overlap matches, and leaves non-target labels neutral', () => {
    const doc: EvalDoc = {
      id: 'd',
      source: 'eds-pseudo',
      lang: 'fr',
      text: 'Rémi Foliet le 12/03/2020',
      gold: [
        { label: 'PRENOM+NOM', category: 'PERSON', start: 0, end: 11 },
        { label: 'DATE', category: undefined, start: 15, end: 25 },
      ],
      scored: ['PERSON', 'PHONE'],
    };
    const t = new Map<TallyKey, Tally>();
    scoreDoc(
      doc,
      [
        { category: 'PERSON', start: 0, end: 4 },
        { category: 'PHONE', start: 15, end: 25 },
      ],
      t,
    );
    const person = rollUp(t, 'fr', 'PERSON');
    assert.deepEqual(person.exact, { tp: 0, fp: 1, fn: 1 });
    const phone = rollUp(t, 'fr', 'PHONE');
    assert.equal(phone.neutral, 1);
    assert.equal(metrics(phone.exact).predicted, 0);
  });
});
