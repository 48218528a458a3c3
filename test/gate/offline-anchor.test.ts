import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Veto } from '../../src/app/wire.ts';
import type { VetoConfig } from '../../src/config.ts';
import { readNoticeDirectory } from '../../src/domain/notices/notice-files.ts';
import type { VerifyReport } from '../../src/gate/dataset-verify.ts';
import type { DatasetManifest } from '../../src/gate/manifest.ts';
import { readFilterFile } from '../../src/registry-files/filter-file.ts';
import {
  readSnapshotAnchor,
  snapshotKeys,
  writeSnapshotFile,
} from '../../src/registry-files/snapshot-file.ts';
import { signCheckpoint } from '../../src/transparency/checkpoint.ts';
import { generateSigner } from '../../src/transparency/signed-note.ts';
import { runVeto } from '../support/veto-cli.ts';
import { adapterAvailable, testVetoOn } from '../support/veto-on.ts';
import { jsonl, record, TEST_POLICY } from './support/fixtures.ts';

/**
 * Offline builds anchored in the transparency log, through the commands a user runs: the file
 * `veto registry snapshot` (and `registry filter`) writes carries the log's signed checkpoint at
 * the snapshot; `veto gate build --offline` copies it into the manifest, checking its signature
 * when it has the log's key; `veto dataset register` and `veto dataset verify` check it fully
 * against the registry. A snapshot file whose anchor is edited is refused; an anchor re-signed by
 * another key, or a genuine checkpoint of another registry state, is caught.
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

async function seed(veto: Veto, setClock: (ms: number) => void) {
  setClock(Date.now() - 60 * DAY);
  await veto.notices.publish(readNoticeDirectory(NOTICE_DIR), 'test');
  setClock(Date.now() - 59 * DAY);
  await veto.notices.recordExposures(
    ['u-shown', 'u-two'].map((accountId) => ({
      accountId,
      version: '2026-01',
      language: 'en',
      channel: 'in-app' as const,
      shownAt: new Date(Date.now() - 59 * DAY).toISOString(),
    })),
    'test',
  );
  await veto.registry.object({
    subject: { kind: 'account', accountId: 'u-obj' },
    channel: 'api',
    language: 'en',
  });
}

function sealedDir(out: string): string {
  const [dir] = readdirSync(out).filter((d) => !d.startsWith('.'));
  assert.ok(dir, `a dataset sealed in ${out}`);
  return path.join(out, dir);
}

describe('offline builds anchored in the transparency log (SQLite)', () => {
  it('snapshot → offline build → register → verify passes; an edited anchor is refused', async (t) => {
    if (!(await adapterAvailable('sqlite'))) return t.skip();
    let now = Date.now();
    const { veto, config, dir } = await testVetoOn(
      'sqlite',
      t,
      {},
      { clock: () => new Date(now).toISOString() },
    );
    await seed(veto, (ms) => {
      now = ms;
    });
    now = Date.now();
    const env = vetoEnv(config);
    const logKey = veto.transparency.signer.vkey;

    // The snapshot file carries the checkpoint at its own snapshot.created event.
    const snap = path.join(dir, 'now.snap');
    const taken = runVeto(env, 'registry', 'snapshot', '--out', snap);
    assert.equal(taken.code, 0, taken.err);
    const { meta, anchor } = await readSnapshotAnchor(snap);
    assert.ok(anchor, 'the snapshot file is anchored');
    const event = await veto.store.snapshotEvent(meta.id);
    assert.equal(anchor.size, event!.seq, "the log up to and including the snapshot's event");
    assert.equal(anchor.checkpoint, (await veto.transparency.checkpointAt(event!.seq)).note);

    const policy = path.join(dir, 'policy.yaml');
    writeFileSync(policy, TEST_POLICY.replace('version: "2025-04"', 'version: "2026-01"'));
    const input = path.join(dir, 'in.jsonl');
    writeFileSync(
      input,
      jsonl([
        record({ id: 'a', author_id: 'u-shown' }),
        record({ id: 'b', author_id: 'u-two' }),
        record({ id: 'c', author_id: 'u-obj' }),
      ]),
    );
    let builds = 0;
    // Offline: no registry in the environment, only what is given.
    const build = (objectors: string[], ...more: string[]) => {
      const out = path.join(dir, `out-${++builds}`);
      const r = runVeto(
        { VETO_LOG_LEVEL: 'silent' },
        ...['gate', 'build', '--offline', ...objectors, '--policy', policy],
        ...['--input', input, '--out', out, '--workers', '0', ...more],
      );
      return { ...r, dir: out };
    };
    const manifestOf = (dir: string) =>
      JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as DatasetManifest;
    const verify = (dataset: string) => {
      const v = runVeto(env, 'dataset', 'verify', dataset, '--json');
      return { ...v, report: JSON.parse(v.out) as VerifyReport };
    };

    // With the log's key: the signature is checked, and said so.
    const checked = build(['--snapshot', snap], '--log-key', logKey);
    assert.equal(checked.code, 0, checked.err);
    assert.match(
      checked.out,
      /anchor +checkpoint of the transparency log at \d+ events, from the snapshot-file, signature checked/,
    );
    const sealed = sealedDir(checked.dir);
    const m = manifestOf(sealed);
    assert.deepEqual(
      { size: m.anchor?.size, root: m.anchor?.root, checkpoint: m.anchor?.checkpoint },
      anchor,
    );
    assert.deepEqual(m.anchor?.offline, {
      source: 'snapshot-file',
      signature: 'checked',
      signedBy: veto.transparency.signer.name,
    });
    // Registered: the anchor checked fully (consistency, the snapshot's event, the replay).
    const registered = runVeto(env, 'dataset', 'register', sealed);
    assert.equal(registered.code, 0, registered.out + registered.err);
    assert.match(registered.out, /^ {2}anchor ok: copied from the snapshot-file/m);
    const v = verify(sealed);
    assert.equal(v.code, 0, v.out + v.err);
    assert.equal(v.report.checks.anchor.status, 'pass');
    assert.match(
      v.report.checks.anchor.detail,
      /copied from the snapshot-file by an offline build \(signature checked there\); checkpoint of \d+ events signed by .*consistent with the log now.*replaying it gives the 1 objectors of snapshot/,
    );

    // Without any key on the machine: built, and the manifest and output say it was not checked.
    const unchecked = build(['--snapshot', snap]);
    assert.equal(unchecked.code, 0, unchecked.err);
    assert.match(unchecked.out, /signature NOT checked \(no log key on the building machine/);
    assert.equal(manifestOf(sealedDir(unchecked.dir)).anchor?.offline?.signature, 'not checked');

    // The filter file carries it the same way.
    const filter = path.join(dir, 'now.filter');
    assert.equal(runVeto(env, 'registry', 'filter', '--out', filter).code, 0);
    const filterAnchor = (await readFilterFile(filter, { shared: false })).meta.anchor;
    assert.ok(filterAnchor && filterAnchor.size > anchor.size);
    const fromFilter = build(['--filter', filter], '--log-key', logKey);
    assert.equal(fromFilter.code, 0, fromFilter.err);
    const fm = manifestOf(sealedDir(fromFilter.dir));
    assert.equal(fm.anchor?.size, filterAnchor.size);
    assert.equal(fm.anchor?.offline?.source, 'filter-file');
    const vf = verify(sealedDir(fromFilter.dir));
    assert.equal(vf.report.checks.anchor.status, 'pass', vf.out);

    // A byte of the anchor flipped (the size, the root, the checkpoint's signature): refused.
    const good = readFileSync(snap);
    const header = good.subarray(0, good.indexOf(10)).toString('latin1');
    const sizeAt = header.indexOf(`"size":${anchor.size}`) + 7;
    const rootAt = header.indexOf(anchor.root) + 5;
    // Inside the signature: the checkpoint's text ends `<base64>\\n"}` before the checksum.
    const sig = header.indexOf(',"checksum"') - 10;
    for (const at of [sizeAt, rootAt, sig]) {
      const edited = Buffer.from(good);
      edited[at] = edited[at]! ^ 0x01;
      const bad = path.join(dir, `flipped-${at}.snap`);
      writeFileSync(bad, edited);
      const r = build(['--snapshot', bad], '--log-key', logKey);
      assert.equal(r.code, 2, `byte ${at}: ${r.out}`);
      assert.match(r.err, /veto gate build: .*flipped-\d+\.snap: snapshot header/);
    }

    // A forger who rewrites the file with its own signature (checksum recomputed): the key
    // refuses it offline; without the key it is sealed "not checked", and register refuses it.
    const keys: string[] = [];
    for await (const k of snapshotKeys(snap)) keys.push(k);
    const forger = generateSigner(veto.transparency.signer.name);
    const forged = path.join(dir, 'forged.snap');
    await writeSnapshotFile(forged, meta, keys, {
      anchor: async () => ({
        ...anchor,
        checkpoint: signCheckpoint(forger, anchor.size, Buffer.from(anchor.root, 'base64')),
      }),
    });
    const refused = build(['--snapshot', forged], '--log-key', logKey);
    assert.equal(refused.code, 2);
    assert.match(refused.err, /the file's anchor is not signed by the transparency log's key/);
    const slipped = build(['--snapshot', forged]);
    assert.equal(slipped.code, 0, slipped.err);
    const notRegistered = runVeto(env, 'dataset', 'register', sealedDir(slipped.dir));
    assert.equal(notRegistered.code, 1);
    assert.match(notRegistered.out, /anchor\s+FAILED/);
    assert.match(notRegistered.out, /not signed by this registry's log/);

    // A genuine checkpoint, but of another registry state (one event earlier): signed, so the
    // offline build accepts it; register replays the log and finds it is not the snapshot's.
    const earlier = await veto.transparency.checkpointAt(anchor.size - 1);
    const shifted = path.join(dir, 'shifted.snap');
    await writeSnapshotFile(shifted, meta, keys, {
      anchor: async () => ({
        size: earlier.size,
        root: Buffer.from(earlier.root).toString('base64'),
        checkpoint: earlier.note,
      }),
    });
    const accepted = build(['--snapshot', shifted], '--log-key', logKey);
    assert.equal(accepted.code, 0, accepted.err);
    const wrongState = runVeto(env, 'dataset', 'register', sealedDir(accepted.dir));
    assert.equal(wrongState.code, 1);
    assert.match(wrongState.out, /is not snapshot snap_\S+'s snapshot\.created event/);
  });
});
