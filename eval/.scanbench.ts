import { performance } from 'node:perf_hooks';
import { digitHeavyCorpus } from '../bench/redact/index.ts';
import { scanText } from '../src/redact/scan.ts';
import { numericRuns } from '../src/redact/recognizers/recognizer.ts';
const lines = digitHeavyCorpus(4 * 1024 * 1024);
const mb = lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0) / 1e6;
for (let k = 0; k < 4; k++) { const t0 = performance.now(); for (const l of lines) scanText(l); console.log('scan', (mb / ((performance.now() - t0) / 1000)).toFixed(1)); }
let x=0; for (let k = 0; k < 3; k++) { const t0 = performance.now(); for (const l of lines) for (let i=0;i<l.length;i++) x+=l.charCodeAt(i); console.log('loop', (mb / ((performance.now() - t0) / 1000)).toFixed(1)); }
