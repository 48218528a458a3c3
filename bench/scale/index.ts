import { type ChildProcess, spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from 'nats';
import { buildDataset } from '../../src/gate/build.ts';
import { jetstreamJudge, queueNames, type ShardManifest } from '../../src/gate/jetstream-runner.ts';
import { prepare, sinkRegistry } from '../gate/index.ts';

/**
 * `npm run bench -- scale`: the one-process gate (two worker threads) against the JetStream
 * runner with two `veto gate worker` processes on this machine, on the gate bench's corpus
 * (VETO_BENCH_SCALE as there: 1 ≈ 1 GB). Needs NATS (VETO_NATS_URL, default 127.0.0.1:4222).
 * VETO_BENCH_SHARDS (default 16). Prints the runner's overhead, the coordination cost per shard,
 * the coordinator's planning and assembly rates and the per-worker judging rate, and from them
 * the model of docs/scale.md for 10 and 100 machines.
 */
const HERE = fileURLToPath(new URL('.', import.meta.url));
const OUT = join(HERE, '..', 'out', 'scale');
const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const POLICY = fileURLToPath(new URL('../gate/bench-policy.yaml', import.meta.url));
const NATS = process.env.VETO_NATS_URL ?? 'nats://127.0.0.1:4222';
const SHARDS = Number(process.env.VETO_BENCH_SHARDS ?? '16');
const WORKERS = 2;
const fmt = (n: number, d = 1) => n.toFixed(d);

async function startWorkers(n: number, env: Record<string, string>): Promise<ChildProcess[]> {
  return Promise.all(
    Array.from({ length: n }, async () => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', MAIN, 'gate', 'worker', '--nats', NATS],
        {
          env: { ...process.env, ...env, VETO_LOG_LEVEL: 'silent' },
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (d: Buffer) => {
          if (d.toString().includes('taking tasks')) resolve();
        });
        child.once('exit', (code) => reject(new Error(`worker exited (${code})`)));
      });
      return child;
    }),
  );
}

export async function run(): Promise<void> {
  const { corpus, snapshot, bytes, objectors } = await prepare();
  console.log(
    `corpus ${fmt(bytes / 1e6)} MB, ${objectors.toLocaleString('en')} objectors; ${WORKERS} workers, ${SHARDS} shards`,
  );
  await rm(OUT, { recursive: true, force: true });
  const queue = `veto-bench-${process.pid}`;
  process.env.VETO_GATE_QUEUE = queue;

  // Baseline: the one-process gate with as many worker threads as the runner has processes.
  let t = performance.now();
  const local = await buildDataset({
    policy: POLICY,
    inputs: [corpus],
    outDir: join(OUT, 'local'),
    objectors: { snapshot },
    registry: sinkRegistry,
    workers: WORKERS,
    datasetId: 'ds_local',
  });
  const localMs = performance.now() - t;
  if (local.status !== 'sealed') throw local.error;
  console.log(
    `one process, ${WORKERS} threads: ${fmt(localMs / 1000, 2)} s (${fmt(bytes / 1e6 / (localMs / 1000))} MB/s)`,
  );

  const workers = await startWorkers(WORKERS, { VETO_GATE_QUEUE: queue });
  try {
    const manifests: ShardManifest[] = [];
    let plannedAt = 0;
    let firstAppendAt = 0;
    let lastAppendAt = 0;
    t = performance.now();
    const started = Date.now();
    const runner = await buildDataset({
      policy: POLICY,
      inputs: [corpus],
      outDir: join(OUT, 'runner'),
      objectors: { snapshot },
      registry: sinkRegistry,
      datasetId: 'ds_runner',
      judgeElsewhere: jetstreamJudge({
        nats: NATS,
        shards: SHARDS,
        onEvent(e) {
          if (e.kind === 'planned') plannedAt = e.at;
          if (e.kind === 'appended') {
            manifests.push(e.manifest!);
            firstAppendAt ||= e.at;
            lastAppendAt = e.at;
          }
        },
      }),
    });
    const runnerMs = performance.now() - t;
    if (runner.status !== 'sealed') throw runner.error;
    if (runner.manifest.output.sha256 !== local.manifest.output.sha256)
      throw new Error('the runner output differs from the one-process output');

    const judgeMs = manifests.reduce((n, m) => n + m.judgeMs, 0);
    const outBytes = manifests.reduce(
      (n, m) => n + Object.values(m.files).reduce((k, f) => k + f.bytes, 0),
      0,
    );
    // Per worker process: bytes judged per second of its judging time.
    const perWorker = bytes / 1e6 / (judgeMs / 1000);
    // Worker time not spent judging, per shard: delivery, fetches, KV, idle at the ends.
    const coordinationMs = (runnerMs * WORKERS - judgeMs) / manifests.length;
    const planMs = plannedAt - started;
    console.log(
      `JetStream runner, ${WORKERS} worker processes: ${fmt(runnerMs / 1000, 2)} s (${fmt(bytes / 1e6 / (runnerMs / 1000))} MB/s), same output sha256`,
    );
    console.log(
      `  overhead vs one process: ${fmt((runnerMs / localMs - 1) * 100)} % of wall time (${fmt(runnerMs / localMs, 2)}×)`,
    );
    console.log(
      `  per-worker judging rate: ${fmt(perWorker)} MB/s; Σ shard judging ${fmt(judgeMs / 1000, 2)} s`,
    );
    console.log(
      `  coordination per shard: ${fmt(coordinationMs)} ms of worker time (${manifests.length} shards)`,
    );
    console.log(
      `  coordinator: planning read ${fmt(planMs / 1000, 2)} s (${fmt(bytes / 1e6 / (planMs / 1000))} MB/s, hashes every byte twice); assembling ${fmt(outBytes / 1e6)} MB of shard output, first to last shard ${fmt((lastAppendAt - firstAppendAt) / 1000, 2)} s`,
    );
    // The model (docs/scale.md): machines of two worker processes each.
    const planRate = bytes / 1e6 / (planMs / 1000);
    for (const machines of [10, 100]) {
      const judging = perWorker * WORKERS * machines;
      const bound = Math.min(judging, planRate);
      console.log(
        `  model, ${machines} machines × ${WORKERS} workers: judging ${fmt(judging)} MB/s, the coordinator's planning read ${fmt(planRate)} MB/s → ${fmt(bound)} MB/s (${bound === planRate ? 'coordinator-bound' : 'worker-bound'})`,
      );
    }
  } finally {
    for (const w of workers) w.kill('SIGTERM');
    const nc = await connect({ servers: NATS });
    const jsm = await nc.jetstreamManager();
    const names = queueNames(queue);
    for (const s of [names.stream, `KV_${names.kv}`, `OBJ_${names.objects}`])
      await jsm.streams.delete(s).catch(() => {});
    await nc.close();
    await rm(OUT, { recursive: true, force: true });
  }
}
