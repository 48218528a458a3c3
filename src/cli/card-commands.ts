import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { croissantMetadata } from '../gate/croissant.ts';
import type { DatasetManifest } from '../gate/manifest.ts';
import { type Command, defineCommand } from './command.ts';

/** `veto dataset croissant DIR`: the dataset card for downstream users. */
export const cardCommands: Command[] = [
  defineCommand({
    name: 'dataset croissant',
    synopsis: 'DIR [--out FILE]',
    summary: 'Croissant metadata with its Responsible-AI fields for a sealed dataset',
    details: `  Reads DIR/manifest.json and writes Croissant 1.0 JSON-LD with the RAI 1.0 fields (how
  the content was collected, what was left out and why, personal data, removals after the build).
  --out FILE          where to write it (default: standard output)`,
    options: { out: { type: 'string' } },
    positionals: { min: 1, max: 1 },
    async run({ values, positionals }, h) {
      const dir = positionals[0]!;
      let manifest: DatasetManifest;
      try {
        manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8'));
      } catch (err) {
        console.error(`veto: ${dir}/manifest.json: ${(err as Error).message}`);
        return 1;
      }
      const config = h.loadConfig();
      const json = `${JSON.stringify(
        croissantMetadata(manifest, {
          platformName: config.platformName,
          publicUrl: config.publicUrl,
        }),
        null,
        2,
      )}\n`;
      if (values.out) {
        await writeFile(values.out, json);
        console.log(`Croissant metadata of ${manifest.datasetId}: ${values.out}`);
      } else process.stdout.write(json);
      return 0;
    },
  }),
];
