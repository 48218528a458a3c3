import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../support/temp.ts';
import { VETO_BIN } from '../support/veto-command.ts';

const POLICY = fileURLToPath(new URL('../../policies/meta-2025.yaml', import.meta.url));

test('veto record art30: the record from configuration, policy and notice; each changed version kept', {
  timeout: 120_000,
}, (t) => {
  const dir = tempDir(t);
  const env: Record<string, string> = {
    VETO_DATA_DIR: dir,
    VETO_DATABASE_URL: `sqlite:${path.join(dir, 'veto.db')}`,
    VETO_SECRET: 'cli-test-secret-0123456789-0123456789',
    VETO_LOG_LEVEL: 'silent',
    VETO_PLATFORM_NAME: 'Example Social',
    VETO_CONTROLLER_NAME: 'Example Social SA',
    VETO_CONTROLLER_CONTACT: 'privacy@social.example',
    VETO_DPO_CONTACT: 'dpo@social.example',
    VETO_RECIPIENTS: 'Example AI Lab SARL',
    VETO_RETENTION_MONTHS: '24',
  };
  const veto = (...args: string[]) => {
    const r = spawnSync(process.execPath, [VETO_BIN, ...args], {
      env: { ...process.env, ...env },
      encoding: 'utf8',
    });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  const records = path.join(dir, 'records', 'art30');

  const missing = veto('record', 'art30');
  assert.equal(missing.code, 2);
  assert.match(missing.err, /--policy FILE is required/);

  const first = veto('record', 'art30', '--policy', POLICY);
  assert.equal(first.code, 0, first.err);
  assert.match(first.out, /new version 0001-/);
  const md = readFileSync(
    path.join(records, readdirSync(records).find((f) => f.endsWith('.md'))!),
    'utf8',
  );
  assert.match(md, /Controller: Example Social SA/);
  assert.match(md, /Data protection officer: dpo@social\.example/);
  assert.match(md, /Example AI Lab SARL/);
  assert.match(md, /24 months, then deleted/);
  assert.match(md, /legal basis GDPR Art\. 6\(1\)\(f\)/);
  assert.match(md, /policy `meta-2025`/);
  assert.match(md, /notice at least 42 days/);
  assert.match(md, /accounts under 18 excluded/);
  assert.match(md, /no notice published in the registry/);
  assert.match(md, /## 6\. Transfers to third countries/);
  const html = readFileSync(
    path.join(records, readdirSync(records).find((f) => f.endsWith('.html'))!),
    'utf8',
  );
  assert.match(html, /<html lang="en">/);
  assert.match(html, /<h2>5\. Recipients<\/h2>/);
  assert.match(html, /<li>Example AI Lab SARL<\/li>/);

  // Same inputs: the latest version is kept, nothing new written.
  const again = veto('record', 'art30', '--policy', POLICY);
  assert.match(again.out, /unchanged, latest version 0001-/);
  assert.equal(readdirSync(records).length, 2);

  // A changed configuration: a second version, the first one untouched.
  env.VETO_RETENTION_MONTHS = '12';
  const changed = veto('record', 'art30', '--policy', POLICY);
  assert.match(changed.out, /new version 0002-/);
  const files = readdirSync(records).sort();
  assert.equal(files.length, 4);
  assert.equal(readFileSync(path.join(records, files[1]!), 'utf8'), md);
  assert.match(readFileSync(path.join(records, files[3]!), 'utf8'), /12 months, then deleted/);
});
