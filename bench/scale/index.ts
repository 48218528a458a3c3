import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { connect } from 'nats';
import { buildDataset, type GateProgress } from '../../src/gate/build.ts';
import { jetstreamJudge, queueNames, type ShardManifest } from '../../src/gate/jetstream-runner.ts';
import { bundleEntry } from '../../src/lib/source-bundle.js';
import { prepare, sinkRegistry } from '../gate/index.ts';

/**
 * `npm run bench -- scale`: the one-process gate (two worker threads) against the JetStream
 * runner with two `veto gate worker` processes on this machine, on the gate bench's corpus
 * (VETO_BENCH_SCALE as there: 1 ≈ 1 GB). Needs NATS (VETO_NATS_URL, default 127.0.0.1:4222).
 * VETO_BENCH_SHARDS (default 16), VETO_BENCH_ROUNDS (default 1: one process and the runner
 * alternate that many times), VETO_BENCH_SHARD_LOG=1 (a line per shard appended),
 * VETO_BENCH_RUNNER=threads (one worker process with two threads in place of two). Prints the
 * runner's overhead in wall and CPU time, each build's phases, where the runner's time went
 * (coordinator and per worker), the coordinator's planning and assembly rates and the
 * per-worker judging rate, and from them the model of docs/scale.md for 10 and 100 machines.
 */
const HERE = fileURLToPath(new URL('.', import.meta.url));
const OUT = join(HERE, '..', 'out', 'scale');
const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const POLICY = fileURLToPath(new URL('../gate/bench-policy.yaml', import.meta.url));
const NATS = process.env.VETO_NATS_URL ?? 'nats://127.0.0.1:4222';
const SHARDS = Number(process.env.VETO_BENCH_SHARDS ?? '16');
const WORKERS = 2;
/**
 * How the runner's two judges run: two `veto gate worker` processes (`processes`, the default),
 * or one with `--threads 2` (`threads`: one copy of the objector set, read once). VETO_BENCH_RUNNER.
 */
const RUNNER_MODE = process.env.VETO_BENCH_RUNNER === 'threads' ? 'threads' : 'processes';
/** Worker processes: each judges one shard at a time. */
const PROCESSES = RUNNER_MODE === 'threads' ? 1 : WORKERS;
/** One process and the runner, alternately (VETO_BENCH_ROUNDS, default 1). */
const ROUNDS = Math.max(1, Number(process.env.VETO_BENCH_ROUNDS ?? '1'));
const fmt = (n: number, d = 1) => n.toFixed(d);

