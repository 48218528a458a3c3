import { open, rename } from 'node:fs/promises';

/**
 * Writes `text` to `path` so that a reader, or a process started after a crash, finds either the
 * old file (or none) or the whole new one, never part of it: written to `path.tmp`, synced, then
 * renamed over `path`. Why: marker files (`SUPERSEDED.json`) are read as proof that a step is
 * done; written in place, one was read half-written while it was being written (an end-to-end
 * test's `JSON.parse` failed), and a kill at that moment would have left a marker for a step
 * whose record was never complete.
 */
export async function writeFileDurably(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp`;
  const f = await open(tmp, 'w');
  try {
    await f.writeFile(text);
    await f.sync();
  } finally {
    await f.close();
  }
  await rename(tmp, path);
}
