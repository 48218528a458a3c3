import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import type { VetoConfig } from '../../src/config.ts';
import { readNoticeDirectory } from '../../src/domain/notices/notice-files.ts';
import type { DatasetManifest } from '../../src/gate/manifest.ts';
import { loadPolicy } from '../../src/gate/policy.ts';
import { jsonl, record, TEST_POLICY } from '../gate/support/fixtures.ts';
import { PG_URL, queryOnce } from '../store/postgres-test-db.ts';
import { assessmentText, writeAssessmentText } from '../support/assessment-text.ts';
import { runVeto } from '../support/veto-cli.ts';
import { ADAPTERS, adapterAvailable, testVetoOn } from '../support/veto-on.ts';

/**
 * The legitimate-interest assessment through the `veto` CLI as a process, on both adapters: a
 * text missing a section is refused with its field and line; a record is kept per policy
 * version with its audit event, unchanged when recorded again, never modified in the database;
 * `veto gate build` refuses a policy version without one, names the one that applied in the
 * manifest, and builds without one only under the explicit override, which the manifest records.
 */

const NOTICE_DIR = fileURLToPath(new URL('../../notices/2026-01', import.meta.url));
const POLICY = TEST_POLICY.replace('version: "2025-04"', 'version: "2026-01"').replace(
  'minimumDays: 42',
  'minimumDays: 0',
);

function env(config: VetoConfig): Record<string, string> {
  return {
    VETO_DATA_DIR: config.dataDir,
    VETO_DATABASE_URL: config.databaseUrl,
    VETO_SECRET: config.secret,
    VETO_CONTROLLER_NAME: 'Example Platform SA',
    VETO_DPO_CONTACT: 'dpo@platform.example',
    VETO_NOTICE_FLOOR_DAYS: '0',
  };
}

function manifestIn(out: string): DatasetManifest {
  const [dir] = readdirSync(out).filter((d) => !d.startsWith('.'));
  return JSON.parse(readFileSync(path.join(out, dir!, 'manifest.json'), 'utf8'));
}

