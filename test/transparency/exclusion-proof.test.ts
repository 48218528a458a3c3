import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import type { Veto } from '../../src/app/wire.ts';
import { rebuildDataset } from '../../src/domain/removals/dataset-rebuild.ts';
import { buildDataset } from '../../src/gate/build.ts';
import type { DatasetManifest } from '../../src/gate/manifest.ts';
import { buildApp } from '../../src/http/app.ts';
import { signDemoToken } from '../../src/http/auth/platform-token.ts';
import {
  type ExclusionProof,
  exclusionProofText,
  verifyExclusionProof,
} from '../../src/transparency/dataset-exclusion.ts';
import { generateVrfKeyPem, parseVrfPublicKey } from '../../src/transparency/rsa-fdh-vrf.ts';
import { jsonl, record, writePolicy, writeSnapshot } from '../gate/support/fixtures.ts';
import { everyoneShown } from '../removals/support/fixture.ts';
import { TEST_API_KEY, TEST_JWT_SECRET } from '../support/test-veto.ts';
import { runVeto } from '../support/veto-cli.ts';
import { ADAPTERS, adapterAvailable, testVetoOn } from '../support/veto-on.ts';

/**
 * Exclusion proofs end to end on each adapter: datasets sealed by the gate's build with the
 * deployment's VRF key, proofs fetched from the API as a person and as the platform, and checked
 * by the spawned `veto dataset verify-exclusion` with the published key and the dataset's
 * manifest. Adversarial cases: a member cannot get a proof of absence, keys that sort next to
 * each other, an empty and a one-subject dataset, a proof replayed for another dataset, every
 * single-byte edit, another VRF key.
 */
async function seal(
  veto: Veto,
  dir: string,
  datasetId: string,
  records: Record<string, unknown>[],
  objectors: string[] = [],
): Promise<{ dir: string; manifest: DatasetManifest; snapshot: string }> {
  const input = path.join(dir, `${datasetId}.jsonl`);
  await writeFile(input, jsonl(records));
  const snapshot = await writeSnapshot(dir, objectors);
  const result = await buildDataset({
    policy: await writePolicy(dir),
    inputs: [input],
    outDir: path.join(dir, 'datasets'),
    objectors: { snapshot },
    registry: everyoneShown(veto.gate),
    workers: 0,
    datasetId,
    allowEmpty: true,
    exclusionKey: veto.exclusionKeys().current,
  });
  if (result.status !== 'sealed') throw result.error;
  return { dir: result.dir, manifest: result.manifest, snapshot };
}

