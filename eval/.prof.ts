import { performance } from 'node:perf_hooks';
import { digitHeavyCorpus } from '../bench/redact/index.ts';
import { createRedactor } from '../src/redact/redactor.ts';
const lines = digitHeavyCorpus(4 * 1024 * 1024);
const mb = lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0) / 1e6;
const cats = process.argv.slice(2);
const sets: [string, any][] = cats.length ? cats.map(c => [c, c === 'ALL' ? undefined : c.split(',')]) : [['EMAIL',['EMAIL']],['PHONE',['PHONE']],['IBAN',['IBAN']],['CARD',['CARD']],['IP',['IP']],['NIR',['NIR']],['ADDRESS',['ADDRESS']],['HANDLE',['HANDLE']],['PROFILE_URL',['PROFILE_URL']],['PERSON',['PERSON']],['ALL',undefined]];
for (const [name, c] of sets) {
  const r = createRedactor({ defaultRegion: 'FR', categories: c });
  for (const l of lines) r.redact(l);
  let best = 1e9;
  for (let k = 0; k < 3; k++) { const t0 = performance.now(); for (const l of lines) r.redact(l); best = Math.min(best, performance.now() - t0); }
  console.log(name.padEnd(12), (mb / (best / 1000)).toFixed(1), 'MB/s');
}
