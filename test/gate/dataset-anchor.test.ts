import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { VetoConfig } from '../../src/config.ts';
import { readNoticeDirectory } from '../../src/domain/notices/notice-files.ts';
import type { AuditEvent } from '../../src/domain/types.ts';
import { hashedKey } from '../../src/gate/dataset-anchor.ts';
import type { DatasetManifest } from '../../src/gate/manifest.ts';
import { openCheckpoint } from '../../src/transparency/checkpoint.ts';
import { recordAssessmentFor } from '../support/assessment-text.ts';
import { runVeto } from '../support/veto-cli.ts';
import { ADAPTERS, adapterAvailable, testVetoOn } from '../support/veto-on.ts';
import { executor, plain, rewriteLog } from '../transparency/forge-log.ts';
import { jsonl, record, TEST_POLICY, writePolicy } from './support/fixtures.ts';

/**
 * Datasets anchored in the transparency log, through the commands a user runs: `veto gate build`
 * records the log's signed checkpoint at its snapshot in the manifest and logs `dataset.sealed`;
 * `veto dataset verify` checks the checkpoint, the log since, and the objector set the log's
 * events give; edits to the manifest's anchor, to the registry's objections and to the log fail.
 */

const NOTICE_DIR = fileURLToPath(new URL('../../notices/2026-01', import.meta.url));
const DAY = 86_400_000;

function vetoEnv(config: VetoConfig): Record<string, string> {
  return {
    VETO_DATA_DIR: config.dataDir,
    VETO_DATABASE_URL: config.databaseUrl,
    VETO_SECRET: config.secret,
    VETO_LOG_LEVEL: 'silent',
  };
}

async function events(store: { readEvents(): AsyncIterable<AuditEvent> }): Promise<AuditEvent[]> {
  const out: AuditEvent[] = [];
  for await (const e of store.readEvents()) out.push(e);
  return out;
}