for (const adapter of ADAPTERS) {
  describe(`exclusion proofs on ${adapter}`, async () => {
    const available = await adapterAvailable(adapter);

    test('a person proves they are not in a dataset; every forgery and replay fails', {
      skip: available ? false : `${adapter} unavailable`,
      timeout: 300_000,
    }, async (t) => {
      const { veto, dir, config } = await testVetoOn(adapter, t);
      const app = await buildApp(veto);
      t.after(() => app.close());
      const user = async (sub: string) => ({
        authorization: `Bearer ${await signDemoToken(TEST_JWT_SECRET, { sub })}`,
      });

      // u1, u100 and u1000 wrote posts, u7 is mentioned; u10 (sorted between them) is not in it.
      const many = await seal(veto, dir, 'ds_many', [
        record({ id: 'p1', author_id: 'u1' }),
        record({ id: 'p2', author_id: 'u100' }),
        record({ id: 'p3', author_id: 'u1000', text: 'hello u7', mentions: ['u7'] }),
        record({ id: 'p4', author_id: 'u2' }),
        record({ id: 'p5', author_id: 'u3' }),
      ]);
      const one = await seal(veto, dir, 'ds_one', [record({ id: 'q1', author_id: 'u1' })]);
      const empty = await seal(
        veto,
        dir,
        'ds_empty',
        [record({ id: 'r1', author_id: 'u9' })],
        ['acct:u9'],
      );
      assert.equal(many.manifest.exclusion?.count, 6);
      assert.equal(one.manifest.exclusion?.count, 1);
      assert.equal(empty.manifest.exclusion?.count, 0);
      assert.equal(many.manifest.exclusion?.keyId, veto.exclusionKeys().current.public.keyId);

      const published = await app.inject('/v1/transparency/exclusion-key');
      assert.equal(published.statusCode, 200, published.body);
      assert.equal(published.json().suite, 'RSA-FDH-VRF-SHA256');
      const keyFile = path.join(dir, 'exclusion-key.json');
      writeFileSync(keyFile, published.body);
      const manifestOf = (m: { dir: string }) => path.join(m.dir, 'manifest.json');

      const mine = async (datasetId: string, sub: string) => {
        const r = await app.inject({
          url: `/v1/me/datasets/${datasetId}/exclusion-proof`,
          headers: await user(sub),
        });
        assert.equal(r.statusCode, 200, r.body);
        assert.match(String(r.headers['content-disposition']), /attachment/);
        return r.body;
      };
      const save = (name: string, text: string) => {
        const file = path.join(dir, name);
        writeFileSync(file, text);
        return file;
      };
      const cli = (file: string, ...more: string[]) =>
        runVeto({}, 'dataset', 'verify-exclusion', file, '--key', keyFile, ...more);

      // Not in: u10 sits between u1 and u100 by name, but its proof says absent and holds.
      const u10 = await mine('ds_many', 'u10');
      const notIn = cli(
        save('u10.json', u10),
        '--manifest',
        manifestOf(many),
        '--expect',
        'not-included',
      );
      assert.equal(notIn.code, 0, notIn.err);
      assert.match(notIn.out, /NOT IN the dataset/);
      assert.match(notIn.out, /commitment matches the dataset's/);
      // In: each member's proof says so, and none of them passes as a proof of absence.
      const members: Record<string, ExclusionProof> = {};
      for (const sub of ['u1', 'u100', 'u1000', 'u7', 'u2', 'u3']) {
        const text = await mine('ds_many', sub);
        members[sub] = JSON.parse(text);
        assert.equal(members[sub]!.result, 'included', sub);
        assert.equal(
          verifyExclusionProof(text, parseVrfPublicKey(published.json().publicKey)).ok,
          true,
        );
      }
      const u1 = await mine('ds_many', 'u1');
      const member = cli(save('u1.json', u1), '--manifest', manifestOf(many));
      assert.equal(member.code, 0, member.err);
      assert.match(member.out, /IN the dataset: leaf \d of 6/);
      const memberAsAbsent = cli(save('u1-expect.json', u1), '--expect', 'not-included');
      assert.equal(memberAsAbsent.code, 1);
      assert.match(memberAsAbsent.err, /shows included, not not-included/);

      // The neighbours of u10's value are members' leaves, adjacent in the tree.
      const absent = JSON.parse(u10) as ExclusionProof;
      const leaves = new Map(Object.values(members).map((m) => [m.leaf!.index, m.leaf!.beta]));
      if (absent.below) assert.equal(leaves.get(absent.below.index), absent.below.beta);
      if (absent.above) assert.equal(leaves.get(absent.above.index), absent.above.beta);

      const key = parseVrfPublicKey(published.json().publicKey);
      const rejects = (p: ExclusionProof, why: RegExp) => {
        const check = verifyExclusionProof(exclusionProofText(p), key);
        assert.equal(check.ok, false, check.lines.join('\n'));
        assert.match(check.lines.at(-1)!, why);
      };
      // A member's key in u10's proof of absence: the VRF proof is u10's, not theirs.
      rejects({ ...absent, subjectKey: 'acct:u1' }, /VRF proof: not the proof/);
      // ... with the member's own VRF proof: their value is a leaf, so the neighbours do not bracket it.
      rejects(
        { ...absent, subjectKey: 'acct:u1', vrfProof: members.u1!.vrfProof },
        /not (smaller|larger) than the person's|not adjacent|not the (last|first)/,
      );
      // A member's proof turned into absence with two other adjacent leaves around it.
      const idx = members.u1!.leaf!.index;
      const around = Object.values(members).filter((m) => Math.abs(m.leaf!.index - idx) === 1);
      rejects(
        {
          ...members.u1!,
          result: 'not-included',
          leaf: null,
          below: around.find((m) => m.leaf!.index < idx)?.leaf ?? null,
          above: around.find((m) => m.leaf!.index > idx)?.leaf ?? null,
        },
        /not (smaller|larger)|not adjacent|not the (last|first)/,
      );
      // Skipping the member's leaf: the neighbours are not adjacent.
      const lower = Object.values(members).find((m) => m.leaf!.index === idx - 1);
      const upper = Object.values(members).find((m) => m.leaf!.index === idx + 1);
      if (lower && upper) {
        rejects(
          {
            ...members.u1!,
            result: 'not-included',
            leaf: null,
            below: lower.leaf,
            above: upper.leaf,
          },
          /not adjacent/,
        );
      }
      // Fewer subjects claimed: the inclusion proofs no longer climb to the root.
      rejects({ ...absent, commitment: { ...absent.commitment, count: 5 } }, /does not bind/);

      // One subject: the member is leaf 0 of 1; anyone else has exactly one neighbour.
      const oneIn = cli(
        save('one-in.json', await mine('ds_one', 'u1')),
        '--manifest',
        manifestOf(one),
        '--expect',
        'included',
      );
      assert.equal(oneIn.code, 0, oneIn.err);
      assert.match(oneIn.out, /leaf 0 of 1/);
      const oneOut = JSON.parse(await mine('ds_one', 'u2')) as ExclusionProof;
      assert.equal((oneOut.below ? 1 : 0) + (oneOut.above ? 1 : 0), 1);
      const oneOutCli = cli(
        save('one-out.json', exclusionProofText(oneOut)),
        '--manifest',
        manifestOf(one),
        '--expect',
        'not-included',
      );
      assert.equal(oneOutCli.code, 0, oneOutCli.err);
      assert.match(oneOutCli.out, /(after the last|before the first) leaf/);

      // Empty: nobody is in it, the root is the empty tree's, and claiming one subject fails.
      const emptyText = await mine('ds_empty', 'u9');
      const emptyOk = cli(
        save('empty.json', emptyText),
        '--manifest',
        manifestOf(empty),
        '--expect',
        'not-included',
      );
      assert.equal(emptyOk.code, 0, emptyOk.err);
      assert.match(emptyOk.out, /holds nobody/);
      const emptyProof = JSON.parse(emptyText) as ExclusionProof;
      rejects(
        { ...emptyProof, commitment: { ...emptyProof.commitment, count: 1 } },
        /does not bind/,
      );

      // Replay: u10's proof for ds_many against ds_one's manifest, or renamed to ds_one.
      const replay = cli(save('replay.json', u10), '--manifest', manifestOf(one));
      assert.equal(replay.code, 1);
      assert.match(replay.err, /dataset: the proof is for ds_many, not ds_one/);
      // The commitment's fields from ds_one's manifest (exclusionProofText keeps only its own).
      const renamed = { ...absent, datasetId: 'ds_one', commitment: one.manifest.exclusion! };
      const renamedFile = save('renamed.json', exclusionProofText(renamed));
      const renamedCli = cli(renamedFile, '--manifest', manifestOf(one));
      assert.equal(renamedCli.code, 1);
      assert.match(renamedCli.err, /VRF proof: not the proof/);

      // Every single-byte edit of a proof fails (through the CLI's own check), a few by the CLI.
      for (const text of [u10, u1, emptyText]) {
        const bytes = Buffer.from(text);
        for (let i = 0; i < bytes.length; i++) {
          for (const flip of [0x01, 0x20, 0x10]) {
            const edited = Buffer.from(bytes);
            edited[i]! ^= flip;
            const check = verifyExclusionProof(edited.toString('latin1'), key);
            assert.equal(check.ok, false, `byte ${i} ^ ${flip}: ${check.lines.join(' / ')}`);
          }
        }
      }
      for (const at of [
        u10.indexOf('"vrfProof"') + 20,
        u10.indexOf('"root"') + 12,
        u10.length - 1,
      ]) {
        const edited = Buffer.from(u10);
        edited[at]! ^= 0x01;
        const r = cli(save(`edit-${at}.json`, edited.toString('latin1')));
        assert.equal(r.code, 1, `edit at ${at}`);
        assert.match(r.err, /exclusion proof FAILED/);
      }

      // Another VRF key: the proof names a different key, and even renamed, its VRF proof fails.
      const otherKey = path.join(dir, 'other.pem');
      const otherPublic = parseVrfPublicKey(
        (await import('node:crypto'))
          .createPublicKey(generateVrfKeyPem())
          .export({ type: 'spki', format: 'pem' })
          .toString(),
      );
      writeFileSync(otherKey, otherPublic.pem);
      const wrongKey = runVeto(
        {},
        'dataset',
        'verify-exclusion',
        save('wk.json', u10),
        '--key',
        otherKey,
      );
      assert.equal(wrongKey.code, 1);
      assert.match(wrongKey.err, /VRF key: the proof names key/);
      rejects(
        { ...absent, commitment: { ...absent.commitment, keyId: otherPublic.keyId } },
        /VRF key/,
      );
      const underOther = verifyExclusionProof(
        exclusionProofText({
          ...absent,
          commitment: { ...absent.commitment, keyId: otherPublic.keyId },
        }),
        otherPublic,
      );
      assert.equal(underOther.ok, false);
      assert.match(underOther.lines.at(-1)!, /VRF proof: not the proof/);

      // The platform asks for any account with its API key; nobody asks without one.
      const platform = await app.inject({
        url: '/v1/datasets/ds_many/exclusion-proof?accountId=u10',
        headers: { authorization: `Bearer ${TEST_API_KEY}` },
      });
      assert.equal(platform.statusCode, 200, platform.body);
      assert.equal(JSON.parse(platform.body).subjectKey, 'acct:u10');
      assert.equal(verifyExclusionProof(platform.body, key).result, 'not-included');
      const anonymous = await app.inject('/v1/datasets/ds_many/exclusion-proof?accountId=u10');
      assert.equal(anonymous.statusCode, 401);
      const anonymousMe = await app.inject('/v1/me/datasets/ds_many/exclusion-proof');
      assert.equal(anonymousMe.statusCode, 401);
      const asPerson = await app.inject({
        url: '/v1/datasets/ds_many/exclusion-proof?accountId=u1',
        headers: await user('u10'),
      });
      assert.equal(asPerson.statusCode, 403);
      const badAccount = await app.inject({
        url: '/v1/datasets/ds_many/exclusion-proof?accountId=a%20b',
        headers: { authorization: `Bearer ${TEST_API_KEY}` },
      });
      assert.equal(badAccount.statusCode, 400);
      assert.match(badAccount.body, /accountId/);
      const unknown = await app.inject({
        url: '/v1/me/datasets/ds_nope/exclusion-proof',
        headers: await user('u1'),
      });
      assert.equal(unknown.statusCode, 404);
      // `veto dataset verify` checks the leaves file: two values swapped (unsorted) fail it.
      const leavesFile = path.join(many.dir, many.manifest.exclusion!.file);
      const good = readFileSync(leavesFile);
      const verified = runVeto(
        {},
        'dataset',
        'verify',
        many.dir,
        '--offline',
        '--snapshot',
        many.snapshot,
      );
      assert.equal(verified.code, 0, verified.out + verified.err);
      const swapped = Buffer.concat([
        good.subarray(32, 64),
        good.subarray(0, 32),
        good.subarray(64),
      ]);
      writeFileSync(leavesFile, swapped);
      const tampered = runVeto(
        {},
        'dataset',
        'verify',
        many.dir,
        '--offline',
        '--snapshot',
        many.snapshot,
      );
      writeFileSync(leavesFile, good);
      assert.equal(tampered.code, 1, tampered.out);
      assert.match(
        tampered.out + tampered.err,
        /exclusion: exclusion-leaves\.bin: its sha256 differs/,
      );
      // A rebuilt version commits to its own subjects under its own id: u2's post removed, u2 is
      // proved absent from the new version (and still present in the replaced one).
      const rebuilt = await rebuildDataset({
        dir: many.dir,
        removals: [
          {
            id: 'rm_u2',
            datasetId: 'ds_many',
            subjectKey: 'acct:u2',
            objectionId: 'obj_u2',
            purpose: 'genai-training',
            itemIds: ['p4'],
            recordedAt: veto.clock(),
          },
        ],
        record: (m, rows, leaves) => veto.gate.recordDataset(m, rows, leaves),
        exclusionKey: veto.exclusionKeys().current,
        secret: config.secret,
        now: veto.clock,
      });
      assert.equal(rebuilt.manifest.exclusion?.count, 5);
      assert.notEqual(rebuilt.manifest.exclusion?.root, many.manifest.exclusion?.root);
      const u2After = cli(
        save('u2-v2.json', await mine(rebuilt.datasetId, 'u2')),
        '--manifest',
        manifestOf(rebuilt),
        '--expect',
        'not-included',
      );
      assert.equal(u2After.code, 0, u2After.out + u2After.err);
      assert.equal(JSON.parse(await mine(rebuilt.datasetId, 'u1')).result, 'included');
      assert.equal(JSON.parse(await mine('ds_many', 'u2')).result, 'included');
      // The replaced version's proof does not pass for the new version (another id and root).
      const replayed = cli(
        save('u2-v1.json', await mine('ds_many', 'u2')),
        '--manifest',
        manifestOf(rebuilt),
      );
      assert.notEqual(replayed.code, 0, replayed.out);
      const rebuiltVerify = runVeto(
        {},
        'dataset',
        'verify',
        rebuilt.dir,
        '--offline',
        '--snapshot',
        many.snapshot,
      );
      assert.equal(rebuiltVerify.code, 0, rebuiltVerify.out + rebuiltVerify.err);
      // Without the key (a caller that gives none), the new version has no commitment and no proof.
      const bare = await rebuildDataset({
        dir: rebuilt.dir,
        removals: [],
        record: (m, rows) => veto.gate.recordDataset(m, rows),
        secret: config.secret,
        now: veto.clock,
      });
      assert.equal(bare.manifest.exclusion, undefined);
      const noProof = await app.inject({
        url: `/v1/me/datasets/${bare.datasetId}/exclusion-proof`,
        headers: await user('u1'),
      });
      assert.equal(noProof.statusCode, 404);
      // The manifest's commitment is also what the store holds.
      const stored = await veto.afterwards!.deps.store.datasetExclusion('ds_many');
      assert.equal(stored?.root, many.manifest.exclusion!.root);
      assert.equal(readFileSync(path.join(many.dir, many.manifest.exclusion!.file)).length, 6 * 32);
    });
  });
}
