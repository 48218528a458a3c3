import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { crc32 } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import fc from 'fast-check';
import { connect, type KV, KvWatchInclude } from 'nats';
import { buildDataset } from '../../src/gate/build.ts';
import { jetstreamJudge, queueNames, WholeRows } from '../../src/gate/jetstream-runner.ts';
import { writeFilterFile } from '../../src/registry-files/filter-file.ts';
import { NATS_URL } from '../removals/support/receivers.ts';
import { requireService } from '../support/services.ts';
import { runVeto } from '../support/veto-cli.ts';
import { VETO_BIN } from '../support/veto-command.ts';
import { AS_OF, jsonl, record, tempDir, writeSnapshot } from './support/fixtures.ts';
import { generatedExport, OBJECTORS } from './support/generated-export.ts';
import { MemoryRegistry } from './support/memory-registry.ts';

/**
 * The JetStream runner against a real NATS: `veto gate worker` processes judge the shards, and
 * the sealed dataset is byte for byte the one-process build's for 1, 2 and 4 workers and any
 * shard count, after a worker is killed with SIGKILL mid-shard, and a shard whose input changed
 * after planning fails the build, naming the shard, with nothing sealed.
 */
const POLICY = fileURLToPath(new URL('../../policies/meta-2025.yaml', import.meta.url));
const QUEUE = `veto-test-${process.pid}`;
const FILES = ['data.jsonl', 'inclusions.tsv', 'decisions.tsv', 'rejects.jsonl'];

async function natsUp(): Promise<boolean> {
  try {
    const nc = await connect({ servers: NATS_URL, timeout: 2000 });
    await nc.close();
    return true;
  } catch {
    return false;
  }
}

const workers: ChildProcess[] = [];
/** A shard noted done: its KV key, `run/shard` (as `judged` counts it) and its files' paths. */
interface DoneShard {
  key: string;
  judged: string;
  files: (ext: string) => string;
}
/** `run/shard` → how many times a worker started judging it. */
const judged = new Map<string, number>();
function startWorker(...extra: string[]): { child: ChildProcess; judging: Promise<void> } {
  const child = spawn(
    process.execPath,
    [VETO_BIN, 'gate', 'worker', '--nats', NATS_URL, ...extra],
    {
      env: {
        ...process.env,
        VETO_GATE_QUEUE: QUEUE,
        VETO_GATE_ACK_WAIT_SECONDS: '3',
        VETO_LOG_LEVEL: 'silent',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  workers.push(child);
  const judging = new Promise<void>((resolve) => {
    child.stdout!.on('data', (d: Buffer) => {
      const text = d.toString();
      for (const m of text.matchAll(/shard (\S+): judging/g))
        judged.set(m[1]!, (judged.get(m[1]!) ?? 0) + 1);
      if (text.includes(': judging')) resolve();
    });
  });
  return { child, judging };
}

/** `veto ARGS` as its own process, without blocking this one (its workers report meanwhile). */
function runVetoAsync(...args: string[]): Promise<{ code: number | null; err: string }> {
  const child = spawn(process.execPath, [VETO_BIN, ...args], {
    env: {
      ...process.env,
      VETO_GATE_QUEUE: QUEUE,
      VETO_GATE_ACK_WAIT_SECONDS: '3',
      VETO_LOG_LEVEL: 'silent',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, err })));
}

function sameDataset(a: string, b: string): void {
  for (const f of FILES) {
    assert.ok(readFileSync(path.join(a, f)).equals(readFileSync(path.join(b, f))), `${f} differs`);
  }
  const strip = (dir: string) => {
    const m = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    for (const k of ['startedAt', 'finishedAt', 'workers']) delete m[k];
    return m;
  };
  assert.deepEqual(strip(b), strip(a));
}

describe('WholeRows (decision rows read in pieces, for the duplicate-id check)', () => {
  it('hands over exactly the rows, whole, however the bytes are cut', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: fc.constantFrom('a', 'b', '\t', '\n', 'é') }), {
          maxLength: 30,
        }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (parts, cuts) => {
          const bytes = Buffer.from(parts.join(''));
          const handed: Buffer[] = [];
          const rows = new WholeRows((b, s, e) => handed.push(Buffer.from(b.subarray(s, e))));
          const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((x, y) => x - y);
          let from = 0;
          for (const c of [...at, bytes.length]) {
            rows.feed(bytes.subarray(from, c));
            from = c;
          }
          rows.end();
          assert.ok(Buffer.concat(handed).equals(bytes));
          // Every piece handed over but the last ends a row.
          for (const h of handed.slice(0, -1)) assert.equal(h[h.length - 1], 10);
        },
      ),
    );
  });
});

