import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type Veto, wireVeto } from '../app/wire.ts';
import { modelSummary } from '../domain/model-summary-loader.ts';
import type { Afterwards } from '../domain/removals/afterwards.ts';
import { rebuildDataset } from '../domain/removals/dataset-rebuild.ts';
import {
  type RemovalListManifest,
  verifyRemovalList,
  writeRemovalList,
} from '../domain/removals/removal-list.ts';
import { eraseSupersededVersion } from '../domain/removals/supersede.ts';
import { termsKey } from '../transparency/terms-commitment.ts';
import { type CliContext, type Command, defineCommand, UsageError } from './command.ts';

/** Opens Veto, runs `work` with the removal use cases, closes. */
async function withAfterwards(
  h: CliContext,
  work: (veto: Veto, afterwards: Afterwards) => Promise<number>,
): Promise<number> {
  const veto = await wireVeto(h.loadConfig());
  try {
    if (!veto.afterwards) {
      console.error(
        `veto: removals are not available on the ${veto.store.dialect} adapter (SQLite and PostgreSQL have them)`,
      );
      return 2;
    }
    return await work(veto, veto.afterwards);
  } finally {
    await veto.close();
  }
}

/** `veto dataset ...`, `veto models ...`, `veto recipients ...`: what happens after a build. */
export const removalCommands: Command[] = [
  defineCommand({
    name: 'dataset recover',
    synopsis: '[--out DIR]...',
    summary: 'finish or undo dataset builds a crash interrupted, remove their .partial directories',
    details: `  --out DIR           a folder builds seal datasets into: its .<id>.partial directories
                      that no running build owns are removed (repeat for several)
  Builds journal their sealing in <data dir>/builds; each entry whose process is gone is
  finished (a dataset directory in place is recorded in the registry) or undone (its
  unfinished recording deleted, its .partial directory removed). Exit 1 when a sealed
  dataset has no directory (reported; nothing can restore it), else 0. serve runs the same
  pass at start.`,
    options: { out: { type: 'string', multiple: true } },
    async run({ values }, h) {
      const veto = await wireVeto(h.loadConfig());
      try {
        const actions = await veto.recoverDatasets(values.out ?? []);
        if (actions.length === 0) console.log('nothing to recover');
        for (const a of actions) console.log(`${a.datasetId}\t${a.action}\t${a.detail}`);
        return actions.some((a) => a.action === 'sealed without directory') ? 1 : 0;
      } finally {
        await veto.close();
      }
    },
  }),
  defineCommand({
    name: 'dataset removals',
    synopsis: 'DATASET [--out DIR]',
    summary: 'write the removal list (JSONL) and its signed manifest',
    details: `  --out DIR           where to write removals.jsonl and removals.manifest.json
                      (default: <data dir>/removals/DATASET)`,
    options: { out: { type: 'string' } },
    positionals: { min: 1, max: 1 },
    async run({ values, positionals }, h) {
      const datasetId = positionals[0]!;
      return withAfterwards(h, async (veto, a) => {
        // Plan first, so an objection recorded a moment ago is in the list.
        await veto.removalPlanner?.drain();
        const out = values.out ?? path.join(veto.config.dataDir, 'removals', datasetId);
        const removals = await a.removalsOf(datasetId);
        const manifest = await writeRemovalList(
          out,
          datasetId,
          removals,
          veto.config.secret,
          veto.clock(),
        );
        console.log(
          `${manifest.items} items in ${manifest.removals} removals: ${path.join(out, manifest.file)} (manifest: ${path.join(out, 'removals.manifest.json')})`,
        );
        return 0;
      });
    },
  }),

  defineCommand({
    name: 'dataset clearance',
    synopsis: 'DATASET [--applied-through REMOVAL] [--json]',
    summary: 'before training: what must still be removed; exit 0 cleared, 3 not cleared',
    details: `  --applied-through REMOVAL  the last recorded removal the pipeline already applied
                            (it and those before it count as done)
  --json                    the answer as JSON (GET /v1/datasets/DATASET/clearance)
  A training pipeline runs it right before it starts and refuses to start unless the exit
  status is 0 (docs/training.md). Item ids only, never who objected.`,
    options: { 'applied-through': { type: 'string' }, json: { type: 'boolean' } },
    positionals: { min: 1, max: 1 },
    async run({ values, positionals }, h) {
      const datasetId = positionals[0]!;
      return withAfterwards(h, async (_veto, a) => {
        const c = await a.clearance(datasetId, values['applied-through']);
        if (values.json) console.log(JSON.stringify(c, null, 2));
        else {
          console.log(`dataset ${datasetId}: ${c.reason}`);
          for (const r of c.removals)
            console.log(`  removal ${r.id} recorded ${r.recordedAt}: ${r.itemIds.length} items`);
          for (const id of c.itemIds) console.log(`  remove ${id}`);
        }
        return c.cleared ? 0 : 3;
      });
    },
  }),

  defineCommand({
    name: 'dataset verify-removals',
    synopsis: 'DIR',
    summary: 'check a removal list against its signed manifest (same deployment secret)',
    options: {},
    positionals: { min: 1, max: 1 },
    async run({ positionals }, h) {
      const dir = positionals[0]!;
      const config = h.loadConfig();
      const manifest = JSON.parse(
        await readFile(path.join(dir, 'removals.manifest.json'), 'utf8'),
      ) as RemovalListManifest;
      const problem = verifyRemovalList(
        manifest,
        await readFile(path.join(dir, manifest.file)),
        config.secret,
      );
      if (problem) {
        console.error(`removal list INVALID: ${problem}`);
        return 1;
      }
      console.log(
        `removal list OK: ${manifest.items} items, signed by key ${manifest.signature.keyId}`,
      );
      return 0;
    },
  }),

  defineCommand({
    name: 'dataset rebuild',
    synopsis: 'DATASET --dir SEALED_DATASET_DIR [--out PARENT_DIR]',
    summary: 'the next version of a sealed dataset without the removed items',
    details: `  --dir DIR           the sealed dataset's directory (required)
  --out PARENT_DIR    where the next version is sealed (default: beside --dir)`,
    options: { dir: { type: 'string' }, out: { type: 'string' } },
    positionals: { min: 1, max: 1 },
    async run({ values, positionals }, h) {
      const datasetId = positionals[0]!;
      if (!values.dir) throw new UsageError('--dir is required');
      return withAfterwards(h, async (veto, a) => {
        await veto.removalPlanner?.drain();
        const removals = await a.removalsOf(datasetId);
        const result = await rebuildDataset({
          dir: values.dir!,
          datasetId,
          ...(values.out ? { outDir: values.out } : {}),
          removals,
          record: (manifest, rows, leaves, location, termsLeaves) =>
            veto.gate.recordDataset(manifest, rows, leaves, location, termsLeaves),
          exclusionKey: veto.exclusionKeys().current,
          terms: {
            key: termsKey(veto.config.secret),
            references: (purpose, asOf) => veto.gate.objectorTermReferences(purpose, asOf),
          },
          secret: veto.config.secret,
          now: veto.clock,
          journalDir: veto.buildJournalDir,
        });
        const r = result.manifest.removal;
        console.log(
          `${result.datasetId}: ${result.manifest.output.records} records (${r.removedRecords} removed, ${r.removals.length} removals) in ${result.dir}; replaces ${r.replaces.datasetId}`,
        );
        // The superseded version must not keep holding the removed items (supersede.ts).
        const erased = await eraseSupersededVersion({
          dir: values.dir!,
          replacedBy: result.datasetId,
          removals: r.removals,
          store: a.deps.store,
          appendEvents: (events) => veto.store.transaction((tx) => tx.appendEvents(events)),
          publicUrl: veto.config.publicUrl,
          now: veto.clock(),
        });
        console.log(
          `${erased.datasetId}: superseded; deleted ${erased.deleted.map((d) => d.file).join(', ') || 'nothing (already deleted)'}; SUPERSEDED.json written; recipients told`,
        );
        return 0;
      });
    },
  }),

  defineCommand({
    name: 'models add',
    synopsis: 'DATASET --name NAME [--trained-at ISO_DATE]',
    summary: 'record a model trained on a dataset',
    options: { name: { type: 'string' }, 'trained-at': { type: 'string' } },
    positionals: { min: 1, max: 1 },
    async run({ values, positionals }, h) {
      const datasetId = positionals[0]!;
      if (!values.name) throw new UsageError('--name is required');
      return withAfterwards(h, async (_veto, a) => {
        const m = await a.addModel({
          datasetId,
          name: values.name!,
          trainedAt: values['trained-at'],
        });
        console.log(JSON.stringify(m, null, 2));
        return 0;
      });
    },
  }),

  defineCommand({
    name: 'models summary',
    synopsis: 'MODEL [--out FILE]',
    summary: "the AI Act training-content summary's sections that the platform's user data answers",
    details: `  Fills, from the manifests of the datasets recorded against MODEL, the sections of the
  Commission's template a platform's own user data answers (1.3, 2.4, 3.1, 3.3) and marks the
  others for the provider to write (docs/console.md). Prints when the six-monthly update is due,
  and a reminder on stderr from 30 days before.
  --out FILE          write the Markdown there (default: standard output)`,
    options: { out: { type: 'string' } },
    positionals: { min: 1, max: 1 },
    async run({ values, positionals }, h) {
      return withAfterwards(h, async (veto, a) => {
        const model = await a.getModel(positionals[0]!);
        if (!model) {
          console.error(`veto: no model ${positionals[0]} (veto models list shows them)`);
          return 1;
        }
        const summary = await modelSummary(veto, a, model);
        if (values.out) {
          await writeFile(values.out, summary.markdown);
          console.log(`summary of ${model.name}: ${values.out}`);
        } else process.stdout.write(summary.markdown);
        const { dueBy, remind } = summary.schedule;
        console.error(
          `${remind ? 'REMINDER: ' : ''}the summary's six-monthly update is due by ${dueBy.slice(0, 10)}`,
        );
        return 0;
      });
    },
  }),

  defineCommand({
    name: 'models list',
    synopsis: '[DATASET]',
    summary: 'list recorded models (of one dataset, or all)',
    options: {},
    positionals: { max: 1 },
    async run({ positionals }, h) {
      return withAfterwards(h, async (_veto, a) => {
        console.log(JSON.stringify(await a.listModels(positionals[0]), null, 2));
        return 0;
      });
    },
  }),

  defineCommand({
    name: 'recipients add',
    synopsis:
      'DATASET --name NAME (--webhook URL | --nats-subject SUBJECT) [--received-at ISO_DATE]',
    summary: 'record who received a dataset version (Art. 19)',
    details: `  --name NAME         the recipient's name
  --webhook URL       removals are POSTed there, signed per Standard Webhooks
  --nats-subject S    or published on this JetStream subject (needs VETO_NATS_URL)
  --received-at DATE  when the recipient received the dataset (default: now)`,
    options: {
      name: { type: 'string' },
      webhook: { type: 'string' },
      'nats-subject': { type: 'string' },
      'received-at': { type: 'string' },
    },
    positionals: { min: 1, max: 1 },
    async run({ values, positionals }, h) {
      const datasetId = positionals[0]!;
      if (!values.name) throw new UsageError('--name is required');
      if (!values.webhook && !values['nats-subject'])
        throw new UsageError('give --webhook or --nats-subject');
      // Without a NATS server every delivery would fail and be retried forever.
      if (values['nats-subject'] && !h.loadConfig().natsUrl)
        throw new UsageError(
          '--nats-subject needs VETO_NATS_URL (the NATS server that carries the subject); set it, or give --webhook',
        );
      return withAfterwards(h, async (_veto, a) => {
        const r = await a.addRecipient({
          datasetId,
          name: values.name!,
          webhookUrl: values.webhook,
          natsSubject: values['nats-subject'],
          receivedAt: values['received-at'],
        });
        console.log(JSON.stringify(r, null, 2));
        if (r.webhookSecret)
          console.error(
            'Give the recipient its webhookSecret now: it verifies the Standard Webhooks signature with it.',
          );
        return 0;
      });
    },
  }),

  defineCommand({
    name: 'recipients list',
    synopsis: '[DATASET]',
    summary: 'list recorded recipients (of one dataset, or all)',
    options: {},
    positionals: { max: 1 },
    async run({ positionals }, h) {
      return withAfterwards(h, async (_veto, a) => {
        const list = (await a.listRecipients(positionals[0])).map(({ webhookSecret, ...r }) => ({
          ...r,
          webhookSecret: webhookSecret ? '(set)' : null,
        }));
        console.log(JSON.stringify(list, null, 2));
        return 0;
      });
    },
  }),
];
