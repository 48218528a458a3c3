import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildDataset, datasetPseudonymKey, GateSetupError } from '../../src/gate/build.ts';
import { readInclusionFile } from '../../src/gate/inclusion-file.ts';
import { writeFilterFile } from '../../src/registry-files/filter-file.ts';
import { RegistryFileError } from '../../src/registry-files/registry-file-error.ts';
import {
  AS_OF,
  jsonl,
  record,
  TEST_POLICY,
  tempDir,
  writePolicy,
  writeSnapshot,
} from './support/fixtures.ts';
import { MemoryRegistry, NoticeRegistry } from './support/memory-registry.ts';

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

async function setup(records: unknown[], objectors: string[] = []) {
  const dir = await tempDir();
  const policy = await writePolicy(dir);
  const snapshot = await writeSnapshot(dir, objectors);
  const input = join(dir, 'content.jsonl');
  await writeFile(input, jsonl(records));
  return { dir, policy, snapshot, input, out: join(dir, 'out') };
}

describe('gate build', () => {
  it('seals a dataset: data, manifest, rejects, decisions, inclusion index, policy copy', async () => {
    const s = await setup(
      [
        record({ id: 'a' }),
        record({ id: 'b', author_id: 'obj' }),
        '{"broken":',
        record({ id: 'c', kind: 'private-message', audience: 'conversation' }),
        record({ id: 'd', author_id: 'u2', mentions: ['u3'], text: 'call +33 6 12 34 56 78' }),
      ],
      ['acct:obj'],
    );
    const registry = new MemoryRegistry();
    const result = await buildDataset({
      policy: s.policy,
      inputs: [s.input],
      outDir: s.out,
      objectors: { snapshot: s.snapshot },
      registry,
      workers: 0,
      datasetId: 'ds_test',
    });
    assert.equal(result.status, 'sealed', result.status === 'failed' ? result.error.stack : '');
    if (result.status !== 'sealed') return;
    assert.deepEqual(await readdir(s.out), ['ds_test']);
    const files = (await readdir(result.dir)).sort();
    assert.deepEqual(files, [
      'data.jsonl',
      'decisions.tsv',
      'inclusions.tsv',
      'manifest.json',
      'policy.yaml',
      'rejects.jsonl',
      'verify.json',
    ]);
    const m = result.manifest;
    assert.deepEqual(JSON.parse(await readFile(join(result.dir, 'manifest.json'), 'utf8')), m);
    assert.equal(m.datasetId, 'ds_test');
    assert.equal(m.policy.sha256, sha256(await readFile(s.policy)));
    assert.match(m.snapshot.id, /^snap_test_/);
    assert.equal(m.snapshot.asOf, AS_OF);
    assert.equal(m.inputs[0]!.sha256, sha256(await readFile(s.input)));
    assert.equal(m.inputs[0]!.lines, 5);
    const data = await readFile(join(result.dir, 'data.jsonl'));
    assert.equal(m.output.sha256, sha256(data));
    assert.equal(m.output.records, 2);
    assert.equal(m.counts.kept, 2);
    assert.equal(m.counts.objected, 1);
    assert.equal(m.counts.malformed, 1);
    assert.equal(m.counts['private-message'], 1);
    assert.equal(m.records, 5);
    assert.equal(m.redactedRecords, 1);
    assert.equal(m.recheck.performed, true);
    // Every registry port answers the notice check: it is always performed with a registry.
    assert.equal(m.noticePeriod.checked, true);
    assert.equal(m.checks['notice-period'].status, 'performed');
    assert.match(m.vetoVersion, /^\d+\.\d+\.\d+/);
    const rejects = (await readFile(join(result.dir, 'rejects.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      rejects.map((r) => [r.input, r.line, r.reason]),
      [[s.input, 3, 'malformed']],
    );
    const decisions = (await readFile(join(result.dir, 'decisions.tsv'), 'utf8'))
      .trim()
      .split('\n');
    assert.deepEqual(decisions, [
      'input\tline\treason\titem_id',
      '0\t1\tkept\ta',
      '0\t2\tobjected\tb',
      '0\t3\tmalformed\t',
      '0\t4\tprivate-message\tc',
      '0\t5\tkept\td',
    ]);
    assert.deepEqual(
      registry.datasets[0]!.inclusions.map((r) => [r.subjectKey, r.itemId, r.role]),
      [
        ['acct:u1', 'a', 'author'],
        ['acct:u2', 'd', 'author'],
        ['acct:u3', 'd', 'mention'],
      ],
    );
    assert.equal(registry.datasets[0]!.manifest.datasetId, 'ds_test');
    const fromFile = [];
    for await (const row of readInclusionFile(join(result.dir, 'inclusions.tsv'), 'ds_test'))
      fromFile.push(row);
    assert.deepEqual(fromFile, registry.datasets[0]!.inclusions);
  });

  it('re-checks the live registry before sealing and removes late objectors (authors and mentions)', async () => {
    const s = await setup([
      record({ id: 'a', author_id: 'late' }),
      record({ id: 'b' }),
      record({ id: 'c', author_id: 'u2', mentions: ['later'] }),
      record({ id: 'd', author_id: 'late' }),
    ]);
    const registry = new MemoryRegistry();
    registry.late = ['acct:late'];
    // A second objection arrives while the first removal runs: the loop catches it too.
    registry.onRecheck = (round) => {
      if (round === 1) registry.late = ['acct:late', 'acct:later'];
    };
    const result = await buildDataset({
      policy: s.policy,
      inputs: [s.input],
      outDir: s.out,
      objectors: { snapshot: s.snapshot },
      registry,
      workers: 0,
    });
    assert.equal(result.status, 'sealed');
    if (result.status !== 'sealed') return;
    const data = (await readFile(join(result.dir, 'data.jsonl'), 'utf8')).trim().split('\n');
    assert.deepEqual(
      data.map((l) => JSON.parse(l).id),
      ['b'],
    );
    assert.equal(result.manifest.counts.kept, 1);
    assert.equal(result.manifest.counts.objected, 2);
    assert.equal(result.manifest.counts['objected-mention'], 1);
    assert.equal(result.manifest.recheck.lateObjectors, 2);
    assert.equal(result.manifest.recheck.removedRecords, 3);
    assert.equal(
      result.manifest.output.sha256,
      sha256(await readFile(join(result.dir, 'data.jsonl'))),
    );
    const decisions = await readFile(join(result.dir, 'decisions.tsv'), 'utf8');
    assert.match(
      decisions,
      /0\t1\tobjected\ta\n0\t2\tkept\tb\n0\t3\tobjected-mention\tc\n0\t4\tobjected\td\n/,
    );
    assert.deepEqual(
      registry.datasets[0]!.inclusions.map((r) => r.itemId),
      ['b'],
    );
  });

  // Workers: the authors are asked about while the rows are written; inline, the same way.
  for (const workers of [0, 2]) {
    it(`notice-period hook: removes authors not shown the notice long enough before the cut-off (${workers} workers)`, async () => {
      const s = await setup([
        record({ id: 'a', author_id: 'seen' }),
        record({ id: 'b', author_id: 'recent' }),
        record({ id: 'c', author_id: 'never' }),
      ]);
      const registry = new NoticeRegistry();
      registry.shown.set('acct:seen', '2025-04-01T00:00:00Z');
      registry.shown.set('acct:recent', '2025-05-20T00:00:00Z');
      const result = await buildDataset({
        policy: s.policy,
        inputs: [s.input],
        outDir: s.out,
        objectors: { snapshot: s.snapshot },
        registry,
        workers,
      });
      assert.equal(result.status, 'sealed');
      if (result.status !== 'sealed') return;
      assert.equal(result.manifest.counts.kept, 1);
      assert.equal(result.manifest.counts['notice-period'], 2);
      assert.equal(result.manifest.noticePeriod.checked, true);
      // Cut-off 2025-05-27 minus 42 days.
      assert.equal(result.manifest.noticePeriod.shownBy, '2025-04-15T00:00:00.000Z');
      assert.equal(registry.queries[0]!.noticeVersion, '2025-04');
    });

    it(`notice-period hook: a registry that cannot answer fails the build, nothing sealed (${workers} workers)`, async () => {
      const s = await setup([record({ id: 'a', author_id: 'seen' })]);
      const registry = new NoticeRegistry();
      registry.subjectsWithoutNotice = async () => {
        throw new Error('notice store unreachable');
      };
      const result = await buildDataset({
        policy: s.policy,
        inputs: [s.input],
        outDir: s.out,
        objectors: { snapshot: s.snapshot },
        registry,
        workers,
      });
      assert.equal(result.status, 'failed');
      if (result.status !== 'failed') return;
      assert.match(result.error.message, /notice store unreachable/);
      assert.deepEqual(
        (await readdir(s.out)).filter((d) => !d.startsWith('.')),
        [],
        'nothing sealed',
      );
    });
  }

  it('fails closed when the registry cannot record the dataset: nothing is sealed', async () => {
    const s = await setup([record()]);
    const registry = new MemoryRegistry();
    registry.failRecord = true;
    const result = await buildDataset({
      policy: s.policy,
      inputs: [s.input],
      outDir: s.out,
      objectors: { snapshot: s.snapshot },
      registry,
      workers: 0,
    });
    assert.equal(result.status, 'failed');
    assert.deepEqual(await readdir(s.out), [], 'no dataset and no staging directory left');
  });

  it('refuses to start without a registry unless offline, and says so in the manifest', async () => {
    const s = await setup([record()]);
    const base = {
      policy: s.policy,
      inputs: [s.input],
      outDir: s.out,
      objectors: { snapshot: s.snapshot },
      workers: 0,
    };
    await assert.rejects(buildDataset(base), GateSetupError);
    const result = await buildDataset({ ...base, offline: true });
    assert.equal(result.status, 'sealed');
    if (result.status === 'sealed') {
      assert.equal(result.manifest.recheck.performed, false);
      assert.match(result.manifest.recheck.note!, /offline/);
    }
  });

  it('refuses a snapshot for another purpose or a damaged one', async () => {
    const s = await setup([record()]);
    const other = await writeSnapshot(s.dir, [], 'marketing');
    const base = { policy: s.policy, inputs: [s.input], outDir: s.out, offline: true, workers: 0 };
    await assert.rejects(
      buildDataset({ ...base, objectors: { snapshot: other } }),
      /purpose "marketing"/,
    );
    const text = await readFile(s.snapshot, 'utf8');
    await writeFile(s.snapshot, `${text}acct:zzz\n`);
    await assert.rejects(
      buildDataset({ ...base, objectors: { snapshot: s.snapshot } }),
      RegistryFileError,
    );
  });

  it('runs from a filter file when the database is out of reach', async () => {
    const s = await setup([record({ id: 'a', author_id: 'obj' }), record({ id: 'b' })]);
    const filter = join(s.dir, 'objectors.vfilter');
    await writeFilterFile(filter, { id: 'snap_f', purpose: 'ai-training', asOf: AS_OF }, [
      'acct:obj',
    ]);
    const result = await buildDataset({
      policy: s.policy,
      inputs: [s.input],
      outDir: s.out,
      objectors: { filter },
      offline: true,
      workers: 0,
    });
    assert.equal(result.status, 'sealed');
    if (result.status !== 'sealed') return;
    assert.equal(result.manifest.counts.objected, 1);
    assert.equal(result.manifest.snapshot.source, 'filter-file');
    assert.equal(result.manifest.snapshot.falsePositiveRate, 1 / 256);
  });

  it('judges several inputs with their own line numbers, and a last line without newline', async () => {
    const s = await setup([record({ id: 'a' })]);
    const second = join(s.dir, 'second.jsonl');
    await writeFile(second, `${JSON.stringify(record({ id: 'b' }))}\nnope`);
    const result = await buildDataset({
      policy: s.policy,
      inputs: [s.input, second],
      outDir: s.out,
      objectors: { snapshot: s.snapshot },
      offline: true,
      workers: 0,
    });
    assert.equal(result.status, 'sealed');
    if (result.status !== 'sealed') return;
    assert.deepEqual(
      result.manifest.inputs.map((i) => i.lines),
      [1, 2],
    );
    const rejects = JSON.parse(await readFile(join(result.dir, 'rejects.jsonl'), 'utf8'));
    assert.equal(rejects.input, second);
    assert.equal(rejects.line, 2);
  });

  it('reads and writes Parquet through DuckDB', async () => {
    const s = await setup(
      [
        record({ id: 'a' }),
        record({ id: 'b', author_id: 'obj' }),
        record({ id: 'c', kind: 'comment', text: 'x@y.fr' }),
      ],
      ['acct:obj'],
    );
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const parquet = join(s.dir, 'content.parquet');
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    await c.run(
      `COPY (SELECT * FROM read_json('${s.input}', format = 'newline_delimited')) TO '${parquet}' (FORMAT parquet)`,
    );
    c.closeSync();
    db.closeSync();
    const result = await buildDataset({
      policy: s.policy,
      inputs: [parquet],
      outDir: s.out,
      objectors: { snapshot: s.snapshot },
      offline: true,
      workers: 0,
      outputFormat: 'parquet',
    });
    assert.equal(result.status, 'sealed', result.status === 'failed' ? result.error.stack : '');
    if (result.status !== 'sealed') return;
    assert.equal(result.manifest.inputs[0]!.format, 'parquet');
    assert.equal(result.manifest.inputs[0]!.sha256, sha256(await readFile(parquet)));
    assert.equal(result.manifest.counts.kept, 2);
    assert.equal(result.manifest.output.file, 'data.parquet');
    const db2 = await DuckDBInstance.create(':memory:');
    const c2 = await db2.connect();
    const rows = (
      await c2.runAndReadAll(`SELECT id, text FROM '${join(result.dir, 'data.parquet')}'`)
    ).getRowObjectsJS();
    c2.closeSync();
    db2.closeSync();
    assert.deepEqual(rows, [
      { id: 'a', text: 'Hello world' },
      { id: 'c', text: '<EMAIL>' },
    ]);
  });

  it('pseudonymises with a key per dataset: consistent within it, never written', async () => {
    const s = await setup([
      record({ id: 'a', text: 'write to jean@example.fr or call 06 12 34 56 78' }),
      record({ id: 'b', text: 'JEAN@example.fr again, and anne@example.fr' }),
      record({ id: 'c', author_id: 'u2', text: 'my number: +33 6 12 34 56 78' }),
    ]);
    const policy = await writePolicy(
      s.dir,
      TEST_POLICY.replace('  enabled: true\n', '  enabled: true\n  mode: pseudonym\n'),
      'pseudonym.yaml',
    );
    const key = 'operator-secret-0123456789-abcdefghijklmnop';
    const build = (datasetId: string, pseudonymKey?: string) =>
      buildDataset({
        policy,
        inputs: [s.input],
        outDir: s.out,
        objectors: { snapshot: s.snapshot },
        offline: true,
        workers: 0,
        datasetId,
        pseudonymKey,
      });
    await assert.rejects(build('ds_nokey'), (err: Error) => {
      assert.ok(err instanceof GateSetupError);
      assert.match(err.message, /VETO_PSEUDONYM_KEY/);
      return true;
    });
    await assert.rejects(build('ds_short', 'short'), /at least 32 characters .*\(this one has 5\)/);

    const texts = async (datasetId: string) => {
      const r = await build(datasetId, key);
      assert.equal(r.status, 'sealed', r.status === 'failed' ? r.error.stack : '');
      if (r.status !== 'sealed') throw new Error('not sealed');
      const lines = (await readFile(join(r.dir, 'data.jsonl'), 'utf8')).trim().split('\n');
      // Nothing in the dataset directory holds the operator's key or the dataset's.
      for (const f of await readdir(r.dir)) {
        const content = await readFile(join(r.dir, f), 'utf8');
        assert.ok(!content.includes(key), f);
        assert.ok(!content.includes(datasetPseudonymKey(key, datasetId).key), f);
      }
      assert.equal(r.manifest.redaction.mode, 'pseudonym');
      assert.equal(r.manifest.redaction.pseudonymKeyId, datasetPseudonymKey(key, datasetId).keyId);
      return lines.map((l) => (JSON.parse(l) as { text: string }).text);
    };
    const [a, b, c] = await texts('ds_one');
    const email = /<EMAIL_[0-9a-f]{10}>/g;
    const phone = /<PHONE_[0-9a-f]{10}>/g;
    const jean = a!.match(email)![0];
    assert.equal(b!.match(email)![0], jean, 'the same address, whatever its case');
    assert.notEqual(b!.match(email)![1], jean, 'another address');
    assert.equal(c!.match(phone)![0], a!.match(phone)![0], 'the same number, written otherwise');
    assert.ok(!a!.includes('jean@example.fr') && !c!.includes('6 12'));
    const [a2] = await texts('ds_two');
    assert.notEqual(a2!.match(email)![0], jean, 'another dataset, another pseudonym');
  });

  it('writes an empty Parquet file with the schema when nothing is kept', async () => {
    const s = await setup([record({ id: 'a', author_id: 'obj' })], ['acct:obj']);
    const result = await buildDataset({
      policy: s.policy,
      inputs: [s.input],
      outDir: s.out,
      objectors: { snapshot: s.snapshot },
      offline: true,
      workers: 0,
      outputFormat: 'parquet',
    });
    assert.equal(result.status, 'sealed', result.status === 'failed' ? result.error.stack : '');
    if (result.status !== 'sealed') return;
    assert.equal(result.manifest.counts.kept, 0);
    assert.equal(result.manifest.output.file, 'data.parquet');
    assert.equal(result.manifest.output.format, 'parquet');
    const file = join(result.dir, 'data.parquet');
    assert.equal(result.manifest.output.sha256, sha256(await readFile(file)));
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    const read = await c.runAndReadAll(`SELECT * FROM '${file}'`);
    const columns = read.columnNames();
    const count = read.getRows().length;
    c.closeSync();
    db.closeSync();
    assert.equal(count, 0);
    assert.deepEqual(columns, ['id', 'author_id', 'kind', 'audience', 'created_at', 'text']);
  });

  it('writes byte-identical output for 0, 1 and 2 workers and any batch size', async () => {
    const records = [];
    for (let i = 0; i < 3000; i++) {
      records.push(
        record({
          id: `r${i}`,
          author_id: `u${i % 97}`,
          kind: ['post', 'comment', 'private-message', 'audio-transcript'][i % 4],
          text: i % 7 === 0 ? `mail me at user${i}@example.fr` : `text ${'é'.repeat(i % 5)} ${i}`,
          author_minor: i % 31 === 0,
          mentions: i % 11 === 0 ? [`u${(i * 3) % 97}`] : [],
        }),
      );
      if (i % 500 === 0) records.push('{bad json');
    }
    const s = await setup(records, ['acct:u3', 'acct:u50']);
    const registry = new MemoryRegistry();
    registry.late = ['acct:u7'];
    const hashes = new Set<string>();
    const other = new Set<string>();
    for (const [workers, batchBytes] of [
      [0, 1 << 20],
      [1, 7000],
      [2, 4096],
      [2, 1 << 20],
    ] as const) {
      const result = await buildDataset({
        policy: s.policy,
        inputs: [s.input],
        outDir: join(s.out, `w${workers}-${batchBytes}`),
        objectors: { snapshot: s.snapshot },
        registry,
        workers,
        batchBytes,
      });
      assert.equal(result.status, 'sealed', result.status === 'failed' ? result.error.stack : '');
      if (result.status !== 'sealed') return;
      hashes.add(result.manifest.output.sha256);
      const dir = result.dir;
      other.add(
        sha256(
          (await readFile(join(dir, 'decisions.tsv'), 'utf8')) +
            (await readFile(join(dir, 'inclusions.tsv'), 'utf8')) +
            (await readFile(join(dir, 'rejects.jsonl'), 'utf8')) +
            JSON.stringify(result.manifest.counts),
        ),
      );
    }
    assert.equal(hashes.size, 1, 'data identical');
    assert.equal(other.size, 1, 'decisions, inclusions, rejects and counts identical');
  });
});
