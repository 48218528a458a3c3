import { readFile, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { hashFile } from '../../gate/line-files.ts';
import type { DatasetManifest } from '../../gate/manifest.ts';
import { writeFileDurably } from '../../lib/durable-file.ts';
import { uuidv7 } from '../../lib/ids.ts';
import type { RecipientMessage, RemovalStore } from '../../store/removal-store.ts';
import type { NewEvent } from '../types.ts';

/** The type of the message a recipient gets when a version it holds is replaced. */
export const SUPERSEDED_MESSAGE_TYPE = 'dataset.superseded';

/** What is left in a superseded version's directory, beside its manifest and policy. */
export interface SupersededRecord {
  format: 'veto-superseded/v1';
  datasetId: string;
  replacedBy: string;
  at: string;
  /** The removals whose items the replacing version no longer holds. */
  removals: string[];
  /** Files deleted (everything that held records or who is in the version). */
  deleted: { file: string; sha256: string; bytes: number }[];
}

/**
 * Erasure reaching the superseded version: once the next version is sealed without the removed
 * items, the operator's copy of the old one must not keep holding them. Every file of the old
 * version that holds records or who is in it (the data, the inclusion index, the decision log,
 * the rejects, the exclusion commitment's leaves) is deleted; the manifest and the policy stay, with `SUPERSEDED.json` saying which
 * version replaces it, when, and the hash of every file deleted, so the deletion itself can be
 * shown. The fact is a `dataset.superseded` audit event, and every recipient of the old version
 * is told, on each of its channels, which version replaces which and what to delete.
 *
 * Order: files first, then the audit event, then the messages. A crash after the deletion and
 * before the messages leaves `SUPERSEDED.json` on disk; running `veto dataset rebuild` again
 * on the old directory refuses (no data left), and the messages are then queued by hand.
 */
export async function eraseSupersededVersion(options: {
  dir: string;
  replacedBy: string;
  removals: readonly string[];
  store: Pick<RemovalStore, 'listRecipients' | 'enqueueRecipientMessages'>;
  appendEvents: (events: readonly NewEvent[]) => Promise<unknown>;
  publicUrl: string;
  now: string;
}): Promise<SupersededRecord> {
  const dir = resolve(options.dir);
  const manifest = JSON.parse(
    await readFile(join(dir, 'manifest.json'), 'utf8'),
  ) as DatasetManifest;
  const files = [
    manifest.files.data,
    manifest.files.inclusions,
    manifest.files.decisions,
    manifest.files.rejects,
    // The VRF outputs of everyone in the version: who was in it, pseudonymously.
    ...(manifest.exclusion ? [manifest.exclusion.file] : []),
  ];
  const deleted: SupersededRecord['deleted'] = [];
  for (const file of new Set(files)) {
    const path = join(dir, file);
    const present = await stat(path).then(
      () => true,
      () => false,
    );
    if (!present) continue;
    const { sha256, bytes } = await hashFile(path);
    await rm(path, { force: true });
    deleted.push({ file, sha256, bytes });
  }
  const record: SupersededRecord = {
    format: 'veto-superseded/v1',
    datasetId: manifest.datasetId,
    replacedBy: options.replacedBy,
    at: options.now,
    removals: [...options.removals],
    deleted,
  };
  // Whole or not at all: the file is what says the version was erased (automatic-erasure.ts).
  await writeFileDurably(join(dir, 'SUPERSEDED.json'), `${JSON.stringify(record, null, 2)}\n`);

  const recipients = await options.store.listRecipients(manifest.datasetId);
  const messages: RecipientMessage[] = [];
  for (const r of recipients) {
    const channels: ('webhook' | 'nats')[] = [];
    if (r.webhookUrl) channels.push('webhook');
    if (r.natsSubject) channels.push('nats');
    for (const channel of channels) {
      const id = `msg_${uuidv7(Date.parse(options.now))}`;
      messages.push({
        id,
        recipientId: r.id,
        // The column links a message to what caused it: here the last removal applied.
        removalId: options.removals.at(-1) ?? `supersede:${options.replacedBy}`,
        channel,
        createdAt: options.now,
        payload: {
          id,
          type: SUPERSEDED_MESSAGE_TYPE,
          timestamp: options.now,
          data: {
            datasetId: manifest.datasetId,
            replacedBy: options.replacedBy,
            removals: [...options.removals],
            instructions: `Delete every copy of ${manifest.datasetId} you hold and use ${options.replacedBy} instead: it no longer holds the content of people who objected.`,
            removalList: `${options.publicUrl.replace(/\/$/, '')}/v1/admin/datasets/${encodeURIComponent(manifest.datasetId)}/removals`,
          },
        },
      });
    }
  }
  await options.appendEvents([
    {
      at: options.now,
      type: 'dataset.superseded',
      objectionId: null,
      subjectKey: null,
      data: {
        datasetId: manifest.datasetId,
        replacedBy: options.replacedBy,
        removals: record.removals,
        deletedFiles: deleted.map((d) => ({ file: d.file, sha256: d.sha256 })),
        recipients: recipients.map((r) => r.id),
        messages: messages.length,
      },
    },
  ]);
  await options.store.enqueueRecipientMessages(messages);
  return record;
}
