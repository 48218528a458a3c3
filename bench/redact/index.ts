/**
 * bench/redact: redaction throughput on digit-heavy text (dates, amounts, order numbers, times,
 * with phone numbers, IBANs, cards and IPs mixed in), single-threaded, next to the `redact-pii`
 * package from the same run. Targets: all categories >= 40 MB/s (on a quiet machine) and >= 5x
 * `redact-pii` in the same run.
 *
 *   tsx bench/redact/index.ts           (also called by bench/run.ts through run())
 */

import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { createBaseline } from '../../src/redact/eval/baseline.ts';
import { createRedactor } from '../../src/redact/redactor.ts';
import { rng } from '../../src/redact/train/perceptron.ts';

export interface RedactBenchResult {
  corpusBytes: number;
  lines: number;
  ours: { mbPerSec: number; linesPerSec: number; changedLines: number };
  oursStructuredOnly: { mbPerSec: number };
  baseline: { name: string; mbPerSec: number };
  ratio: number;
  targetMbPerSec: number;
}

export function digitHeavyCorpus(targetBytes: number, seed = 42): string[] {
  const r = rng(seed);
  const d = (n: number) => {
    let s = '';
    for (let i = 0; i < n; i++) s += Math.floor(r() * 10);
    return s;
  };
  const pad = (n: number) => String(n).padStart(2, '0');
  const date = () =>
    `${pad(1 + Math.floor(r() * 28))}/${pad(1 + Math.floor(r() * 12))}/20${pad(Math.floor(r() * 30))}`;
  const fillers = [
    () => `commande n° ${d(8)} du ${date()} : ${d(3)},${d(2)} € TTC (TVA 20 %)`,
    () =>
      `order #${d(7)} shipped ${date()} at ${pad(Math.floor(r() * 24))}:${pad(Math.floor(r() * 60))}, ${d(2)} items, total $${d(3)}.${d(2)}`,
    () => `score ${d(2)}-${d(2)}, ${d(4)} spectateurs, saison ${d(4)}/${d(4)}, ${d(1)}.${d(3)} km`,
    () => `réf. ${d(4)}-${d(4)}-${d(2)} stock ${d(5)} unités, lot ${d(6)} (${d(2)}/${d(2)})`,
    () =>
      `ISO ${d(4)}-${d(2)}-${d(2)}T${d(2)}:${d(2)}:${d(2)}Z version ${d(1)}.${d(2)}.${d(1)} build ${d(6)}`,
  ];
  const pii = [
    () => `appelez le 06 ${d(2)} ${d(2)} ${d(2)} ${d(2)}`,
    () => `call +1 415 555 ${d(4)}`,
    () => 'IBAN FR76 3000 6000 0112 3456 7890 189',
    () => 'carte 4111 1111 1111 1111',
    () =>
      `ip ${1 + Math.floor(r() * 223)}.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}`,
  ];
  const lines: string[] = [];
  let bytes = 0;
  while (bytes < targetBytes) {
    const parts: string[] = [];
    const n = 3 + Math.floor(r() * 4);
    for (let i = 0; i < n; i++) parts.push(fillers[Math.floor(r() * fillers.length)]!());
    // About one line in five carries personal data.
    if (r() < 0.2)
      parts.splice(Math.floor(r() * parts.length), 0, pii[Math.floor(r() * pii.length)]!());
    const line = parts.join(' ; ');
    lines.push(line);
    bytes += Buffer.byteLength(line) + 1;
  }
  return lines;
}

/** Seconds for one pass of `f` over `lines`. */
function onePass(lines: string[], f: (line: string) => unknown): number {
  const t0 = performance.now();
  for (const l of lines) f(l);
  return (performance.now() - t0) / 1000;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * Each figure is the median of several passes: on a shared 2-vCPU machine a single timed window
 * of a second or two swung by ±15 % from run to run (a neighbour's burst), and the median leaves
 * such a spell out. Each system's passes run back to back: taken in turns with the baseline, our
 * passes ran 5-8 % slower (its code and data evict ours from the caches), which measures the
 * interleaving, not the redactor.
 */
const ROUNDS = 9;

export async function run(
  options: { corpusBytes?: number; print?: boolean } = {},
): Promise<RedactBenchResult> {
  const lines = digitHeavyCorpus(options.corpusBytes ?? 4 * 1024 * 1024);
  const bytes = lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
  const mb = bytes / 1e6;
  const ours = createRedactor({ defaultRegion: 'FR' });
  const structured = createRedactor({
    defaultRegion: 'FR',
    categories: ['EMAIL', 'PHONE', 'IBAN', 'CARD', 'IP', 'NIR'],
  });
  const baseline = createBaseline();
  let changedLines = 0;
  for (const l of lines) if (ours.redact(l).changed) changedLines++; // warm-up + count
  for (const l of lines.slice(0, 2000)) structured.redact(l);
  // The baseline is ~15x slower: a quarter of the corpus per pass is enough.
  const sample = lines.slice(0, Math.ceil(lines.length / 4));
  const sampleMb = sample.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0) / 1e6;
  const passes = { ours: [] as number[], structured: [] as number[], base: [] as number[] };
  for (let round = 0; round < ROUNDS; round++)
    passes.ours.push(onePass(lines, (l) => ours.redact(l)));
  for (let round = 0; round < 5; round++) {
    passes.structured.push(onePass(lines, (l) => structured.redact(l)));
  }
  for (let round = 0; round < 3; round++) {
    passes.base.push(onePass(sample, (l) => baseline.redactText(l)));
  }
  const tOurs = median(passes.ours);
  const tStructured = median(passes.structured);
  const tBase = median(passes.base);
  const spread = (xs: number[], megabytes: number) =>
    `${(megabytes / Math.max(...xs)).toFixed(1)}-${(megabytes / Math.min(...xs)).toFixed(1)}`;
  const result: RedactBenchResult = {
    corpusBytes: bytes,
    lines: lines.length,
    ours: { mbPerSec: mb / tOurs, linesPerSec: lines.length / tOurs, changedLines },
    oursStructuredOnly: { mbPerSec: mb / tStructured },
    baseline: { name: 'redact-pii', mbPerSec: sampleMb / tBase },
    ratio: mb / tOurs / (sampleMb / tBase),
    targetMbPerSec: 40,
  };
  if (options.print !== false) {
    console.log(
      `bench/redact: ${(bytes / 1e6).toFixed(1)} MB digit-heavy text, ${lines.length} lines (${changedLines} with PII), 1 thread; median of the passes (${ROUNDS}, 5 and 3; range in brackets)`,
    );
    console.log(
      `  veto redactor (all categories)  ${result.ours.mbPerSec.toFixed(1)} MB/s [${spread(passes.ours, mb)}]  ${Math.round(result.ours.linesPerSec)} lines/s  target >= ${result.targetMbPerSec} MB/s ${result.ours.mbPerSec >= result.targetMbPerSec ? 'OK' : 'MISSED'}`,
    );
    console.log(
      `  veto redactor (structured only) ${result.oursStructuredOnly.mbPerSec.toFixed(1)} MB/s [${spread(passes.structured, mb)}]`,
    );
    console.log(
      `  redact-pii (baseline)           ${result.baseline.mbPerSec.toFixed(1)} MB/s [${spread(passes.base, sampleMb)}]`,
    );
    console.log(
      `  ratio veto / redact-pii         ${result.ratio.toFixed(1)}x  target >= 5x ${result.ratio >= 5 ? 'OK' : 'MISSED'}`,
    );
  }
  return result;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await run();
