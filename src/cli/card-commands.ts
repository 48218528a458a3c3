import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { wireVeto } from '../app/wire.ts';
import { art30Dir, currentArt30Markdown, keepArt30Version } from '../domain/art30-record.ts';
import { croissantMetadata } from '../gate/croissant.ts';
import type { DatasetManifest } from '../gate/manifest.ts';
import { loadPolicy } from '../gate/policy.ts';
import { type Command, defineCommand, UsageError } from './command.ts';

/**
 * `veto dataset croissant DIR`: the dataset card for downstream users; `veto record art30`: the
 * record of processing activities, each changed version kept.
 */
export const cardCommands: Command[] = [
  defineCommand({
    name: 'record art30',
    synopsis: '[--policy FILE] [--out DIR]',
    summary:
      'the GDPR Art. 30 record for AI training, as Markdown and printable HTML (versions kept)',
    details: `  Generated from the configuration (controller, contacts, recipients, retention, purposes),
  the dataset policy and the latest published notice. A record that differs from the last one
  kept becomes a new version (NNNN-<hash>.md and .html); earlier versions are never changed.
  The console shows the same record (/console/records/art30) and the versions kept.
  --policy FILE       the dataset policy the training uses (default: those in VETO_POLICIES)
  --out DIR           where versions are kept (default: <data dir>/records/art30)`,
    options: { policy: { type: 'string' }, out: { type: 'string' } },
    positionals: { max: 0 },
    async run({ values }, h) {
      const config = h.loadConfig();
      const policyFiles = values.policy ? [values.policy] : (config.policies ?? []);
      if (policyFiles.length === 0)
        throw new UsageError('--policy FILE is required (or the policies in VETO_POLICIES)');
      // Every policy read before the registry is opened: a bad file is reported alone.
      for (const file of policyFiles) {
        try {
          await loadPolicy(file);
        } catch (err) {
          console.error(`veto: ${(err as Error).message}`);
          return 1;
        }
      }
      const veto = await wireVeto(config);
      try {
        const markdown = await currentArt30Markdown(veto, policyFiles);
        const kept = await keepArt30Version(values.out ?? art30Dir(veto.config.dataDir), markdown);
        console.log(
          `${kept.created ? 'new version' : 'unchanged, latest version'} ${kept.version}: ${kept.markdownFile} ${kept.htmlFile}`,
        );
        return 0;
      } finally {
        await veto.close();
      }
    },
  }),
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
