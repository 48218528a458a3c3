import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readNoticeDirectory } from '../../src/domain/notices/notice-files.ts';
import { importObjections } from '../../src/domain/objection-import.ts';
import { buildDataset } from '../../src/gate/build.ts';
import { recordAssessmentFor } from '../../test/support/assessment-text.ts';
import { testVeto } from '../../test/support/test-veto.ts';
import { isObjector, writeCorpus } from '../gate/corpus.ts';

/**
 * bench/build: one gate build as `veto gate build` runs it on the default SQLite registry, with
 * every check the registry adds to what `bench/gate` measures: the notice-period check asked of
 * the database, the exclusion commitment (one VRF evaluation per distinct subject, with the
 * deployment's key), the inclusion index written to the database, the verify's questions asked
 * again. `bench/gate` answers the registry from memory and has no VRF key, so it times only the
 * first part of this; the baseline here is that part's own time in the same build (the phases
 * before sealing), and each phase is printed with its share.
 *
 * The corpus is the gate benchmark's, at VETO_BENCH_BUILD_RECORDS records (default 350,000,
 * ~100 MB, a tenth of its scale; account space and objectors in the same proportions). The
 * registry: notice 2026-01 published 60 days before and shown to every author 59 days before,
 * the corpus's objecting authors' objections imported (as `veto objections import` does), an
 * assessment recorded for the policy.
 */
const RECORDS = Number(process.env.VETO_BENCH_BUILD_RECORDS ?? 350_000);
const ACCOUNTS = Math.round((RECORDS * 50) / 3.5);
const HERE = fileURLToPath(new URL('.', import.meta.url));
const OUT = path.join(HERE, '..', 'out', 'build');
const ROOT = path.join(HERE, '..', '..');
const DAY = 86_400_000;

async function corpusFile(): Promise<string> {
  mkdirSync(OUT, { recursive: true });
  const file = path.join(OUT, `corpus-${RECORDS}.jsonl`);
  if (!existsSync(file)) {
    await writeCorpus(`${file}.tmp`, { records: RECORDS, accounts: ACCOUNTS });
    await rename(`${file}.tmp`, file);
  }
  return file;
}

export async function run(): Promise<void> {
  const corpus = await corpusFile();
  let now = Date.now() - 60 * DAY;
  // The tests' wiring: a fresh SQLite registry in a temp folder, with the controller's settings
  // every notice states; removed when the run ends.
  const cleanups: (() => void | Promise<void>)[] = [];
  const { veto, dir } = await testVeto(
    { after: (fn) => cleanups.push(fn) },
    {},
    { clock: () => new Date(now).toISOString() },
  );
  try {
    const setup = performance.now();
    await veto.notices.publish(readNoticeDirectory(path.join(ROOT, 'notices', '2026-01')), 'bench');
    now = Date.now() - 59 * DAY;
    const authors = new Set<string>();
    for (const line of readFileSync(corpus, 'utf8').split('\n'))
      if (line) authors.add((JSON.parse(line) as { author_id: string }).author_id);
    const ids = [...authors];
    for (let i = 0; i < ids.length; i += 1000) {
      await veto.notices.recordExposures(
        ids.slice(i, i + 1000).map((accountId) => ({
          accountId,
          version: '2026-01',
          language: 'en',
          channel: 'in-app' as const,
          shownAt: new Date(now).toISOString(),
        })),
        'bench',
      );
    }
    now = Date.now() - DAY;
    const policy = path.join(dir, 'policy.yaml');
    writeFileSync(
      policy,
      readFileSync(path.join(ROOT, 'bench', 'gate', 'bench-policy.yaml'), 'utf8').replace(
        'version: bench',
        'version: "2026-01"',
      ),
    );
    await recordAssessmentFor(veto, policy);
    const objecting = ids.filter((id) => isObjector(Number(id)));
    async function* rows() {
      let line = 1;
      for (const account_id of objecting) yield { line: ++line, value: { account_id } };
    }
    const imported = await importObjections(veto.registry, rows());
    if (imported.imported !== objecting.length) throw new Error(JSON.stringify(imported));
    now = Date.now();
    const snap = await veto.snapshots.create('ai-training');
    const snapshot = await veto.snapshots.file(snap.id);
    if (!snapshot) throw new Error('no snapshot file');
    console.log(
      `registry: ${ids.length.toLocaleString('en')} authors shown the notice, ${objecting.length.toLocaleString('en')} objections; set up in ${((performance.now() - setup) / 1000).toFixed(1)} s`,
    );

    const phases: { phase: string; at: number; cpu: number }[] = [];
    const cpu = () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1e6;
    };
    const t0 = performance.now();
    const c0 = cpu();
    const result = await buildDataset({
      policy,
      inputs: [corpus],
      outDir: path.join(dir, 'out'),
      objectors: { snapshot },
      registry: veto.gate,
      exclusionKey: veto.exclusionKeys().current,
      termsKey: veto.termsKey(),
      journalDir: veto.buildJournalDir,
      workers: 2,
      onProgress: (p) => {
        if (phases.at(-1)?.phase !== p.phase)
          phases.push({ phase: p.phase, at: performance.now(), cpu: cpu() });
      },
    });
    const end = { at: performance.now(), cpu: cpu() };
    if (result.status !== 'sealed') throw result.error;
    const total = (end.at - t0) / 1000;
    const m = result.manifest;
    console.log(
      `\n${RECORDS.toLocaleString('en')} records (${(m.inputs[0]!.bytes / 1e6).toFixed(1)} MB), ${m.output.records.toLocaleString('en')} kept, ${(m.exclusion?.count ?? 0).toLocaleString('en')} subjects committed; 2 workers\n`,
    );
    console.log('| phase | s | CPU s | share of the build |');
    console.log('|---|---|---|---|');
    let judged = 0;
    let sealing = 0;
    phases.forEach((p, i) => {
      const next = phases[i + 1] ?? end;
      const s = (next.at - p.at) / 1000;
      if (['loading-objectors', 'judging'].includes(p.phase)) judged += s;
      if (p.phase === 'sealing') sealing = s;
      console.log(
        `| ${p.phase} | ${s.toFixed(2)} | ${(next.cpu - p.cpu).toFixed(2)} | ${((100 * s) / total).toFixed(1)} % |`,
      );
    });
    console.log(
      `| whole build | ${total.toFixed(2)} | ${(end.cpu - c0).toFixed(2)} | 100 % |\n` +
        `baseline, the part bench/gate times (loading the objectors and judging): ${judged.toFixed(2)} s; ` +
        `the whole build takes ${(total / judged).toFixed(1)}x that on a real registry`,
    );
    // Sealing grows with the subjects committed (one VRF evaluation each): an estimate, linear,
    // for the gate benchmark's corpus of 3.5M records, not a measurement.
    const scale = 3_500_000 / RECORDS;
    const subjects = m.exclusion?.count ?? 0;
    console.log(
      `sealing committed ${Math.round(subjects / sealing).toLocaleString('en')} subjects/s; at the gate benchmark's 3.5M records ` +
        `(~${(Math.round((subjects * scale) / 1e5) / 10).toLocaleString('en')}M subjects) sealing alone would take ~${Math.round((sealing * scale) / 60)} min (linear estimate)`,
    );
  } finally {
    for (const fn of cleanups) await fn();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await run();
}
