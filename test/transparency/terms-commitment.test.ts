import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  type TermsProof,
  TermsTree,
  termsKey,
  termsLeaves,
  termsProof,
  termsProofText,
  verifyTermsProof,
} from '../../src/transparency/terms-commitment.ts';

/**
 * The terms commitment (docs/transparency.md "Terms objections applied"): a proof for each
 * applied terms objection holds, and nothing else does: a proof replayed for another dataset, a
 * reference not in the set (its own or a member's proof renamed), an empty set, another key's
 * blind, and every single-byte edit of a proof.
 */
const KEY = termsKey('a deployment secret of at least 32 characters');
const REFS = ['VT-AAAA-BBBB-CCCC', 'VT-DDDD-EEEE-FFFF', 'VT-GGGG-HHHH-JJJJ'];

function treeOf(datasetId: string, refs: readonly string[], key = KEY): TermsTree {
  return new TermsTree(datasetId, termsLeaves(key, datasetId, refs));
}

function edited(p: TermsProof, change: (p: TermsProof) => void): string {
  const copy = JSON.parse(JSON.stringify(p)) as TermsProof;
  change(copy);
  return termsProofText(copy);
}

describe('terms commitment', () => {
  it('proves each applied objection, against its dataset only', () => {
    const a = treeOf('ds_a', REFS);
    const b = treeOf('ds_b', REFS);
    assert.equal(a.count, 3);
    assert.notEqual(a.commitment().root, b.commitment().root, 'the dataset id is in the root');
    // The same reference has unrelated values in two datasets.
    assert.equal(
      Buffer.compare(a.leaves, b.leaves) !== 0 && [0, 1, 2].every((i) => b.indexOf(a.value(i)) < 0),
      true,
    );
    for (const ref of REFS) {
      const proof = termsProof(KEY, a, ref)!;
      const text = termsProofText(proof);
      const ok = verifyTermsProof(text, { datasetId: 'ds_a', commitment: a.commitment() });
      assert.equal(ok.ok, true, ok.lines.join('; '));
      assert.match(ok.lines.at(-1)!, new RegExp(`APPLIED: the terms objection ${ref} is leaf`));
      // Replayed for another dataset: against its manifest, or renamed to it.
      const replayed = verifyTermsProof(text, { datasetId: 'ds_b', commitment: b.commitment() });
      assert.equal(replayed.ok, false);
      assert.match(replayed.lines.at(-1)!, /the proof is for ds_a, not ds_b/);
      const renamed = verifyTermsProof(edited(proof, (p) => (p.datasetId = 'ds_b')));
      assert.equal(renamed.ok, false);
      assert.match(renamed.lines.at(-1)!, /does not bind this dataset/);
      const moved = verifyTermsProof(
        edited(proof, (p) => {
          p.datasetId = 'ds_b';
          p.commitment = b.commitment();
        }),
      );
      assert.equal(moved.ok, false, 'the value and the leaf carry the dataset id');
    }
  });

  it('has no proof for a reference not in the set, and a member’s proof does not pass for it', () => {
    const a = treeOf('ds_a', REFS);
    assert.equal(termsProof(KEY, a, 'VT-ZZZZ-ZZZZ-ZZZZ'), undefined);
    const member = termsProof(KEY, a, REFS[0]!)!;
    const renamed = verifyTermsProof(edited(member, (p) => (p.reference = 'VT-ZZZZ-ZZZZ-ZZZZ')));
    assert.equal(renamed.ok, false);
    assert.match(renamed.lines.at(-1)!, /its value is not VT-ZZZZ-ZZZZ-ZZZZ's/);
    // Another member's leaf with this reference's own blind: the value differs.
    const other = termsProof(KEY, a, REFS[1]!)!;
    const swapped = verifyTermsProof(edited(member, (p) => (p.leaf = other.leaf)));
    assert.equal(swapped.ok, false);
    // A blind made with another key gives another value: not in the tree.
    const foreign = termsProof(
      termsKey('another secret of at least 32 characters!!'),
      treeOf('ds_a', REFS, termsKey('another secret of at least 32 characters!!')),
      REFS[0]!,
    )!;
    const mixed = verifyTermsProof(
      edited(member, (p) => (p.blind = foreign.blind)),
      { datasetId: 'ds_a', commitment: a.commitment() },
    );
    assert.equal(mixed.ok, false);
  });

  it('an empty set: no proof, and none can be made to pass', () => {
    const empty = treeOf('ds_empty', []);
    assert.equal(empty.count, 0);
    assert.equal(termsProof(KEY, empty, REFS[0]!), undefined);
    // A real proof moved onto the empty commitment of its dataset.
    const a = treeOf('ds_empty.v0', REFS);
    const proof = termsProof(KEY, a, REFS[0]!)!;
    const moved = verifyTermsProof(
      edited(proof, (p) => {
        p.datasetId = 'ds_empty';
        p.commitment = empty.commitment();
      }),
      { datasetId: 'ds_empty', commitment: empty.commitment() },
    );
    assert.equal(moved.ok, false);
    assert.match(moved.lines.at(-1)!, /applied no terms objection/);
  });

  it('refuses every single-byte edit of a proof', () => {
    const a = treeOf('ds_a', [...REFS, 'VT-KKKK-MMMM-NNNN', 'VT-PPPP-QQQQ-RRRR']);
    const text = termsProofText(termsProof(KEY, a, REFS[1]!)!);
    const expected = { datasetId: 'ds_a', commitment: a.commitment() };
    assert.equal(verifyTermsProof(text, expected).ok, true);
    const bytes = Buffer.from(text);
    let accepted = 0;
    for (let i = 0; i < bytes.length; i++) {
      for (const mask of [0x01, 0x20]) {
        const copy = Buffer.from(bytes);
        copy[i] = copy[i]! ^ mask;
        if (verifyTermsProof(copy.toString('utf8'), expected).ok) accepted++;
      }
    }
    assert.equal(accepted, 0);
  });

  it('for random sets: every member proves, no other reference has a proof', () => {
    const ref = fc
      .array(fc.constantFrom(...'0123456789ABCDEFGHJKMNPQRSTVWXYZ'), {
        minLength: 12,
        maxLength: 12,
      })
      .map((c) => `VT-${c.slice(0, 4).join('')}-${c.slice(4, 8).join('')}-${c.slice(8).join('')}`);
    fc.assert(
      fc.property(fc.uniqueArray(ref, { maxLength: 20 }), ref, (refs, other) => {
        const tree = treeOf('ds_r', refs);
        for (const r of refs) {
          const text = termsProofText(termsProof(KEY, tree, r)!);
          assert.equal(
            verifyTermsProof(text, { datasetId: 'ds_r', commitment: tree.commitment() }).ok,
            true,
          );
        }
        if (!refs.includes(other)) assert.equal(termsProof(KEY, tree, other), undefined);
      }),
      { numRuns: 50 },
    );
  });
});
