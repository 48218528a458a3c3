import assert from 'node:assert/strict';
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { brokenBy, readPromises } from '../../src/domain/notices/notice-promises.ts';
import { loadPolicy } from '../../src/gate/policy.ts';
import { tempDir } from '../support/temp.ts';
import { NOTICE_ITEMS_ENV, runVeto, sqliteEnv } from '../support/veto-cli.ts';

type Ctx = { after: (fn: () => void) => void };
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SAMPLE = path.join(ROOT, 'notices/2026-01');
const SECRET = 'test-secret-0123456789-0123456789-0123456789';

/** A copy of the shipped notice tied to `policyYaml` (written beside it), and a registry. */
function setup(t: Ctx, policyYaml: string, edit?: (lang: string, md: string) => string) {
  const dir = tempDir(t, 'veto-promises-');
  const notice = path.join(dir, 'notice');
  cpSync(SAMPLE, notice, { recursive: true });
  writeFileSync(path.join(dir, 'policy.yaml'), policyYaml);
  const meta = JSON.parse(readFileSync(path.join(notice, 'notice.json'), 'utf8'));
  meta.policy = '../policy.yaml';
  writeFileSync(path.join(notice, 'notice.json'), JSON.stringify(meta));
  if (edit)
    for (const f of readdirSync(notice).filter((f) => f.endsWith('.md'))) {
      const file = path.join(notice, f);
      writeFileSync(file, edit(f.slice(0, -3), readFileSync(file, 'utf8')));
    }
  const env = { ...sqliteEnv(dir, SECRET), ...NOTICE_ITEMS_ENV };
  return { publish: () => runVeto(env, 'notices', 'publish', notice) };
}

const demoPolicy = readFileSync(path.join(ROOT, 'policies/demo.yaml'), 'utf8');

