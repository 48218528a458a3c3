import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { writeFileDurably } from '../../src/lib/durable-file.ts';

describe('writeFileDurably', () => {
  it('is never read half-written, however often it is rewritten', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'veto-durable-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'SUPERSEDED.json');
    const body = (i: number) => `${JSON.stringify({ i, pad: 'x'.repeat(1 << 20) })}\n`;
    writeFileSync(path, body(0));
    // Another thread reads and parses the file as fast as it can while this one rewrites it.
    const reader = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       const { readFileSync } = require('node:fs');
       let reads = 0, torn = 0, stop = false;
       parentPort.on('message', () => { stop = true; });
       (function loop() {
         for (let k = 0; k < 20; k++) {
           try { JSON.parse(readFileSync(workerData, 'utf8')); reads++; } catch { torn++; }
         }
         if (stop) parentPort.postMessage({ reads, torn }); else setImmediate(loop);
       })();`,
      { eval: true, workerData: path },
    );
    for (let i = 1; i <= 150; i++) await writeFileDurably(path, body(i));
    reader.postMessage('stop');
    const { reads, torn } = await new Promise<{ reads: number; torn: number }>((resolve) =>
      reader.once('message', resolve),
    );
    await reader.terminate();
    assert.ok(reads > 0, 'the reader read the file');
    assert.equal(torn, 0, `${torn} of ${reads + torn} reads found a partial file`);
    assert.equal(JSON.parse(readFileSync(path, 'utf8')).i, 150);
    assert.equal(existsSync(`${path}.tmp`), false, 'no temporary file is left');
  });
});
