import { digitHeavyCorpus } from '../bench/redact/index.ts';
import { createRedactor } from '../src/redact/redactor.ts';
const lines = digitHeavyCorpus(4 * 1024 * 1024);
const r = createRedactor({ defaultRegion: 'FR' });
for (const l of lines) r.redact(l);
const t0 = Date.now();
for (let k = 0; k < 15; k++) for (const l of lines) r.redact(l);
console.log(Date.now() - t0);
