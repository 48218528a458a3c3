import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import type { Veto } from '../../src/app/wire.ts';
import { Afterwards } from '../../src/domain/removals/afterwards.ts';
import type { Objection } from '../../src/domain/types.ts';
import { buildDataset } from '../../src/gate/build.ts';
import type { DatasetManifest } from '../../src/gate/manifest.ts';
import { buildApp } from '../../src/http/app.ts';
import { signDemoToken } from '../../src/http/auth/platform-token.ts';
import { writeSnapshotFile } from '../../src/registry-files/snapshot-file.ts';
import {
  TermsTree,
  termsLeaves,
  verifyTermsProof,
} from '../../src/transparency/terms-commitment.ts';
import { AS_OF, jsonl, record, writePolicy } from '../gate/support/fixtures.ts';
import { recordTestSnapshot } from '../gate/support/memory-registry.ts';
import { everyoneShown } from '../removals/support/fixture.ts';
import { TEST_API_KEY, TEST_JWT_SECRET } from '../support/test-veto.ts';
import { runVeto } from '../support/veto-cli.ts';
import { ADAPTERS, adapterAvailable, testVetoOn } from '../support/veto-on.ts';
import { executor } from './forge-log.ts';

/**
 * Proofs for people without an account, end to end on each adapter: non-users object with the
 * names, handles and links they appear under; a build with the registry redacts those terms and
 * commits to which terms objections it applied; the person gets a proof from their receipt
 * (portal, with the receipt's status token) or the platform does (API key); `veto dataset
 * verify-terms` checks it offline against the manifest and the logged root; a rebuilt version
 * commits its own. Adversarial: a proof replayed for another dataset, a reference not in the set
 * (objected after the cut-off; without terms; with an account), an empty set, and the operator
 * serving proofs from a set other than the one it logged.
 */
function vetoEnv(veto: Veto): Record<string, string> {
  return {
    VETO_DATA_DIR: veto.config.dataDir,
    VETO_DATABASE_URL: veto.config.databaseUrl,
    VETO_SECRET: veto.config.secret,
    VETO_LOG_LEVEL: 'silent',
  };
}

async function snapshotAt(dir: string, asOf: string): Promise<string> {
  const id = `snap_terms_${Date.parse(asOf)}`;
  const file = path.join(dir, `${id}.snap`);
  recordTestSnapshot(
    await writeSnapshotFile(file, { id, purpose: 'ai-training', asOf }, ['acct:u-late']),
  );
  return file;
}

