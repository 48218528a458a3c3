import assert from 'node:assert/strict';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { buildDataset } from '../../src/gate/build.ts';
import { type VerifyRegistry, verifyDataset } from '../../src/gate/dataset-verify.ts';
import { record, TEST_POLICY, tempDir, writePolicy, writeSnapshot } from './support/fixtures.ts';
import { MemoryRegistry } from './support/memory-registry.ts';

/**
 * For any generated export and registry (objectors as authors, as people mentioned and as people
 * named in texts by handle, display name or profile link, late objections, people not shown the
 * notice, third parties' names and handles in texts),
 * `veto dataset verify` passes on what the build seals, and fails when one objector's record is
 * appended to the sealed data.
 */

const ACCOUNTS = Array.from({ length: 24 }, (_, i) => `u${i}`);
const account = fc.constantFrom(...ACCOUNTS);
/** Third parties who objected without an account: their names and handles appear in texts. */
const TERMS = ['Nina Roux', '@nina_r', 'Jan Kowalski'];
/** Each account's handle, display name and profile link (the names file, the policy's links). */
const LAST = ACCOUNTS.map((_, i) => `Zor${String.fromCharCode(97 + i)}vath`);
const FIRST = ['Anna', 'Lukas', 'Sofia', 'Mateo', 'Elena', 'Jonas', 'Clara', 'Milan'];
const handleOf = (i: number) => `@h_u${i}`;
const nameOf = (i: number) => `${FIRST[i % FIRST.length]} ${LAST[i]}`;
const linkOf = (i: number) => `https://forum.example/users/u${i}`;
const namingArb = fc
  .tuple(fc.nat({ max: ACCOUNTS.length - 1 }), fc.constantFrom(handleOf, nameOf, linkOf))
  .map(([i, how]) => how(i));
const textArb = fc
  .array(
    fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom('hello', 'dinner', 'with', 'and', 'the', 'Nina') },
      { weight: 1, arbitrary: fc.constantFrom(...TERMS) },
      { weight: 1, arbitrary: namingArb },
    ),
    { maxLength: 8 },
  )
  .map((words) => words.join(' '));
const recordArb = fc.record({
  author_id: account,
  kind: fc.constantFrom('post', 'comment', 'private-message', 'story'),
  audience: fc.constantFrom('public', 'friends'),
  text: textArb,
  mentions: fc.array(account, { maxLength: 3 }),
  author_minor: fc.boolean(),
});

describe('veto dataset verify property', () => {
  it('passes on every sealed build, and fails once an objector’s record is appended', async () => {
    const dir = await tempDir('veto-verify-prop-');
    const policy = await writePolicy(
      dir,
      TEST_POLICY.replace(
        'objections:\n  coverMentions: true\n',
        'objections:\n  coverMentions: true\n  profileUrls: ["https://forum.example/users/{id}"]\n',
      ),
    );
    const names = join(dir, 'names.jsonl');
    await writeFile(
      names,
      ACCOUNTS.map(
        (a, i) =>
          `${JSON.stringify({ account_id: a, handles: [handleOf(i)], display_names: [nameOf(i)] })}\n`,
      ).join(''),
    );
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(recordArb, { maxLength: 40 }),
        fc.uniqueArray(account, { minLength: 1, maxLength: 6 }),
        fc.uniqueArray(account, { maxLength: 3 }),
        fc.uniqueArray(account, { maxLength: 4 }),
        fc.record({
          late: fc.boolean(),
          how: fc.constantFrom('author', 'mention', 'handle', 'name', 'link'),
          pick: fc.nat(),
        }),
        async (records, objectors, late, notShown, appended) => {
          run++;
          const input = join(dir, `in-${run}.jsonl`);
          await writeFile(
            input,
            records
              .map((r, i) => `${JSON.stringify(record({ ...r, id: `r${i}`, region: 'FR' }))}\n`)
              .join(''),
          );
          const snapshot = await writeSnapshot(
            dir,
            objectors.map((a) => `acct:${a}`),
          );
          const registry = new MemoryRegistry();
          registry.late = late.map((a) => `acct:${a}`);
          registry.terms = TERMS;
          registry.notShown = new Set(notShown.map((a) => `acct:${a}`));
          const result = await buildDataset({
            policy,
            inputs: [input],
            outDir: join(dir, `out-${run}`),
            objectors: { snapshot },
            registry,
            names,
            workers: 0,
            // A generated corpus may hold no record: sealed empty, as the property expects.
            allowEmpty: true,
          });
          assert.equal(
            result.status,
            'sealed',
            result.status === 'failed' ? result.error.message : '',
          );
          if (result.status !== 'sealed') return;
          const asOf = result.manifest.snapshot.asOf;
          // The registry as the verifier sees it: the late objections arrived before the build's
          // re-check (so they were the build's to remove).
          const verifier: VerifyRegistry = {
            objectorsAddedSince: async (_p, since) => (since === asOf ? [...registry.late] : []),
            subjectsWithoutNotice: (q) => registry.subjectsWithoutNotice(q),
            objectorTerms: async () => [...TERMS],
          };
          const sealed = await verifyDataset({
            dir: result.dir,
            objectors: { snapshot },
            registry: verifier,
          });
          assert.equal(sealed.ok, true, JSON.stringify(sealed.problems));

          // One objector's record, appended: by them, or naming them.
          const pool = appended.late && late.length > 0 ? late : objectors;
          const objector = pool[appended.pick % pool.length]!;
          const innocent = ACCOUNTS.find(
            (a) => !objectors.includes(a) && !late.includes(a) && !notShown.includes(a),
          )!;
          const index = ACCOUNTS.indexOf(objector);
          const text = {
            author: 'an ordinary text',
            mention: 'an ordinary text',
            handle: `ping ${handleOf(index)}`,
            name: `met ${nameOf(index)} today`,
            link: `see ${linkOf(index)}`,
          }[appended.how];
          const line = JSON.stringify(
            record({
              id: 'appended',
              author_id: appended.how === 'author' ? objector : innocent,
              mentions: appended.how === 'mention' ? [objector] : [],
              text,
            }),
          );
          await appendFile(join(result.dir, 'data.jsonl'), `${line}\n`);
          const lines =
            (await readFile(join(result.dir, 'data.jsonl'), 'utf8')).split('\n').length - 1;
          const tampered = await verifyDataset({
            dir: result.dir,
            objectors: { snapshot },
            registry: verifier,
          });
          assert.equal(tampered.ok, false);
          const check = objectors.includes(objector) ? 'objectors' : 'late-objections';
          assert.equal(tampered.checks[check].status, 'fail', JSON.stringify(tampered.checks));
          const found = tampered.problems.find((p) => p.check === check);
          assert.equal(found?.line, lines);
          assert.equal(found?.itemId, 'appended');
          assert.equal(found?.subjectKey, `acct:${objector}`);
        },
      ),
      { numRuns: 40 },
    );
  });
});
