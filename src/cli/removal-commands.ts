import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { parseArgs as ParseArgs } from 'node:util';
import { type Veto, wireVeto } from '../app/wire.ts';
import type { loadConfig as LoadConfig } from '../config.ts';
import type { Afterwards } from '../domain/removals/afterwards.ts';
import { rebuildDataset } from '../domain/removals/dataset-rebuild.ts';
import {
  type RemovalListManifest,
  verifyRemovalList,
  writeRemovalList,
} from '../domain/removals/removal-list.ts';

type Helpers = { loadConfig: typeof LoadConfig; parseArgs: typeof ParseArgs };

/** Opens Veto, runs `work` with the removal use cases, closes. */
async function withAfterwards(
  h: Helpers,
  work: (veto: Veto, afterwards: Afterwards) => Promise<number>,
): Promise<number> {
  const veto = await wireVeto(h.loadConfig());
  try {
    if (!veto.afterwards) {
      console.error(
        `veto: removals are not available on the ${veto.store.dialect} adapter yet (SQLite only)`,
      );
      return 2;
    }
    return await work(veto, veto.afterwards);
  } finally {
    await veto.close();
  }
}

/** `veto dataset ...`, `veto models ...`, `veto recipients ...` (issue 6). */
export const removalCommands = {
  /** Writes the dataset's removal list (JSONL) and its signed manifest. */
  async removals(args: string[], h: Helpers): Promise<number> {
    const { values, positionals } = h.parseArgs({
      args,
      allowPositionals: true,
      options: { out: { type: 'string' } },
    });
    const datasetId = positionals[0];
    if (!datasetId) {
      console.error('usage: veto dataset removals DATASET [--out DIR]');
      return 2;
    }
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

  /** Checks a removal list directory against its signed manifest (same deployment secret). */
  async 'verify-removals'(args: string[], h: Helpers): Promise<number> {
    const dir = args[0];
    if (!dir) {
      console.error('usage: veto dataset verify-removals DIR');
      return 2;
    }
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

  /** The next version of a sealed dataset without the removed items. */
  async rebuild(args: string[], h: Helpers): Promise<number> {
    const { values, positionals } = h.parseArgs({
      args,
      allowPositionals: true,
      options: { dir: { type: 'string' }, out: { type: 'string' } },
    });
    const datasetId = positionals[0];
    if (!datasetId || !values.dir) {
      console.error(
        'usage: veto dataset rebuild DATASET --dir SEALED_DATASET_DIR [--out PARENT_DIR]',
      );
      return 2;
    }
    return withAfterwards(h, async (veto, a) => {
      await veto.removalPlanner?.drain();
      const removals = await a.removalsOf(datasetId);
      const result = await rebuildDataset({
        dir: values.dir!,
        datasetId,
        ...(values.out ? { outDir: values.out } : {}),
        removals,
        record: (manifest, rows) => veto.gate.recordDataset(manifest, rows),
        secret: veto.config.secret,
        now: veto.clock,
      });
      const r = result.manifest.removal;
      console.log(
        `${result.datasetId}: ${result.manifest.output.records} records (${r.removedRecords} removed, ${r.removals.length} removals) in ${result.dir}; replaces ${r.replaces.datasetId}`,
      );
      return 0;
    });
  },

  async 'models add'(args: string[], h: Helpers): Promise<number> {
    const { values, positionals } = h.parseArgs({
      args,
      allowPositionals: true,
      options: { name: { type: 'string' }, 'trained-at': { type: 'string' } },
    });
    const datasetId = positionals[0];
    if (!datasetId || !values.name) {
      console.error('usage: veto models add DATASET --name NAME [--trained-at ISO_DATE]');
      return 2;
    }
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

  async 'models list'(args: string[], h: Helpers): Promise<number> {
    return withAfterwards(h, async (_veto, a) => {
      console.log(JSON.stringify(await a.listModels(args[0]), null, 2));
      return 0;
    });
  },

  async 'recipients add'(args: string[], h: Helpers): Promise<number> {
    const { values, positionals } = h.parseArgs({
      args,
      allowPositionals: true,
      options: {
        name: { type: 'string' },
        webhook: { type: 'string' },
        'nats-subject': { type: 'string' },
        'received-at': { type: 'string' },
      },
    });
    const datasetId = positionals[0];
    if (!datasetId || !values.name || (!values.webhook && !values['nats-subject'])) {
      console.error(
        'usage: veto recipients add DATASET --name NAME [--webhook URL] [--nats-subject SUBJECT] [--received-at ISO_DATE]',
      );
      return 2;
    }
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

  async 'recipients list'(args: string[], h: Helpers): Promise<number> {
    return withAfterwards(h, async (_veto, a) => {
      const list = (await a.listRecipients(args[0])).map(({ webhookSecret, ...r }) => ({
        ...r,
        webhookSecret: webhookSecret ? '(set)' : null,
      }));
      console.log(JSON.stringify(list, null, 2));
      return 0;
    });
  },
};