describe('veto gate build --runner jetstream', { timeout: 300_000 }, () => {
  let dir: string;
  let inputs: string[];
  let snapshot: string;
  let reference: string;
  let up = false;

  before(async () => {
    up = await natsUp();
    if (!up) return;
    process.env.VETO_GATE_QUEUE = QUEUE;
    process.env.VETO_GATE_ACK_WAIT_SECONDS = '3';
    dir = await tempDir('veto-jetstream-');
    inputs = [path.join(dir, 'a.jsonl'), path.join(dir, 'b.jsonl')];
    // Repeated ids in different shards: a later copy by the same author (excluded), and a copy
    // by another author (every copy excluded), as the duplicate-id check finds them.
    const head = jsonl([
      record({ id: 'dup1', author_id: 'u7' }),
      record({ id: 'dup2', author_id: 'u8' }),
    ]);
    const tail = jsonl([
      record({ id: 'dup1', author_id: 'u7' }),
      record({ id: 'dup2', author_id: 'u9' }),
    ]);
    writeFileSync(inputs[0]!, `${head}${generatedExport(31, 4000)}${tail}`);
    // The second input ends without a line end.
    writeFileSync(inputs[1]!, generatedExport(32, 2500).replaceAll('"id":"p', '"id":"b').trimEnd());
    snapshot = await writeSnapshot(
      dir,
      OBJECTORS.map((a) => `acct:${a}`),
    );
    const one = await buildDataset({
      policy: POLICY,
      inputs,
      outDir: path.join(dir, 'one'),
      objectors: { snapshot },
      offline: true,
      workers: 0,
      datasetId: 'ds_js',
    });
    assert.equal(one.status, 'sealed', one.status === 'failed' ? one.error.stack : '');
    reference = path.join(dir, 'one', 'ds_js');
    assert.equal(one.manifest.duplicateIds?.ids, 2, 'the inputs repeat two ids');
  });

  after(async () => {
    for (const w of workers) w.kill('SIGKILL');
    if (!up) return;
    const nc = await connect({ servers: NATS_URL });
    const jsm = await nc.jetstreamManager();
    const names = queueNames(QUEUE);
    for (const s of [names.stream, `KV_${names.kv}`, `OBJ_${names.objects}`])
      await jsm.streams.delete(s).catch(() => {});
    await nc.close();
  });

  const runner = (
    out: string,
    shards: number,
    onEvent?: Parameters<typeof jetstreamJudge>[0]['onEvent'],
  ) =>
    buildDataset({
      policy: POLICY,
      inputs,
      outDir: path.join(dir, out),
      objectors: { snapshot },
      offline: true,
      datasetId: 'ds_js',
      judgeElsewhere: jetstreamJudge({ nats: NATS_URL, shards, onEvent }),
    });

  /** `veto gate build --runner jetstream` as a user runs it: offline, from the suite's snapshot. */
  const cliRunner = (
    out: string,
    datasetId: string,
    shards: number,
    ins: string[],
    env: Record<string, string> = {},
  ) =>
    runVeto(
      { VETO_GATE_QUEUE: QUEUE, VETO_GATE_ACK_WAIT_SECONDS: '3', ...env },
      'gate',
      'build',
      '--policy',
      POLICY,
      ...ins.flatMap((i) => ['--input', i]),
      '--out',
      path.join(dir, out),
      '--snapshot',
      snapshot,
      '--offline',
      '--dataset-id',
      datasetId,
      '--runner',
      'jetstream',
      '--shards',
      String(shards),
      '--nats',
      NATS_URL,
    );

  it('1, 2 and 4 workers, any shard count: byte-identical to one process', async (t) => {
    if (!requireService('nats', up, `${NATS_URL} unreachable`)) return t.skip();
    startWorker();
    // The coordinator as a user runs it.
    const cli = cliRunner('w1', 'ds_js', 3, inputs);
    assert.equal(cli.code, 0, cli.err);
    sameDataset(reference, path.join(dir, 'w1', 'ds_js'));

    startWorker();
    const two = await runner('w2', 5);
    assert.equal(two.status, 'sealed', two.status === 'failed' ? two.error.message : '');
    sameDataset(reference, path.join(dir, 'w2', 'ds_js'));

    startWorker();
    startWorker();
    const four = await runner('w4', 11);
    assert.equal(four.status, 'sealed', four.status === 'failed' ? four.error.message : '');
    sameDataset(reference, path.join(dir, 'w4', 'ds_js'));
    // No shard folder left behind.
    assert.deepEqual(readdirSync(path.join(dir, 'w4')), ['ds_js']);
  });

  it('one worker judging on 2 threads (--threads 2): byte-identical to one process', async (t) => {
    if (!requireService('nats', up, `${NATS_URL} unreachable`)) return t.skip();
    for (const w of workers.splice(0)) w.kill('SIGKILL');
    startWorker('--threads', '2');
    // One shard per input: the first input (1.06 MB) is two batches of up to 1 MiB, judged on
    // the two threads at once (the short second one is likely back first) and written in order.
    assert.ok(readFileSync(inputs[0]!).length > 1 << 20, 'the first input spans two batches');
    const threaded = await runner('threads', 1);
    assert.equal(
      threaded.status,
      'sealed',
      threaded.status === 'failed' ? threaded.error.message : '',
    );
    sameDataset(reference, path.join(dir, 'threads', 'ds_js'));
    const bad = runVeto({}, 'gate', 'worker', '--nats', NATS_URL, '--threads', 'two');
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--threads must be a whole number from 0 to 256/);
    for (const w of workers.splice(0)) w.kill('SIGKILL');
  });

  it('a worker killed with SIGKILL mid-shard: its task is delivered again, the output the same', async (t) => {
    if (!requireService('nats', up, `${NATS_URL} unreachable`)) return t.skip();
    for (const w of workers.splice(0)) w.kill('SIGKILL');
    const doomed = startWorker();
    const building = runner('killed', 2);
    await doomed.judging;
    doomed.child.kill('SIGKILL');
    startWorker();
    const result = await building;
    assert.equal(result.status, 'sealed', result.status === 'failed' ? result.error.message : '');
    sameDataset(reference, path.join(dir, 'killed', 'ds_js'));
  });

  /**
   * Runs `veto gate build --runner jetstream` until two shards are noted done, kills the
   * coordinator, lets `meddle` change what they left (their KV notes, their files; the worker is
   * stopped meanwhile, else it goes on with the queued shards), and runs it again with --resume: its exit code, stderr and output folder, and the shards done before.
   */
  async function killAfterTwoShardsThenResume(
    out: string,
    meddle?: (done: DoneShard[], kv: KV) => Promise<void>,
  ): Promise<{ code: number | null; err: string; out: string; done: DoneShard[] }> {
    for (const w of workers.splice(0)) w.kill('SIGKILL');
    const outDir = path.join(dir, out);
    const args = [
      VETO_BIN,
      'gate',
      'build',
      '--policy',
      POLICY,
      '--input',
      inputs[0]!,
      '--input',
      inputs[1]!,
      '--out',
      outDir,
      '--snapshot',
      snapshot,
      '--offline',
      '--dataset-id',
      'ds_js',
      '--runner',
      'jetstream',
      '--shards',
      '6',
      '--nats',
      NATS_URL,
    ];
    const env = {
      ...process.env,
      VETO_GATE_QUEUE: QUEUE,
      VETO_GATE_ACK_WAIT_SECONDS: '3',
      VETO_LOG_LEVEL: 'silent',
    };
    const nc = await connect({ servers: NATS_URL });
    const kv = await nc.jetstream().views.kv(queueNames(QUEUE).kv);
    const watch = await kv.watch({ key: '>', include: KvWatchInclude.UpdatesOnly });
    const coordinator = spawn(process.execPath, args, { env, stdio: 'ignore' });
    const { child } = startWorker();
    const done: DoneShard[] = [];
    for await (const e of watch) {
      const m = /^(ds_js_\w+)\.shard\.(\d+)$/.exec(e.key);
      if (e.operation !== 'PUT' || !m) continue;
      const shard = String(m[2]).padStart(6, '0');
      done.push({
        key: e.key,
        judged: `${m[1]}/${m[2]}`,
        files: (ext) => path.join(outDir, `.${m[1]}.shards`, `shard-${shard}.${ext}`),
      });
      if (done.length === 2) break;
    }
    coordinator.kill('SIGKILL');
    await new Promise((r) => coordinator.once('exit', r));
    if (meddle) {
      // Nothing is judged while the shards' remains are changed.
      child.kill('SIGKILL');
      await meddle(done, kv);
      startWorker();
    }
    await nc.close();
    const resumed = spawn(process.execPath, [...args, '--resume'], {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    resumed.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const code = await new Promise<number | null>((r) => resumed.once('exit', r));
    return { code, err, out: outDir, done };
  }

  it('the coordinator killed with SIGKILL, then run with --resume: judged shards are not judged again, the output the same', async (t) => {
    if (!requireService('nats', up, `${NATS_URL} unreachable`)) return t.skip();
    const result = await killAfterTwoShardsThenResume('resumed');
    assert.equal(result.code, 0, result.err);
    sameDataset(reference, path.join(result.out, 'ds_js'));
    // The shards done before the coordinator died were not judged again.
    const doneBefore = result.done.map((d) => d.judged);
    for (const shard of doneBefore) assert.equal(judged.get(shard), 1, shard);
    const run = doneBefore[0]!.split('/')[0]!;
    // One run throughout (6 shards asked; the two inputs are cut apart, so 7).
    assert.equal(
      [...judged.keys()].filter((k) => k.startsWith(`${run}/`)).length,
      7,
      'the same run',
    );
    assert.deepEqual(readdirSync(result.out), ['ds_js']);
  });

  it('a shard noted by a worker without summary files (an earlier version): its rows are scanned instead, the output the same', async (t) => {
    if (!requireService('nats', up, `${NATS_URL} unreachable`)) return t.skip();
    const result = await killAfterTwoShardsThenResume('older-worker', async (done, kv) => {
      for (const { key, files } of done) {
        const entry = await kv.get(key);
        const note = entry!.json<{ files: Record<string, unknown> }>();
        assert.ok(note.files.ids && note.files.authors, 'a worker writes both summaries');
        delete note.files.ids;
        delete note.files.authors;
        await kv.put(key, JSON.stringify(note));
        // Gone from the folder too: a build that still read them would fail.
        await rm(files('ids'));
        await rm(files('authors'));
      }
    });
    assert.equal(result.code, 0, result.err);
    sameDataset(reference, path.join(result.out, 'ds_js'));
  });

  it("a shard's summary changed after its worker wrote it fails the build, naming the shard; nothing sealed", async (t) => {
    if (!requireService('nats', up, `${NATS_URL} unreachable`)) return t.skip();
    const result = await killAfterTwoShardsThenResume('summary-changed', async (done) => {
      // One id hash less for the duplicate-id check, one kept author more for the notice check.
      const ids = readFileSync(done[0]!.files('ids'));
      writeFileSync(done[0]!.files('ids'), ids.subarray(8));
      const authors = readFileSync(done[1]!.files('authors'), 'utf8');
      writeFileSync(done[1]!.files('authors'), `${authors}acct:someone-else\n`);
    });
    assert.equal(result.code, 1, result.err);
    assert.match(
      result.err,
      /shard \d+: shard-\d+\.(ids|authors) does not match the shard's manifest/,
    );
    assert.deepEqual(readdirSync(result.out), []);
  });

  it("a worker's summary that disagrees with its shard's decisions fails the build, naming the shard; nothing sealed", async (t) => {
    if (!requireService('nats', up, `${NATS_URL} unreachable`)) return t.skip();
    const result = await killAfterTwoShardsThenResume('summary-short', async (done, kv) => {
      // One id hash less, the note's size and CRC-32 made to match: as a faulty worker would.
      const ids = readFileSync(done[0]!.files('ids')).subarray(8);
      writeFileSync(done[0]!.files('ids'), ids);
      const note = (await kv.get(done[0]!.key))!.json<{
        files: Record<string, { bytes: number; crc32: number }>;
      }>();
      note.files.ids = { bytes: ids.length, crc32: crc32(ids) };
      await kv.put(done[0]!.key, JSON.stringify(note));
    });
    assert.equal(result.code, 1, result.err);
    assert.match(result.err, /shard \d+: its ids summary is not whole/);
    assert.deepEqual(readdirSync(result.out), []);
  });

  it('from a filter file: byte-identical to one process', async (t) => {
    if (!requireService('nats', up, `${NATS_URL} unreachable`)) return t.skip();
    for (const w of workers.splice(0)) w.kill('SIGKILL');
    const filter = path.join(dir, 'objectors.vfilter');
    await writeFilterFile(
      filter,
      { id: 'snap_filter', purpose: 'ai-training', asOf: AS_OF },
      OBJECTORS.map((a) => `acct:${a}`).sort(),
    );
    const common = ['--offline', '--dataset-id', 'ds_jsf', '--filter', filter];
    const ins = ['--input', inputs[0]!, '--input', inputs[1]!];
    const one = runVeto(
      {},
      'gate',
      'build',
      '--policy',
      POLICY,
      ...ins,
      '--out',
      path.join(dir, 'f1'),
      ...common,
    );
    assert.equal(one.code, 0, one.err);
    startWorker();
    startWorker();
    const cli = await runVetoAsync(
      'gate',
      'build',
      '--policy',
      POLICY,
      ...ins,
      '--out',
      path.join(dir, 'fj'),
      ...common,
      '--runner',
      'jetstream',
      '--shards',
      '4',
      '--nats',
      NATS_URL,
    );
    assert.equal(cli.code, 0, cli.err);
    sameDataset(path.join(dir, 'f1', 'ds_jsf'), path.join(dir, 'fj', 'ds_jsf'));
  });

  it('the notice period asked of a registry: the same removals and bytes as one process', async (t) => {
    if (!requireService('nats', up, `${NATS_URL} unreachable`)) return t.skip();
    for (const w of workers.splice(0)) w.kill('SIGKILL');
    startWorker();
    // Authors whose account id ends in 3 were not shown the notice in time.
    const registry = () => {
      const r = new MemoryRegistry();
      r.subjectsWithoutNotice = async (q) => q.subjectKeys.filter((k) => k.endsWith('3'));
      return r;
    };
    const common = { policy: POLICY, inputs, objectors: { snapshot }, datasetId: 'ds_jsn' };
    const one = await buildDataset({
      ...common,
      outDir: path.join(dir, 'n1'),
      registry: registry(),
      workers: 0,
    });
    assert.equal(one.status, 'sealed', one.status === 'failed' ? one.error.message : '');
    const run = await buildDataset({
      ...common,
      outDir: path.join(dir, 'nj'),
      registry: registry(),
      judgeElsewhere: jetstreamJudge({ nats: NATS_URL, shards: 3 }),
    });
    assert.equal(run.status, 'sealed', run.status === 'failed' ? run.error.message : '');
    if (one.status !== 'sealed' || run.status !== 'sealed') return;
    assert.ok(one.manifest.counts['notice-period'] > 0, 'some authors were not shown the notice');
    assert.deepEqual(run.manifest.counts, one.manifest.counts);
    assert.equal(run.manifest.output.sha256, one.manifest.output.sha256);
  });

  it('an objector table changed in the shared folder fails the build, naming the shard; nothing sealed', async (t) => {
    if (!requireService('nats', up, `${NATS_URL} unreachable`)) return t.skip();
    for (const w of workers.splice(0)) w.kill('SIGKILL');
    const out = path.join(dir, 'table-changed');
    // No worker yet: the coordinator writes the table and queues the tasks.
    const building = runVetoAsync(
      'gate',
      'build',
      '--policy',
      POLICY,
      '--input',
      inputs[0]!,
      '--out',
      out,
      '--snapshot',
      snapshot,
      '--offline',
      '--dataset-id',
      'ds_js',
      '--runner',
      'jetstream',
      '--shards',
      '2',
      '--nats',
      NATS_URL,
    );
    let table: string | undefined;
    while (!table) {
      await new Promise((r) => setTimeout(r, 50));
      const shards = existsSync(out)
        ? readdirSync(out).find((f) => f.endsWith('.shards'))
        : undefined;
      const file = shards && readdirSync(path.join(out, shards)).find((f) => f.endsWith('.table'));
      if (file) table = path.join(out, shards!, file);
    }
    const bytes = readFileSync(table);
    // An empty slot filled: a key that is not in the set (or one moved out of its place).
    bytes[bytes.indexOf(0)] = 1;
    writeFileSync(table, bytes);
    startWorker();
    const result = await building;
    assert.equal(result.code, 1, result.err);
    assert.match(
      result.err,
      /shard \d+ \(.*a\.jsonl bytes \d+-\d+, from line \d+\) failed: .*objector table does not have the sha256 the task names/,
    );
    assert.deepEqual(readdirSync(out), []);
  });

  it('a shard whose input changed after planning fails the build, naming it; nothing sealed', async (t) => {
    if (!requireService('nats', up, `${NATS_URL} unreachable`)) return t.skip();
    for (const w of workers.splice(0)) w.kill('SIGKILL');
    const published = new Set<number>();
    let allOut: () => void = () => {};
    const out = new Promise<void>((r) => {
      allOut = r;
    });
    const building = runner('poisoned', 4, (e) => {
      if (e.kind === 'published') published.add(e.shard);
      if (published.size === 4) allOut();
    });
    await out;
    // The first input is shards 0-2 (4000 of 6500 records); change a byte in shard 1.
    const original = readFileSync(inputs[0]!);
    const changed = Buffer.from(original);
    let at = Math.floor(changed.length / 2);
    while (changed[at]! < 0x61 || changed[at]! > 0x7a) at++;
    changed[at] = changed[at] === 0x78 ? 0x79 : 0x78;
    writeFileSync(inputs[0]!, changed);
    startWorker();
    startWorker();
    const result = await building;
    writeFileSync(inputs[0]!, original);
    assert.equal(result.status, 'failed');
    assert.match(
      result.status === 'failed' ? result.error.message : '',
      /^shard 1 \(.*a\.jsonl bytes \d+-\d+, from line \d+\) failed: .*changed since the build was planned/,
    );
    assert.equal(existsSync(path.join(dir, 'poisoned', 'ds_js')), false);
    assert.deepEqual(readdirSync(path.join(dir, 'poisoned')), []);
  });

  it('a Parquet input is sharded by row groups: byte-identical to one process; a changed row group fails its shard', async (t) => {
    if (!requireService('nats', up, `${NATS_URL} unreachable`)) return t.skip();
    for (const w of workers.splice(0)) w.kill('SIGKILL');
    // 9000 records in row groups of 2048 rows: five row groups, with a JSONL input before them.
    const source = path.join(dir, 'c.jsonl');
    writeFileSync(source, generatedExport(33, 9000).replaceAll('"id":"p', '"id":"c'));
    const parquet = path.join(dir, 'c.parquet');
    const duck = await DuckDBInstance.create(':memory:');
    const c = await duck.connect();
    await c.run(
      `COPY (SELECT * FROM read_json('${source}', format = 'newline_delimited')) TO '${parquet}' (FORMAT parquet, ROW_GROUP_SIZE 2048)`,
    );
    const groups = await c.runAndReadAll(
      `SELECT count(DISTINCT row_group_id) AS n FROM parquet_metadata('${parquet}')`,
    );
    c.closeSync();
    duck.closeSync();
    assert.equal(Number(groups.getRowObjects()[0]!.n), 5);
    const mixed = [inputs[0]!, parquet];
    const one = await buildDataset({
      policy: POLICY,
      inputs: mixed,
      outDir: path.join(dir, 'pq-one'),
      objectors: { snapshot },
      offline: true,
      workers: 0,
      datasetId: 'ds_pq',
    });
    assert.equal(one.status, 'sealed', one.status === 'failed' ? one.error.stack : '');
    assert.equal(one.manifest.inputs[1]!.format, 'parquet');
    assert.equal(one.manifest.inputs[1]!.lines, 9000);

    startWorker();
    startWorker();
    // The coordinator as a user runs it: shards of about a sixth of the bytes, so the Parquet
    // file's row groups are grouped into several shards.
    const cli = cliRunner('pq-js', 'ds_pq', 6, mixed);
    assert.equal(cli.code, 0, cli.err);
    sameDataset(path.join(dir, 'pq-one', 'ds_pq'), path.join(dir, 'pq-js', 'ds_pq'));

    // A byte of a row group changed once the tasks are out: that shard fails, nothing sealed.
    for (const w of workers.splice(0)) w.kill('SIGKILL');
    const tasks: { shard: number }[] = [];
    let allOut: () => void = () => {};
    const out = new Promise<void>((r) => {
      allOut = r;
    });
    const building = buildDataset({
      policy: POLICY,
      inputs: [parquet],
      outDir: path.join(dir, 'pq-poisoned'),
      objectors: { snapshot },
      offline: true,
      datasetId: 'ds_pq',
      judgeElsewhere: jetstreamJudge({
        nats: NATS_URL,
        shards: 5,
        onEvent: (e) => {
          if (e.kind === 'published') tasks.push({ shard: e.shard });
          if (e.kind === 'planned') allOut();
        },
      }),
    });
    await out;
    assert.ok(tasks.length >= 2, `${tasks.length} shards`);
    const original = readFileSync(parquet);
    const changed = Buffer.from(original);
    changed[Math.floor(changed.length / 2)]! ^= 0x01;
    writeFileSync(parquet, changed);
    startWorker();
    const result = await building;
    writeFileSync(parquet, original);
    assert.equal(result.status, 'failed');
    assert.match(
      result.status === 'failed' ? result.error.message : '',
      /^shard \d+ \(.*c\.parquet rows \d+-\d+\) failed: .*row groups of rows \d+-\d+ changed since the build was planned/,
    );
    assert.deepEqual(readdirSync(path.join(dir, 'pq-poisoned')), []);
  });

  it('no worker takes a task: the build fails after the idle limit, saying so; nothing sealed', async (t) => {
    if (!requireService('nats', up, `${NATS_URL} unreachable`)) return t.skip();
    for (const w of workers.splice(0)) w.kill('SIGKILL');
    const started = Date.now();
    const cli = cliRunner('idle', 'ds_idle', 2, [inputs[0]!], { VETO_GATE_IDLE_SECONDS: '2' });
    assert.notEqual(cli.code, 0);
    assert.match(
      cli.err,
      /no worker has taken a task of the queue for 2 s, shard 0 and 1 more waiting/,
    );
    assert.ok(Date.now() - started < 60_000);
    assert.deepEqual(readdirSync(path.join(dir, 'idle')), []);
  });
});