describe('veto notices publish: the notice promises only what its policy keeps', () => {
  it('publishes the shipped notice, tied to the demo policy', (t) => {
    const r = setup(t, demoPolicy).publish();
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /"status": "published"/);
  });

  it('refuses a notice promising names are removed when the policy does not redact them, naming the promise in every language', (t) => {
    const policy = demoPolicy.replace(
      'categories: [EMAIL, PHONE, IBAN, CARD, IP, NIR, HANDLE, PROFILE_URL, PERSON]',
      'categories: [EMAIL, PHONE, IBAN, CARD, IP]',
    );
    const r = setup(t, policy).publish();
    assert.equal(r.code, 1);
    for (const lang of ['en', 'fr', 'de', 'mt'])
      assert.match(
        r.err,
        new RegExp(
          `texts\\.${lang}\\.markdown: line 35: the promise "redacted PERSON" is not kept by policy \\.\\./policy\\.yaml \\(redaction\\.categories lacks PERSON\\)`,
        ),
      );
    assert.match(r.err, /"redacted HANDLE" is not kept/);
    assert.match(r.err, /"redacted PROFILE_URL" is not kept/);
    assert.doesNotMatch(r.err, /"redacted EMAIL"/);
  });

  it('refuses a notice saying minors are excluded when the policy includes their accounts', (t) => {
    const policy = demoPolicy.replace(
      'excludeAccounts: true',
      'excludeAccounts: false\n  includeReason: replay of a past scope',
    );
    const r = setup(t, policy).publish();
    assert.equal(r.code, 1);
    assert.match(
      r.err,
      /texts\.fr\.markdown: line 24: the promise "excluded minor-accounts" is not kept .*minors\.excludeAccounts is false/,
    );
  });

  it('refuses content the policy uses that no text announces', (t) => {
    const r = setup(t, demoPolicy, (_lang, md) =>
      md.replace(' message-to-assistant message-from-assistant}', '}'),
    ).publish();
    assert.equal(r.code, 1);
    assert.match(
      r.err,
      /policy: policy \.\.\/policy\.yaml uses content of kind "message-to-assistant", which no text announces/,
    );
  });

  it('refuses a language that leaves out a promise the others make', (t) => {
    const r = setup(t, demoPolicy, (lang, md) =>
      lang === 'pl' ? md.replace(' {promise: excluded objectors}', '') : md,
    ).publish();
    assert.equal(r.code, 1);
    assert.match(
      r.err,
      /texts\.pl\.markdown: does not make the promise "excluded objectors" that other languages make/,
    );
  });

  it('refuses a policy tied to another notice version, and a notice.json without a policy', (t) => {
    const r = setup(t, demoPolicy.replace('version: "2026-01"', 'version: "2027-01"')).publish();
    assert.equal(r.code, 1);
    assert.match(
      r.err,
      /policy: policy \.\.\/policy\.yaml is tied to notice version "2027-01", not "2026-01"/,
    );
    const dir = tempDir(t);
    cpSync(SAMPLE, path.join(dir, 'n'), { recursive: true });
    const meta = JSON.parse(readFileSync(path.join(dir, 'n/notice.json'), 'utf8'));
    delete meta.policy;
    writeFileSync(path.join(dir, 'n/notice.json'), JSON.stringify(meta));
    const r2 = runVeto(
      { ...sqliteEnv(dir, SECRET), ...NOTICE_ITEMS_ENV },
      'notices',
      'publish',
      path.join(dir, 'n'),
    );
    assert.equal(r2.code, 1);
    assert.match(r2.err, /notice\.json:policy: missing/);
  });

  it('the shipped policies redact what the shipped notice promises', async () => {
    for (const file of ['meta-2024.yaml', 'meta-2025.yaml', 'demo.yaml']) {
      const { policy } = await loadPolicy(path.join(ROOT, 'policies', file));
      for (const f of readdirSync(SAMPLE).filter((f) => f.endsWith('.md'))) {
        const { promises, issues } = readPromises(readFileSync(path.join(SAMPLE, f), 'utf8'), f);
        assert.deepEqual(issues, []);
        const redacted = promises.filter((p) => p.kind === 'redacted');
        assert.ok(
          redacted.some((p) => p.item === 'PERSON'),
          `${f} promises names are removed`,
        );
        for (const p of redacted)
          assert.equal(brokenBy(p, policy), undefined, `${file} ${f} ${p.item}`);
      }
    }
  });

  it('the shipped 2025 policy keeps every promise of the shipped notice (published as its version)', (t) => {
    const policy = readFileSync(path.join(ROOT, 'policies/meta-2025.yaml'), 'utf8');
    const dir = tempDir(t);
    const notice = path.join(dir, 'meta-2025-04-14');
    cpSync(SAMPLE, notice, { recursive: true });
    writeFileSync(path.join(dir, 'policy.yaml'), policy);
    const meta = JSON.parse(readFileSync(path.join(notice, 'notice.json'), 'utf8'));
    meta.policy = '../policy.yaml';
    meta.version = 'meta-2025-04-14';
    writeFileSync(path.join(notice, 'notice.json'), JSON.stringify(meta));
    const r = runVeto(
      { ...sqliteEnv(dir, SECRET), ...NOTICE_ITEMS_ENV },
      'notices',
      'publish',
      notice,
    );
    assert.equal(r.code, 0, r.err);
  });
});

describe('veto notices publish: every Art. 13/14 item the configuration can fill, in every language', () => {
  it('refuses when the configuration lacks an item, naming its setting', (t) => {
    const dir = tempDir(t);
    const env = { ...sqliteEnv(dir, SECRET), ...NOTICE_ITEMS_ENV, VETO_DPO_CONTACT: '' };
    const r = runVeto(env, 'notices', 'publish', SAMPLE);
    assert.equal(r.code, 1);
    assert.match(
      r.err,
      /settings: VETO_DPO_CONTACT is not set: every notice states the data protection officer's contact details \(Art\. 13\(1\)\(b\)\)/,
    );
  });

  it('refuses a text without an item, in whichever language leaves it out', (t) => {
    const r = setup(t, demoPolicy, (lang, md) =>
      lang === 'lv'
        ? md.replace('{dpoContact}', 'dpo@x').replace('({supervisoryAuthority})', '')
        : lang === 'ga'
          ? md.replace('{retention}', '24 mí')
          : md,
    ).publish();
    assert.equal(r.code, 1);
    assert.match(
      r.err,
      /texts\.lv\.markdown: missing the data protection officer's contact details \(Art\. 13\(1\)\(b\)\): add \{dpoContact\}/,
    );
    assert.match(
      r.err,
      /texts\.lv\.markdown: missing the right to complain to a supervisory authority \(Art\. 13\(2\)\(d\)\)/,
    );
    assert.match(
      r.err,
      /texts\.ga\.markdown: missing how long the data is kept \(Art\. 13\(2\)\(a\)\)/,
    );
    assert.doesNotMatch(r.err, /texts\.fr\.markdown/);
  });
});
