import { createRedactor } from '../src/redact/redactor.ts';
const r = createRedactor({});
for (const t of process.argv.slice(2)) console.log(JSON.stringify(t), r.redact(t).spans.map(s => s.category + ':' + t.slice(s.start, s.end)));