for (const adapter of ADAPTERS) {
  describe(`terms proofs for people without an account (${adapter})`, async () => {
    const available = await adapterAvailable(adapter);
    test('the applied terms objections are committed, proved from the receipt, checked offline', {
      skip: available ? false : `${adapter} unavailable`,
      timeout: 300_000,
    }, async (t) => {
      let now = Date.parse('2025-05-01T00:00:00Z');
      const { veto, dir, config } = await testVetoOn(
        adapter,
        t,
        {},
        { clock: () => new Date(now).toISOString() },
      );
      const nonUser = async (email: string, appearsAt: string[]) =>
        (
          await veto.registry.object({
            subject: { kind: 'email', email },
            channel: 'api',
            language: 'en',
            appearsAt,
          })
        ).objection;
      const nina = await nonUser('nina@example.org', ['Nina Roux', '@nina_r']);
      const paul = await nonUser('paul@example.org', ['Paul Martin']);
      const zoe = await nonUser('zoe@example.org', []);
      const account = (
        await veto.registry.object({
          subject: { kind: 'account', accountId: 'u-acc' },
          channel: 'api',
          language: 'en',
        })
      ).objection;
      now = Date.parse('2025-06-01T00:00:00Z');
      const late = await nonUser('late@example.org', ['Lee Late']);
      now = Date.now();

      const input = path.join(dir, 'export.jsonl');
      await writeFile(
        input,
        jsonl([
          record({ id: 'p1', author_id: 'u1', text: 'Dinner with Nina Roux and Lee Late' }),
          record({ id: 'p2', author_id: 'u2', text: 'Paul Martin says hello' }),
        ]),
      );
      const seal = async (datasetId: string, asOf: string) => {
        const result = await buildDataset({
          policy: await writePolicy(dir),
          inputs: [input],
          outDir: path.join(dir, 'datasets'),
          objectors: { snapshot: await snapshotAt(dir, asOf) },
          registry: everyoneShown(veto.gate),
          workers: 0,
          datasetId,
          termsKey: veto.termsKey(),
        });
        if (result.status !== 'sealed') throw result.error;
        return result;
      };
      const ds = await seal('ds_t', AS_OF);
      // Built before anyone objected: it applied no terms objection (an empty set).
      const empty = await seal('ds_e', '2025-04-01T00:00:00.000Z');
      assert.equal(
        ds.manifest.terms?.count,
        2,
        'Nina and Paul; not Zoe (no terms), not Lee (late)',
      );
      assert.equal(ds.manifest.thirdPartyTerms.count, 3);
      assert.equal(empty.manifest.terms?.count, 0);
      const data = readFileSync(path.join(ds.dir, 'data.jsonl'), 'utf8');
      assert.doesNotMatch(data, /Nina Roux|Paul Martin/);
      assert.match(data, /Lee Late/, 'an objection after the cut-off is not applied');
      // Nothing of the references travels with the dataset.
      const leaves = readFileSync(path.join(ds.dir, 'terms-leaves.bin'));
      assert.equal(leaves.length, 64);
      assert.doesNotMatch(readFileSync(path.join(ds.dir, 'manifest.json'), 'utf8'), /VT-/);

      const app = await buildApp(veto);
      t.after(() => app.close());
      const sealedEvent = await app.inject('/v1/datasets/ds_t/sealed-event');
      assert.equal(sealedEvent.statusCode, 200);
      assert.deepEqual(JSON.parse(sealedEvent.json().leaf)[5].terms, {
        count: 2,
        root: ds.manifest.terms!.root,
      });
      const api = (o: Objection, datasetId: string, how: 'token' | 'key' | string = 'token') =>
        app.inject({
          url: `/v1/receipts/${o.reference.toLowerCase()}/terms-proof/${datasetId}${how === 'token' ? `?t=${veto.registry.statusToken(o)}` : how === 'key' ? '' : how}`,
          headers: how === 'key' ? { authorization: `Bearer ${TEST_API_KEY}` } : {},
        });

      // The person, with their receipt's token; the platform, with its key: the same proof.
      const mine = await api(nina, 'ds_t');
      assert.equal(mine.statusCode, 200, mine.body);
      assert.match(String(mine.headers['content-disposition']), /terms-proof-ds_t\.json/);
      assert.equal((await api(nina, 'ds_t', 'key')).body, mine.body);
      const expected = { datasetId: 'ds_t', commitment: ds.manifest.terms! };
      assert.equal(verifyTermsProof(mine.body, expected).ok, true);
      assert.equal(verifyTermsProof((await api(paul, 'ds_t')).body, expected).ok, true);
      // Nobody else: a wrong token, no credential, a person's platform token.
      assert.equal((await api(nina, 'ds_t', '?t=not-the-token')).statusCode, 404);
      assert.equal((await api(nina, 'ds_t', '')).statusCode, 401);
      const userToken = await app.inject({
        url: `/v1/receipts/${nina.reference}/terms-proof/ds_t`,
        headers: { authorization: `Bearer ${await signDemoToken(TEST_JWT_SECRET, { sub: 'u1' })}` },
      });
      assert.equal(userToken.statusCode, 403);
      // Not in the set: objected after the cut-off, gave no terms, an account; an empty set.
      const lateProof = await api(late, 'ds_t');
      assert.equal(lateProof.statusCode, 404);
      assert.match(
        lateProof.json().detail,
        /not among the 2 that dataset ds_t's redaction applied/,
      );
      assert.equal((await api(zoe, 'ds_t')).statusCode, 404);
      assert.equal((await api(account, 'ds_t', 'key')).statusCode, 404);
      assert.equal((await api(nina, 'ds_e')).statusCode, 404);
      assert.equal((await api(nina, 'ds_none')).statusCode, 404);
      const openapi = (await app.inject('/openapi.json')).json();
      assert.ok(openapi.paths['/v1/receipts/{reference}/terms-proof/{datasetId}']?.get);

      // Offline, with the manifest and the logged root.
      const save = (name: string, text: string) => {
        const file = path.join(dir, name);
        writeFileSync(file, text);
        return file;
      };
      const logKey = (await app.inject('/v1/transparency/keys')).json().log as string;
      const ninaFile = save('nina.json', mine.body);
      const sealedT = save('sealed-t.json', sealedEvent.body);
      const sealedE = save(
        'sealed-e.json',
        (await app.inject('/v1/datasets/ds_e/sealed-event')).body,
      );
      const cli = (file: string, ...more: string[]) =>
        runVeto({}, 'dataset', 'verify-terms', file, ...more);
      const ok = cli(
        ninaFile,
        ...['--manifest', path.join(ds.dir, 'manifest.json')],
        ...['--sealed-event', sealedT, '--log-key', logKey],
      );
      assert.equal(ok.code, 0, ok.out + ok.err);
      assert.match(ok.out, new RegExp(`APPLIED: the terms objection ${nina.reference} is leaf`));
      assert.match(
        ok.out,
        /the proof's root is the one the log's dataset\.sealed event #\d+ holds/,
      );
      // Replayed for another dataset (the empty one): its manifest, its logged event.
      const replayed = cli(ninaFile, '--manifest', path.join(empty.dir, 'manifest.json'));
      assert.equal(replayed.code, 1);
      assert.match(replayed.err, /the proof is for ds_t, not ds_e/);
      const otherEvent = cli(ninaFile, '--sealed-event', sealedE);
      assert.equal(otherEvent.code, 1);
      assert.match(otherEvent.err, /sealed event: it is ds_e's, not ds_t's/);

      // The portal, from the non-user's receipt, with its token: the list and the proof page.
      const tok = veto.registry.statusToken(nina);
      const receipt = await app.inject(`/receipt/${nina.reference}?t=${tok}`);
      assert.match(receipt.body, new RegExp(`href="/receipt/${nina.reference}/terms-proof\\?t=`));
      const list = await app.inject(`/receipt/${nina.reference}/terms-proof?t=${tok}`);
      assert.equal(list.statusCode, 200);
      assert.match(list.body, /Datasets that applied your objection/);
      assert.match(list.body, new RegExp(`href="/receipt/${nina.reference}/terms-proof/ds_t\\?t=`));
      assert.match(list.body, /Not on this dataset’s list/, 'ds_e');
      const page = await app.inject(`/receipt/${nina.reference}/terms-proof/ds_t?t=${tok}`);
      assert.equal(page.statusCode, 200);
      assert.match(page.body, /Verified: your objection is on the list/);
      assert.match(page.body, /It does not prove that no text anywhere mentions you/);
      assert.doesNotMatch(page.body, /<script/);
      const download = await app.inject(
        `/receipt/${nina.reference}/terms-proof/ds_t.json?t=${tok}`,
      );
      assert.equal(download.body, mine.body);
      const latePage = await app.inject(
        `/receipt/${late.reference}/terms-proof/ds_t?t=${veto.registry.statusToken(late)}`,
      );
      assert.equal(latePage.statusCode, 200);
      assert.match(latePage.body, /Your objection is not on this dataset’s list/);
      assert.equal(
        (await app.inject(`/receipt/${nina.reference}/terms-proof/ds_t`)).statusCode,
        404,
      );
      assert.equal(
        (await app.inject(`/receipt/${nina.reference}/terms-proof/ds_none?t=${tok}`)).statusCode,
        404,
      );
      assert.equal(
        (
          await app.inject(
            `/receipt/${account.reference}/terms-proof?t=${veto.registry.statusToken(account)}`,
          )
        ).statusCode,
        404,
      );

      // A rebuilt version commits its own: the same objections, under its own id.
      const env = vetoEnv(veto);
      const rebuilt = runVeto(env, 'dataset', 'rebuild', 'ds_t', '--dir', ds.dir);
      assert.equal(rebuilt.code, 0, rebuilt.out + rebuilt.err);
      const v2 = JSON.parse(
        readFileSync(path.join(dir, 'datasets', 'ds_t.v2', 'manifest.json'), 'utf8'),
      ) as DatasetManifest;
      assert.equal(v2.terms?.count, 2);
      assert.notEqual(v2.terms?.root, ds.manifest.terms!.root);
      const v2Proof = await api(nina, 'ds_t.v2');
      assert.equal(v2Proof.statusCode, 200, v2Proof.body);
      assert.equal(
        verifyTermsProof(v2Proof.body, { datasetId: 'ds_t.v2', commitment: v2.terms! }).ok,
        true,
      );
      assert.equal(
        verifyTermsProof(mine.body, { datasetId: 'ds_t.v2', commitment: v2.terms! }).ok,
        false,
        "the replaced version's proof does not pass for the new one",
      );
      const clean = runVeto(env, 'audit', 'verify');
      assert.equal(clean.code, 0, clean.out + clean.err);
      // ds_t, ds_e and ds_t.v2's terms, and ds_t.v2's exclusion commitment (the command's key).
      assert.match(clean.out, /note: 4 dataset commitments compared with the log/);

      // The operator serves proofs from another set (Lee's objection added after the fact):
      // Lee's proof holds alone, not against the manifest or the root the log holds.
      const forged = termsLeaves(veto.termsKey(), 'ds_t', [
        nina.reference,
        paul.reference,
        late.reference,
      ]);
      const forgedRoot = new TermsTree('ds_t', forged).commitment().root;
      await executor(
        adapter,
        config.databaseUrl,
        dir,
      )('UPDATE dataset_terms SET leaves = ?, root = ?, objections = ? WHERE dataset_id = ?', [
        forged,
        forgedRoot,
        3,
        'ds_t',
      ]);
      const lie = await new Afterwards(veto.afterwards!.deps).termsProof('ds_t', late.reference);
      const lieFile = save('lee.json', lie);
      assert.equal(cli(lieFile).code, 0, 'the proof is consistent with itself');
      const refusedByManifest = cli(lieFile, '--manifest', path.join(ds.dir, 'manifest.json'));
      assert.equal(refusedByManifest.code, 1);
      const refusedByLog = cli(lieFile, '--sealed-event', sealedT, '--log-key', logKey);
      assert.equal(refusedByLog.code, 1);
      assert.match(
        refusedByLog.err,
        new RegExp(`the proof's root ${forgedRoot} \\(3\\) is not the one the log holds for ds_t`),
      );
      const audit = runVeto(env, 'audit', 'verify');
      assert.equal(audit.code, 1);
      assert.match(
        audit.err,
        /dataset commitments: dataset ds_t \(dataset\.sealed #\d+\): the log's terms commitment .* differs from the one proofs are made from/,
      );
    });
  });
}