async function startWorkers(n: number, env: Record<string, string>): Promise<ChildProcess[]> {
  const threads = RUNNER_MODE === 'threads' ? ['--threads', String(WORKERS)] : [];
  // As `veto gate worker` runs: the bundle of the command's sources, in the process that
  // `bin/veto.js` starts for it (with huge pages, inherited from `npm run bench`); through tsx
  // only if no bundle can be made. Started this way, not through the launcher, so that its CPU
  // time is this child's.
  const bundle = await bundleEntry(pathToFileURL(MAIN)).then(
    (b) => fileURLToPath(b.url),
    () => undefined,
  );
  const start = bundle ? [bundle] : ['--import', 'tsx', MAIN];
  return Promise.all(
    Array.from({ length: n }, async () => {
      const child = spawn(
        process.execPath,
        [...start, 'gate', 'worker', '--nats', NATS, ...threads],
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
    `corpus ${fmt(bytes / 1e6)} MB, ${objectors.toLocaleString('en')} objectors; ${RUNNER_MODE === 'threads' ? `1 worker process with ${WORKERS} threads` : `${WORKERS} worker processes`}, ${SHARDS} shards, ${ROUNDS} round(s)`,
  );
  await rm(OUT, { recursive: true, force: true });
  const queue = `veto-bench-${process.pid}`;
  process.env.VETO_GATE_QUEUE = queue;
  const ratios: number[] = [];
  const cpuRatios: number[] = [];
  let workers: ChildProcess[] = [];
  try {
    // One process and the runner alternate: on a shared machine the load moves between runs.
    for (let round = 1; round <= ROUNDS; round++) {
      console.log(`round ${round} (load average ${loadavg()[0]!.toFixed(1)})`);
      const local = await localRun(corpus, snapshot, bytes, round);
      const localMs = local.ms;
      // New workers with an empty cache each round: none has the objector set yet (a worker
      // keeps the last one it loaded, and the next build with the same set would not load it).
      for (const w of workers) w.kill('SIGTERM');
      const cache = join(OUT, `worker-cache-${round}`);
      workers = await startWorkers(PROCESSES, { VETO_GATE_QUEUE: queue, VETO_GATE_CACHE: cache });
      const runner = await runnerRun(
        corpus,
        snapshot,
        bytes,
        round,
        local.sha256,
        local.cpuSeconds,
        workers,
      );
      const runnerMs = runner.ms;
      ratios.push(runnerMs / localMs);
      cpuRatios.push(runner.cpuSeconds / local.cpuSeconds);
      console.log(
        `  overhead vs one process: ${fmt((runnerMs / localMs - 1) * 100)} % of wall time (${fmt(runnerMs / localMs, 2)}×)`,
      );
    }
    if (ROUNDS > 1) {
      for (const [what, list] of [
        ['wall time', ratios],
        ['CPU time', cpuRatios],
      ] as const) {
        const sorted = [...list].sort((x, y) => x - y);
        const median = sorted[Math.floor(sorted.length / 2)]!;
        console.log(
          `overhead in ${what} over ${ROUNDS} rounds: median ${fmt((median - 1) * 100)} % (${sorted.map((r) => fmt((r - 1) * 100)).join(', ')} %)`,
        );
      }
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

/** The baseline: the one-process gate with as many worker threads as the runner has processes. */
async function localRun(
  corpus: string,
  snapshot: string,
  bytes: number,
  round: number,
): Promise<{ ms: number; sha256: string; cpuSeconds: number }> {
  const t = performance.now();
  const cpu = selfCpuSeconds();
  const mainCpu = mainThreadCpuSeconds();
  const phases = phaseClock();
  const local = await buildDataset({
    onProgress: phases.onProgress,
    policy: POLICY,
    inputs: [corpus],
    outDir: join(OUT, `local-${round}`),
    objectors: { snapshot },
    registry: sinkRegistry,
    workers: WORKERS,
    datasetId: 'ds_local',
  });
  const ms = performance.now() - t;
  const cpuSeconds = selfCpuSeconds() - cpu;
  const mainSeconds = mainThreadCpuSeconds() - mainCpu;
  if (local.status !== 'sealed') throw local.error;
  console.log(
    `one process, ${WORKERS} threads: ${fmt(ms / 1000, 2)} s (${fmt(bytes / 1e6 / (ms / 1000))} MB/s), ${fmt(cpuSeconds, 2)} s of CPU (main thread ${fmt(mainSeconds, 2)})`,
  );
  console.log(`  phases: ${phases.line()}`);
  await rm(join(OUT, `local-${round}`), { recursive: true, force: true });
  return { ms, sha256: local.manifest.output.sha256, cpuSeconds };
}

async function runnerRun(
  corpus: string,
  snapshot: string,
  bytes: number,
  round: number,
  expectSha256: string,
  localCpu: number,
  workers: ChildProcess[],
): Promise<{ ms: number; cpuSeconds: number }> {
  const manifests: ShardManifest[] = [];
  const events = new Map<string, number>();
  const cpuAt = new Map<string, number>();
  let plannedAt = 0;
  let firstAppendAt = 0;
  let lastAppendAt = 0;
  let appendMs = 0;
  const natsPid = natsServerPid();
  const cpuOf = () => ({
    coordinator: selfCpuSeconds(),
    workers: workers.reduce((n, w) => n + cpuSecondsOf(w.pid), 0),
    nats: cpuSecondsOf(natsPid),
  });
  const cpu = cpuOf();
  const mainCpu = mainThreadCpuSeconds();
  const t = performance.now();
  const started = Date.now();
  const phases = phaseClock();
  const runner = await buildDataset({
    onProgress: phases.onProgress,
    policy: POLICY,
    inputs: [corpus],
    outDir: join(OUT, `runner-${round}`),
    objectors: { snapshot },
    registry: sinkRegistry,
    datasetId: 'ds_runner',
    judgeElsewhere: jetstreamJudge({
      nats: NATS,
      shards: SHARDS,
      onEvent(e) {
        if (!events.has(e.kind)) events.set(e.kind, e.at);
        if (!cpuAt.has(e.kind)) cpuAt.set(e.kind, selfCpuSeconds());
        if (e.kind === 'planned') plannedAt = e.at;
        if (e.kind === 'judged') {
          events.set('judged', e.at);
          cpuAt.set('judged', selfCpuSeconds());
        }
        if (e.kind === 'appended') {
          manifests.push(e.manifest!);
          firstAppendAt ||= e.at;
          lastAppendAt = e.at;
          appendMs += e.appendMs ?? 0;
          if (process.env.VETO_BENCH_SHARD_LOG) {
            const m = e.manifest!;
            console.log(
              `    shard ${e.shard}: noted ${fmt(((m.timings?.noted ?? 0) - started) / 1000, 2)} s, appended ${fmt((e.at - started) / 1000, 2)} s, append ${fmt((e.appendMs ?? 0) / 1000, 2)} s, ${fmt(Object.values(m.files).reduce((n, f) => n + f.bytes, 0) / 1e6)} MB`,
            );
          }
        }
      },
    }),
  });
  const runnerMs = performance.now() - t;
  const cpuAfter = cpuOf();
  const mainSeconds = mainThreadCpuSeconds() - mainCpu;
  if (runner.status !== 'sealed') throw runner.error;
  if (runner.manifest.output.sha256 !== expectSha256)
    throw new Error('the runner output differs from the one-process output');
  await rm(join(OUT, `runner-${round}`), { recursive: true, force: true });

  const judgeMs = manifests.reduce((n, m) => n + m.judgeMs, 0);
  const outBytes = manifests.reduce(
    (n, m) => n + Object.values(m.files).reduce((k, f) => k + f.bytes, 0),
    0,
  );
  // Per worker process: bytes judged per second of its judging time.
  const perWorker = bytes / 1e6 / (judgeMs / 1000);
  // Worker time not spent judging, per shard: delivery, fetches, KV, idle at the ends.
  const coordinationMs = (runnerMs * PROCESSES - judgeMs) / manifests.length;
  const planMs = plannedAt - (events.get('stored') ?? started);
  console.log(
    `JetStream runner, ${RUNNER_MODE === 'threads' ? `1 worker process, ${WORKERS} threads` : `${WORKERS} worker processes`}: ${fmt(runnerMs / 1000, 2)} s (${fmt(bytes / 1e6 / (runnerMs / 1000))} MB/s), same output sha256`,
  );
  const used = {
    coordinator: cpuAfter.coordinator - cpu.coordinator,
    workers: cpuAfter.workers - cpu.workers,
    nats: cpuAfter.nats - cpu.nats,
  };
  console.log(
    `  CPU: ${fmt(used.coordinator + used.workers + used.nats, 2)} s (coordinator ${fmt(used.coordinator, 2)}, its main thread ${fmt(mainSeconds, 2)}, workers ${fmt(used.workers, 2)}, NATS server ${natsPid ? fmt(used.nats, 2) : 'not local'}): ${fmt(((used.coordinator + used.workers + used.nats) / localCpu - 1) * 100)} % more than one process`,
  );
  console.log(`  phases: ${phases.line()}`);
  const cpuBetween = (a: string, b: string) => fmt((cpuAt.get(b) ?? 0) - (cpuAt.get(a) ?? 0), 2);
  console.log(
    `  coordinator CPU: table and tasks out ${cpuBetween('entered', 'published')} s, from then while workers judge ${cpuBetween('published', 'judged')} s`,
  );
  breakdown(started, events, manifests, appendMs);
  console.log(
    `  per-worker-process judging rate: ${fmt(perWorker)} MB/s; Σ shard judging ${fmt(judgeMs / 1000, 2)} s; worker time not judging: ${fmt(coordinationMs)} ms per shard (${manifests.length} shards)`,
  );
  console.log(
    `  coordinator: planning read ${fmt(planMs / 1000, 2)} s (${fmt(bytes / 1e6 / (planMs / 1000))} MB/s: sha256, CRC-32 and line ends of every byte); assembling ${fmt(outBytes / 1e6)} MB of shard output, first to last shard ${fmt((lastAppendAt - firstAppendAt) / 1000, 2)} s`,
  );
  // The model (docs/scale.md): machines like this one, each judging as the workers did here.
  const planRate = bytes / 1e6 / (planMs / 1000);
  for (const machines of [10, 100]) {
    const judging = perWorker * PROCESSES * machines;
    const bound = Math.min(judging, planRate);
    console.log(
      `  model, ${machines} machines × ${PROCESSES} worker process${PROCESSES === 1 ? ` (${WORKERS} threads)` : 'es'}: judging ${fmt(judging)} MB/s, the coordinator's planning read ${fmt(planRate)} MB/s → ${fmt(bound)} MB/s (${bound === planRate ? 'coordinator-bound' : 'worker-bound'})`,
    );
  }
  return { ms: runnerMs, cpuSeconds: used.coordinator + used.workers + used.nats };
}

/** CPU seconds (user + system) a process has used, from /proc (Linux); 0 where unreadable. */
function cpuSecondsOf(pid: number | undefined, path = `/proc/${pid}/stat`): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(path, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** CPU seconds of this process's main thread alone (Linux). */
const mainThreadCpuSeconds = () =>
  cpuSecondsOf(process.pid, `/proc/${process.pid}/task/${process.pid}/stat`);

const selfCpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** The local NATS server's pid, to count its CPU too (undefined when it is elsewhere). */
function natsServerPid(): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'nats-server')
        return Number(entry);
    } catch {}
  }
  return undefined;
}

/** When each build phase began (`onProgress` reports every phase change as it happens). */
function phaseClock() {
  const started = Date.now();
  const seen = new Map<string, { at: number; cpu: number }>();
  return {
    onProgress(p: GateProgress) {
      if (!seen.has(p.phase)) seen.set(p.phase, { at: Date.now(), cpu: selfCpuSeconds() });
    },
    at: (phase: string) => seen.get(phase)?.at ?? 0,
    /** Each phase's wall time, and in brackets this process's CPU time in it (all its threads). */
    line(): string {
      const marks = [
        ...seen.entries(),
        ['done', { at: Date.now(), cpu: selfCpuSeconds() }] as const,
      ];
      return marks
        .slice(0, -1)
        .map(
          ([phase, m], i) =>
            `${phase} ${fmt((marks[i + 1]![1].at - m.at) / 1000, 2)} s [${fmt(marks[i + 1]![1].cpu - m.cpu, 2)}]`,
        )
        .join(', ')
        .concat(
          ` (from the call: ${fmt(((marks[0]?.[1].at ?? started) - started) / 1000, 2)} s before the first; [CPU s of this process])`,
        );
    },
  };
}

/**
 * Where the runner's time went: the coordinator's steps as offsets from the call, and each
 * worker's time split into waiting for its first task, fetching and loading the objector set,
 * judging, noting, and idle between tasks (until the last shard is noted).
 */
function breakdown(
  started: number,
  events: Map<string, number>,
  manifests: ShardManifest[],
  appendMs: number,
): void {
  const rel = (at: number | undefined) => (at ? `${fmt((at - started) / 1000, 2)} s` : '-');
  console.log(
    `  coordinator (from the call): stage ${rel(events.get('entered'))}, objects stored ${rel(events.get('stored'))}, first task ${rel(events.get('published'))}, planned ${rel(events.get('planned'))}, first append ${rel(events.get('appended'))}, last append ${rel(events.get('judged'))}; Σ append ${fmt(appendMs / 1000, 2)} s`,
  );
  const byWorker = new Map<number, ShardManifest[]>();
  for (const m of manifests) {
    if (!m.timings) continue;
    const list = byWorker.get(m.timings.worker) ?? [];
    list.push(m);
    byWorker.set(m.timings.worker, list);
  }
  const lastNoted = Math.max(...manifests.map((m) => m.timings?.noted ?? 0));
  for (const [pid, list] of byWorker) {
    list.sort((a, b) => a.timings!.received - b.timings!.received);
    const first = list[0]!.timings!;
    let fetch = 0;
    let load = 0;
    let other = 0;
    let judge = 0;
    let note = 0;
    let idle = 0;
    let prev = first.received;
    for (const m of list) {
      const tm = m.timings!;
      idle += tm.received - prev;
      fetch += tm.fetchMs;
      load += tm.loadMs;
      other += tm.ready - tm.received - tm.fetchMs - tm.loadMs;
      judge += tm.judged - tm.ready;
      note += tm.noted - tm.judged;
      prev = tm.noted;
    }
    idle += lastNoted - prev;
    console.log(
      `  worker ${pid}: ${list.length} shards; first task at ${rel(first.received)}; fetch set ${fmt(fetch / 1000, 2)} s, load set ${fmt(load / 1000, 2)} s, other fetches ${fmt(other / 1000, 2)} s, judge+write ${fmt(judge / 1000, 2)} s, note ${fmt(note / 1000, 2)} s, idle between ${fmt(idle / 1000, 2)} s (to the last shard noted at ${rel(lastNoted)})`,
    );
  }
}
