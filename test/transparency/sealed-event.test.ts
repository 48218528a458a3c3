import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import type { Veto } from '../../src/app/wire.ts';
import { Afterwards } from '../../src/domain/removals/afterwards.ts';
import { buildDataset } from '../../src/gate/build.ts';
import type { DatasetManifest } from '../../src/gate/manifest.ts';
import { buildApp } from '../../src/http/app.ts';
import { ExclusionTree, exclusionAlpha } from '../../src/transparency/dataset-exclusion.ts';
import { vrfProofToHash, vrfProve } from '../../src/transparency/rsa-fdh-vrf.ts';
import { generateSigner } from '../../src/transparency/signed-note.ts';
import { jsonl, record, writePolicy, writeSnapshot } from '../gate/support/fixtures.ts';
import { everyoneShown } from '../removals/support/fixture.ts';
import { TEST_ADMIN_KEY, TEST_API_KEY } from '../support/test-veto.ts';
import { runVeto } from '../support/veto-cli.ts';
import { ADAPTERS, adapterAvailable, testVetoOn } from '../support/veto-on.ts';
import { executor } from './forge-log.ts';

/**
 * The exclusion root in the log as its own field: the `dataset.sealed` event names the dataset's
 * exclusion commitment, `GET /v1/datasets/{id}/sealed-event` serves the event with its inclusion
 * proof, `veto dataset verify-exclusion --sealed-event` checks a person's proof against the root
 * the log holds, and `veto audit verify` checks that root against the registry's records. The
 * attack: the operator serves proofs from a tree other than the one it logged (a member's value
 * dropped, so the member gets a valid-looking proof of absence).
 */
async function seal(
  veto: Veto,
  dir: string,
  datasetId: string,
  records: Record<string, unknown>[],
): Promise<DatasetManifest> {
  const input = path.join(dir, `${datasetId}.jsonl`);
  await writeFile(input, jsonl(records));
  const result = await buildDataset({
    policy: await writePolicy(dir),
    inputs: [input],
    outDir: path.join(dir, 'datasets'),
    objectors: { snapshot: await writeSnapshot(dir, []) },
    registry: everyoneShown(veto.gate),
    workers: 0,
    datasetId,
    exclusionKey: veto.exclusionKeys().current,
  });
  if (result.status !== 'sealed') throw result.error;
  return result.manifest;
}

function vetoEnv(veto: Veto): Record<string, string> {
  return {
    VETO_DATA_DIR: veto.config.dataDir,
    VETO_DATABASE_URL: veto.config.databaseUrl,
    VETO_SECRET: veto.config.secret,
    VETO_LOG_LEVEL: 'silent',
  };
}