for (const adapter of ADAPTERS) {
  describe(`datasets anchored in the transparency log (${adapter})`, () => {
    it('gate build records the checkpoint; verify checks it and fails each tamper', async (t) => {
      if (!(await adapterAvailable(adapter))) return t.skip();
      let now = Date.now() - 60 * DAY;
      const { veto, config, dir } = await testVetoOn(
        adapter,
        t,
        {},
        { clock: () => new Date(now).toISOString() },
      );
      await veto.notices.publish(readNoticeDirectory(NOTICE_DIR), 'test');
      now = Date.now() - 59 * DAY;
      await veto.notices.recordExposures(
        ['u1', 'u2', 'u3', 'u4'].map((accountId) => ({
          accountId,
          version: '2026-01',
          language: 'en',
          channel: 'in-app' as const,
          shownAt: new Date(now).toISOString(),
        })),
        'test',
      );
      // u3 objects and stays an objector; u4 objects and withdraws before the build: the replay
      // must end u4's objection, as the registry did.
      now = Date.now() - 2 * DAY;
      const object = (accountId: string) =>
        veto.registry.object({
          subject: { kind: 'account', accountId },
          channel: 'api',
          language: 'en',
        });
      await object('u3');
      const u4 = await object('u4');
      now = Date.now() - DAY;
      await veto.registry.withdraw(u4.objection.id, { admin: 'test' });
      now = Date.now();

      const env = vetoEnv(config);
      const policy = await writePolicy(
        dir,
        TEST_POLICY.replace('version: "2025-04"', 'version: "2026-01"'),
        'policy-2026.yaml',
      );
      await recordAssessmentFor(veto, policy);
      const input = join(dir, 'in.jsonl');
      writeFileSync(
        input,
        jsonl([
          record({ id: 'a' }),
          record({ id: 'b', author_id: 'u2' }),
          record({ id: 'c', author_id: 'u3' }),
          record({ id: 'd', author_id: 'u4' }),
        ]),
      );
      const out = join(dir, 'datasets');
      const built = runVeto(
        env,
        ...['gate', 'build', '--policy', policy, '--input', input, '--out', out],
        ...['--workers', '0', '--dataset-id', 'ds_anchor'],
      );
      assert.equal(built.code, 0, built.out + built.err);
      const manifestPath = join(out, 'ds_anchor', 'manifest.json');
      const manifestBytes = readFileSync(manifestPath);
      const manifest = JSON.parse(manifestBytes.toString('utf8')) as DatasetManifest;
      assert.equal(manifest.snapshot.count, 1);
      assert.equal(manifest.counts.objected, 1);

      // The manifest carries the checkpoint at the snapshot's event, signed by the log's key.
      const log = await events(veto.store);
      const snapshotEvent = log.find(
        (e) => e.type === 'snapshot.created' && e.data.id === manifest.snapshot.id,
      );
      assert.ok(manifest.anchor && snapshotEvent);
      assert.equal(manifest.anchor.size, snapshotEvent.seq);
      const cp = openCheckpoint(manifest.anchor.checkpoint, veto.transparency.logKeys);
      assert.equal(cp.size, manifest.anchor.size);
      assert.equal(cp.root.toString('base64'), manifest.anchor.root);

      // dataset.sealed is in the log audit verify checks, naming this manifest.json's hash.
      const sealed = log.filter((e) => e.type === 'dataset.sealed');
      assert.equal(sealed.length, 1);
      assert.equal(sealed[0]!.data.datasetId, 'ds_anchor');
      assert.equal(
        sealed[0]!.data.manifestSha256,
        createHash('sha256').update(manifestBytes).digest('hex'),
      );
      assert.deepEqual(sealed[0]!.data.anchor, {
        size: manifest.anchor.size,
        root: manifest.anchor.root,
      });
      const published = join(dir, 'checkpoint.txt');
      writeFileSync(published, (await veto.transparency.checkpoint()).note);
      const audited = runVeto(env, 'audit', 'verify', '--checkpoint', published);
      assert.equal(audited.code, 0, audited.out + audited.err);

      const verify = () => runVeto(env, 'dataset', 'verify', 'ds_anchor', '--in', out);
      const ok = verify();
      assert.equal(ok.code, 0, ok.out + ok.err);
      assert.match(
        ok.out,
        /anchor\s+ok: checkpoint of \d+ events signed by .*replaying it gives the 1 objectors/,
      );
      assert.match(ok.out, /dataset\.sealed #\d+ names this manifest\.json/);

      const failures: string[] = [];
      const expectFailure = (what: string, pattern: RegExp) => {
        const r = verify();
        failures.push(`${what}: exit ${r.code}\n${r.out}`);
        assert.equal(r.code, 1, `${what}: ${r.out}${r.err}`);
        assert.match(r.out, pattern, what);
        return r.out;
      };

      // 1. The manifest's checkpoint edited: its root, then its size.
      const edited = (change: (a: NonNullable<DatasetManifest['anchor']>) => void) => {
        const m = JSON.parse(manifestBytes.toString('utf8')) as DatasetManifest;
        change(m.anchor!);
        writeFileSync(manifestPath, `${JSON.stringify(m, null, 2)}\n`);
      };
      edited((a) => {
        a.root = Buffer.alloc(32, 7).toString('base64');
      });
      expectFailure('anchor root edited', /anchor: manifest\.anchor says size \d+ root/);
      edited((a) => {
        a.size -= 1;
      });
      const sizeEdited = expectFailure(
        'anchor size edited',
        /anchor: .*signed checkpoint says size/,
      );
      assert.match(sizeEdited, /manifest: .*dataset\.sealed event #\d+ sealed/);
      writeFileSync(manifestPath, manifestBytes);
      assert.equal(verify().code, 0);

      // 2. u3's objection ended in the registry's table after the build (ended before the
      // cut-off), while the log prefix still says it was effective.
      const exec = executor(adapter, config.databaseUrl, dir);
      const original = await veto.store.objectionsOfSubject('acct:u3');
      await exec(
        `UPDATE objections SET status = 'withdrawn', ended_at = ? WHERE subject_key = 'acct:u3'`,
        [new Date(Date.parse(manifest.snapshot.asOf) - 1000).toISOString()],
      );
      const removed = expectFailure(
        'objection removed from the registry',
        /anchor: the registry's objections effective at .* \(0\) differ from the log's first \d+ events \(1\); 1 effective in the log, missing from the registry \(subject key sha256 ([0-9a-f]{16})\)/,
      );
      assert.match(removed, new RegExp(hashedKey('acct:u3')));
      await exec(`UPDATE objections SET status = 'effective', ended_at = NULL WHERE id = ?`, [
        original[0]!.id,
      ]);
      assert.equal(verify().code, 0);

      // 3. The log rewritten, chain, head and tiles rebuilt consistently: u3's objection made
      // one for another purpose (as many events), then u4's events deleted (fewer events).
      const current = await events(veto.store);
      await rewriteLog(
        exec,
        current.map((e) =>
          e.type === 'objection.recorded' && e.subjectKey === 'acct:u3'
            ? { ...plain(e), data: { ...e.data, purpose: 'marketing' } }
            : plain(e),
        ),
      );
      const rewritten = expectFailure(
        'log rewritten',
        /anchor: REWRITTEN: the log's first \d+ events no longer hash to the anchor's root/,
      );
      assert.match(
        rewritten,
        /is not consistent with the anchor \(size \d+\): the consistency proof fails/,
      );
      await rewriteLog(exec, current.filter((e) => e.objectionId !== u4.objection.id).map(plain));
      expectFailure(
        'log truncated',
        /anchor: TRUNCATED: the anchor counts \d+ events, the log now holds/,
      );
      t.diagnostic(failures.join('\n---\n'));
    });
  });
}