for (const adapter of ADAPTERS) {
  describe(`veto assessment and the gate (${adapter})`, () => {
    it('keeps the assessment per policy version, and the gate requires it', {
      timeout: 300_000,
    }, async (t) => {
      if (!(await adapterAvailable(adapter))) return t.skip();
      const { veto, config, dir } = await testVetoOn(adapter, t);
      const e = env(config);
      await veto.notices.publish(
        { ...readNoticeDirectory(NOTICE_DIR), effectiveAfterDays: 0 },
        'test',
      );
      const policy = path.join(dir, 'policy.yaml');
      writeFileSync(policy, POLICY);
      const input = path.join(dir, 'content.jsonl');
      writeFileSync(input, jsonl([record({ id: 'a', author_id: 'u1' })]));
      const build = (out: string, extra: Record<string, string> = {}, file = policy) =>
        runVeto(
          { ...e, ...extra },
          'gate',
          'build',
          '--policy',
          file,
          '--input',
          input,
          '--out',
          path.join(dir, out),
          '--workers',
          '0',
        );

      // No assessment for this policy version: refused before any record is read.
      const refused = build('out-refused');
      assert.equal(refused.code, 2, refused.out);
      assert.match(
        refused.err,
        /no legitimate-interest assessment is recorded for policy "test" \(sha256 [0-9a-f]{64}\): record one with veto assessment record/,
      );
      assert.match(refused.err, /VETO_BUILD_WITHOUT_ASSESSMENT=1/);

      // A text missing a required section is refused, naming the field and the line.
      const incomplete = writeAssessmentText(
        dir,
        'test',
        assessmentText('test').replace(/ {2}impact: .*\n/, ''),
      );
      const bad = runVeto(e, 'assessment', 'record', '--policy', policy, '--text', incomplete);
      assert.equal(bad.code, 1);
      assert.match(
        bad.err,
        /assessment-test\.yaml:1[0-9]: balancing\.impact: required section missing: the impact on the people concerned/,
      );
      assert.deepEqual(await veto.assessments.list(), [], 'nothing kept from a refused text');

      const text = writeAssessmentText(dir, 'test');
      const first = runVeto(e, 'assessment', 'record', '--policy', policy, '--text', text);
      assert.equal(first.code, 0, first.err);
      assert.match(first.out, /^new version lia-0001-[0-9a-f]{12} of policy test/);
      const again = runVeto(e, 'assessment', 'record', '--policy', policy, '--text', text);
      assert.equal(again.code, 0, again.err);
      assert.match(again.out, /^unchanged, latest version lia-0001-/);

      const [kept] = await veto.assessments.list();
      assert.ok(kept);
      assert.equal((await veto.assessments.list()).length, 1);
      const loaded = await loadPolicy(policy);
      assert.equal(kept.policySha256, loaded.sha256);
      assert.equal(kept.record.facts.controller.name, 'Example Platform SA');
      assert.deepEqual(kept.record.facts.content.kinds, [
        'post',
        'comment',
        'message-to-assistant',
      ]);
      assert.ok(kept.record.facts.content.excludedKinds.includes('private-message'));
      assert.equal(kept.record.facts.minors.accountsExcluded, true);
      assert.deepEqual(kept.record.facts.redaction.categories, [
        'EMAIL',
        'PHONE',
        'IBAN',
        'CARD',
        'IP',
      ]);
      assert.equal(kept.record.facts.notice.version, '2026-01');

      // The fact is in the audit log, and the chain still verifies.
      const events = [];
      for await (const ev of veto.store.readEvents())
        if (ev.type === 'assessment.recorded') events.push(ev);
      assert.equal(events.length, 1, 'recording the same record again adds no event');
      assert.deepEqual(events[0]!.data, {
        id: kept.id,
        policyId: 'test',
        policySha256: loaded.sha256,
        purpose: 'ai-training',
        sha256: kept.sha256,
      });
      const verify = runVeto(e, 'audit', 'verify');
      assert.equal(verify.code, 0, verify.err);

      // Earlier versions are never modified, not even by a direct SQL session.
      const tamper = `UPDATE assessments SET recorded_at = '2000-01-01' WHERE id = '${kept.id}'`;
      if (adapter === 'sqlite') {
        const db = new Database(config.databaseUrl.slice('sqlite:'.length));
        try {
          assert.throws(() => db.prepare(tamper).run(), /never modified/);
          assert.throws(() => db.prepare('DELETE FROM assessments').run(), /never modified/);
        } finally {
          db.close();
        }
      } else {
        const schema = new URL(config.databaseUrl).searchParams.get('options')!.split('=')[1]!;
        await assert.rejects(
          queryOnce(PG_URL, tamper.replace('UPDATE assessments', `UPDATE "${schema}".assessments`)),
          /never modified/,
        );
      }

      // The build now finds it and names it in the manifest.
      const built = build('out');
      assert.equal(built.code, 0, built.err);
      assert.match(built.out, new RegExp(`assessment ${kept.id} recorded`));
      assert.deepEqual(manifestIn(path.join(dir, 'out')).assessment, {
        status: 'recorded',
        id: kept.id,
        sha256: kept.sha256,
        recordedAt: kept.recordedAt,
      });

      // Another policy version (one byte differs) has no assessment: only the explicit override
      // builds it, said on stderr and recorded in the manifest.
      const changed = path.join(dir, 'policy-changed.yaml');
      writeFileSync(changed, POLICY.replace('title: Test policy', 'title: Test policy, revised'));
      assert.equal(build('out-changed', {}, changed).code, 2);
      const overridden = build('out-overridden', { VETO_BUILD_WITHOUT_ASSESSMENT: '1' }, changed);
      assert.equal(overridden.code, 0, overridden.err);
      assert.match(overridden.err, /VETO_BUILD_WITHOUT_ASSESSMENT=1: building even if/);
      assert.deepEqual(manifestIn(path.join(dir, 'out-overridden')).assessment, {
        status: 'overridden',
        source: 'VETO_BUILD_WITHOUT_ASSESSMENT',
      });

      // Printed as Markdown and as a printable page.
      const html = path.join(dir, 'lia.html');
      const shown = runVeto(e, 'assessment', 'show', '--policy', policy, '--html', '--out', html);
      assert.equal(shown.code, 0, shown.err);
      const page = readFileSync(html, 'utf8');
      assert.match(page, /<h1>Legitimate-interest assessment: Test policy<\/h1>/);
      assert.match(page, /<h2>3\. Balancing<\/h2>/);
      assert.match(page, /<strong>Impact on the people concerned\.<\/strong> Identifiers replaced/);
      assert.match(page, /Private messages between people: always excluded/);
      const markdown = runVeto(e, 'assessment', 'show', kept.id);
      assert.equal(markdown.code, 0, markdown.err);
      assert.match(markdown.out, /^# Legitimate-interest assessment: Test policy\n/);
      assert.match(markdown.out, /Controller: Example Platform SA/);
      assert.match(markdown.out, /Accounts of people under 18: excluded/);
    });
  });
}