for (const adapter of ADAPTERS) {
  describe(`the exclusion root in the log (${adapter})`, async () => {
    const available = await adapterAvailable(adapter);
    test('a proof is checked against the root the sealed event holds; another root is refused', {
      skip: available ? false : `${adapter} unavailable`,
      timeout: 300_000,
    }, async (t) => {
      const { veto, dir, config } = await testVetoOn(adapter, t);
      const app = await buildApp(veto);
      t.after(() => app.close());
      const a = await seal(veto, dir, 'ds_a', [
        record({ id: 'p1', author_id: 'u1' }),
        record({ id: 'p2', author_id: 'u2' }),
        record({ id: 'p3', author_id: 'u3' }),
      ]);
      await seal(veto, dir, 'ds_b', [record({ id: 'q1', author_id: 'u1' })]);

      // The event, public, with the commitment in its own field.
      const served = await app.inject('/v1/datasets/ds_a/sealed-event');
      assert.equal(served.statusCode, 200, served.body);
      const sealed = served.json();
      assert.equal(sealed.format, 'veto-sealed-event/v1');
      const leaf = JSON.parse(sealed.leaf);
      assert.equal(leaf[2], 'dataset.sealed');
      assert.deepEqual(leaf[5].exclusion, {
        keyId: a.exclusion!.keyId,
        count: 3,
        root: a.exclusion!.root,
      });
      assert.equal((await app.inject('/v1/datasets/ds_none/sealed-event')).statusCode, 404);
      assert.equal((await app.inject('/v1/datasets/bad%20id/sealed-event')).statusCode, 400);
      const openapi = (await app.inject('/openapi.json')).json();
      assert.ok(openapi.paths['/v1/datasets/{datasetId}/sealed-event']?.get);

      const keyFile = path.join(dir, 'key.json');
      writeFileSync(keyFile, (await app.inject('/v1/transparency/exclusion-key')).body);
      const logKey = (await app.inject('/v1/transparency/keys')).json().log as string;
      const save = (name: string, text: string) => {
        const file = path.join(dir, name);
        writeFileSync(file, text);
        return file;
      };
      const sealedA = save('sealed-a.json', served.body);
      const sealedB = save(
        'sealed-b.json',
        (await app.inject('/v1/datasets/ds_b/sealed-event')).body,
      );
      const proofOf = async (datasetId: string, accountId: string) => {
        const r = await app.inject({
          url: `/v1/datasets/${datasetId}/exclusion-proof?accountId=${accountId}`,
          headers: { authorization: `Bearer ${TEST_API_KEY}` },
        });
        assert.equal(r.statusCode, 200, r.body);
        return r.body;
      };
      const cli = (proof: string, sealedEvent: string, ...more: string[]) =>
        runVeto(
          {},
          ...['dataset', 'verify-exclusion', proof, '--key', keyFile],
          ...['--sealed-event', sealedEvent, ...more],
        );

      // Holds: u9 is not in ds_a, against the logged root, with the published log key.
      const u9 = save('u9.json', await proofOf('ds_a', 'u9'));
      const ok = cli(u9, sealedA, '--log-key', logKey, '--expect', 'not-included');
      assert.equal(ok.code, 0, ok.out + ok.err);
      assert.match(ok.out, /sealed event of ds_a .*signed by/);
      assert.match(
        ok.out,
        /the proof's root is the one the log's dataset\.sealed event #\d+ holds/,
      );
      // Without --log-key the key in the file is used, and the output says to compare it.
      const own = cli(u9, sealedA);
      assert.equal(own.code, 0, own.err);
      assert.match(own.out, /compare it with the one the registry publishes/);
      // Another dataset's event.
      const other = cli(u9, sealedB, '--log-key', logKey);
      assert.equal(other.code, 1);
      assert.match(other.err, /sealed event: it is ds_b's, not ds_a's/);
      // The event edited to name the served root: no longer the leaf the log holds.
      const edited = JSON.parse(served.body);
      edited.leaf = edited.leaf.replace(a.exclusion!.root, 'f'.repeat(64));
      const forged = cli(u9, save('forged.json', JSON.stringify(edited)), '--log-key', logKey);
      assert.equal(forged.code, 1);
      assert.match(forged.err, /leaf \d+ is not in the log's tree/);
      // Another log key.
      const wrongKey = cli(u9, sealedA, '--log-key', generateSigner('other.example/log').vkey);
      assert.equal(wrongKey.code, 1);
      assert.match(wrongKey.err, /sealed event: checkpoint:/);

      // Before any tamper, audit verify compares the logged roots with the registry's.
      const clean = runVeto(vetoEnv(veto), 'audit', 'verify');
      assert.equal(clean.code, 0, clean.out + clean.err);
      assert.match(clean.out, /note: 2 dataset commitments compared with the log/);
      const cleanApi = await app.inject({
        method: 'GET',
        url: '/v1/admin/audit',
        headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` },
      });
      assert.equal(cleanApi.json().ok, true, cleanApi.body);
      assert.deepEqual(cleanApi.json().commitmentProblems, []);
      assert.ok(
        (cleanApi.json().notes as string[]).includes('2 dataset commitments compared with the log'),
        cleanApi.body,
      );

      // The operator serves proofs from another tree: u1 dropped, so u1 gets "not included".
      const key = veto.exclusionKeys().current;
      const u1Beta = vrfProofToHash(vrfProve(key, exclusionAlpha('ds_a', 'acct:u1')));
      const stored = new ExclusionTree('ds_a', await leavesOf(veto));
      const kept: Buffer[] = [];
      for (let i = 0; i < stored.count; i++)
        if (!stored.beta(i).equals(u1Beta)) kept.push(stored.beta(i));
      assert.equal(kept.length, 2);
      const forgedTree = new ExclusionTree('ds_a', Buffer.concat(kept));
      const forgedRoot = forgedTree.commitment(key.public.keyId).root;
      await executor(
        adapter,
        config.databaseUrl,
        dir,
      )('UPDATE dataset_exclusions SET leaves = ?, root = ?, subjects = ? WHERE dataset_id = ?', [
        Buffer.concat(kept),
        forgedRoot,
        2,
        'ds_a',
      ]);
      // A fresh process's view (the running one keeps the tree it built before the edit).
      const lie = await new Afterwards(veto.afterwards!.deps).exclusionProof('ds_a', 'acct:u1');
      assert.equal(JSON.parse(lie).result, 'not-included');
      // Alone, the proof holds (the VRF and the tree are consistent with each other)...
      const alone = runVeto(
        {},
        'dataset',
        'verify-exclusion',
        save('u1.json', lie),
        '--key',
        keyFile,
      );
      assert.equal(alone.code, 0, alone.err);
      // ...but not against the root the log holds.
      const refused = cli(path.join(dir, 'u1.json'), sealedA, '--log-key', logKey);
      assert.equal(refused.code, 1, refused.out);
      assert.match(
        refused.err,
        new RegExp(
          `the proof's root ${forgedRoot} \\(2\\) is not the one the log holds for ds_a: ${a.exclusion!.root} \\(3\\)`,
        ),
      );
      assert.match(refused.err, /exclusion proof FAILED/);

      // veto audit verify sees the table disagree with the log.
      const audit = runVeto(vetoEnv(veto), 'audit', 'verify');
      assert.equal(audit.code, 1, audit.out + audit.err);
      assert.match(
        audit.err,
        /dataset commitments: dataset ds_a \(dataset\.sealed #\d+\): the log's exclusion commitment .* differs from the one proofs are made from/,
      );
      assert.doesNotMatch(audit.err, /ds_b/);
      // The admin API makes the same comparison: a path that skipped it would say "ok".
      const viaApi = await app.inject({
        method: 'GET',
        url: '/v1/admin/audit',
        headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` },
      });
      assert.equal(viaApi.statusCode, 200, viaApi.body);
      const report = viaApi.json() as { ok: boolean; commitmentProblems: string[] };
      assert.equal(report.ok, false);
      assert.equal(report.commitmentProblems.length, 1, viaApi.body);
      assert.match(
        report.commitmentProblems[0]!,
        /^dataset commitments: dataset ds_a \(dataset\.sealed #\d+\): the log's exclusion commitment/,
      );
    });
  });
}

/** ds_a's stored leaves, as the proofs are made from them. */
async function leavesOf(veto: Veto): Promise<Buffer> {
  const { openRemovalStore } = await import('../../src/app/wire.ts');
  const store = await openRemovalStore(veto.store);
  return (await store!.datasetExclusion('ds_a'))!.leaves;
}
