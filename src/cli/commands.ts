import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { parseArgs as ParseArgs } from 'node:util';
import { wireVeto } from '../app/wire.ts';
import type { loadConfig as LoadConfig } from '../config.ts';
import { importObjections } from '../domain/objection-import.ts';
import { takeRegistrySnapshot } from '../domain/registry-snapshot.ts';
import { describeChainProblem } from '../http/api/admin-routes.ts';
import { buildApp } from '../http/app.ts';
import { redactCommand } from '../redact/cli-redact.ts';
import { writeFilterFile } from '../registry-files/filter-file.ts';
import { writeSnapshotFile } from '../registry-files/snapshot-file.ts';
import { csvRows, jsonlRows } from './file-rows.ts';
import { noticeCommands, publishDemoNoticeIfNone } from './notice-commands.ts';
import { removalCommands } from './removal-commands.ts';

type Helpers = { loadConfig: typeof LoadConfig; parseArgs: typeof ParseArgs };
type Command = (args: string[], h: Helpers) => Promise<number>;

export const commands: Record<string, Command> = {
  async serve(args, { loadConfig, parseArgs }) {
    const { values } = parseArgs({
      args,
      options: { demo: { type: 'boolean' }, port: { type: 'string' }, host: { type: 'string' } },
    });
    const overrides: Parameters<typeof loadConfig>[0] = {};
    if (values.demo) overrides.demo = true;
    if (values.port) overrides.port = Number(values.port);
    if (values.host) overrides.host = values.host;
    let config = loadConfig(overrides);
    if (config.demo && !config.adminKey) {
      // The demo needs an admin credential to show the admin API; keep it with the data.
      config = { ...config, adminKey: demoSecret(config.dataDir, 'demo-admin-key') };
    }
    const veto = await wireVeto(config);
    if (config.demo) await publishDemoNoticeIfNone(veto);
    const app = await buildApp(veto);
    veto.dispatcher.start();
    // After the build (issue 6): objections become removals, removals reach recipients.
    veto.removalPlanner?.start();
    veto.recipientDispatcher?.start();
    let closing = false;
    const shutdown = async (signal: string) => {
      if (closing) return;
      closing = true;
      veto.logger.info({ signal }, 'shutting down: finishing in-flight requests');
      await app.close();
      await veto.close();
      process.exit(0);
    };
    process.on('SIGTERM', () => void shutdown('SIGTERM'));
    process.on('SIGINT', () => void shutdown('SIGINT'));
    await app.listen({ host: config.host, port: config.port });
    const url = config.publicUrl;
    console.log(`Veto is running on ${url}`);
    console.log(`  portal:      ${url}/`);
    console.log(
      `  API:         ${url}/v1  (OpenAPI: ${url}/openapi.json, reference: ${url}/docs/api)`,
    );
    if (config.demo) {
      console.log(`  demo:        ${url}/demo  (a fake platform with a login switcher)`);
      console.log(`  admin key:   stored in ${path.join(config.dataDir, 'demo-admin-key.txt')}`);
    }
    console.log(
      `  database:    ${config.databaseUrl.startsWith('sqlite:') ? config.databaseUrl : 'postgres'}`,
    );
    return new Promise<number>(() => {});
  },

  async 'objections import'(args, { loadConfig, parseArgs }) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { format: { type: 'string' } },
    });
    const file = positionals[0];
    if (!file) {
      console.error('usage: veto objections import FILE [--format csv|jsonl]');
      return 2;
    }
    if (!existsSync(file)) {
      console.error(`veto: ${file}: no such file`);
      return 2;
    }
    const format =
      values.format ??
      (file.endsWith('.csv')
        ? 'csv'
        : file.endsWith('.jsonl') || file.endsWith('.ndjson')
          ? 'jsonl'
          : undefined);
    if (format !== 'csv' && format !== 'jsonl') {
      console.error('veto: say --format csv or --format jsonl (the file name does not tell)');
      return 2;
    }
    const veto = await wireVeto(loadConfig());
    try {
      const summary = await importObjections(
        veto.registry,
        format === 'csv' ? csvRows(file) : jsonlRows(file),
      );
      for (const e of summary.errors) console.error(`${file}:${e.line}: ${e.reason}`);
      console.log(
        `imported ${summary.imported}, already recorded ${summary.already}, invalid ${summary.invalid}`,
      );
      // Deliver the receipts now: the CLI does not stay up like the server.
      while ((await veto.dispatcher.deliverDue()) > 0) {}
      return summary.invalid > 0 ? 1 : 0;
    } finally {
      await veto.close();
    }
  },

  async 'registry snapshot'(args, { loadConfig, parseArgs }) {
    const { values } = parseArgs({
      args,
      options: { purpose: { type: 'string' }, out: { type: 'string' } },
    });
    const veto = await wireVeto(loadConfig());
    try {
      const purpose = values.purpose ?? veto.registry.settings.defaultPurpose;
      const s = values.out
        ? await takeRegistrySnapshot(veto, purpose, (meta, keys) =>
            writeSnapshotFile(values.out!, meta, keys),
          )
        : await veto.snapshots.create(purpose);
      const file = values.out ?? (await veto.snapshots.file(s.id));
      console.log(JSON.stringify({ ...s, file }, null, 2));
      return 0;
    } finally {
      await veto.close();
    }
  },

  async 'registry filter'(args, { loadConfig, parseArgs }) {
    const { values } = parseArgs({
      args,
      options: { purpose: { type: 'string' }, out: { type: 'string' } },
    });
    if (!values.out) {
      console.error('usage: veto registry filter [--purpose P] --out FILE');
      return 2;
    }
    const veto = await wireVeto(loadConfig());
    try {
      const purpose = values.purpose ?? veto.registry.settings.defaultPurpose;
      const s = await takeRegistrySnapshot(
        veto,
        purpose,
        async (meta, keys) => (await writeFilterFile(values.out!, meta, keys)).snapshot,
      );
      console.log(JSON.stringify({ ...s, file: values.out }, null, 2));
      return 0;
    } finally {
      await veto.close();
    }
  },

  async 'audit verify'(_args, { loadConfig }) {
    const veto = await wireVeto(loadConfig());
    try {
      const report = await veto.registry.verifyAudit();
      const { chain } = report;
      if (report.ok) {
        console.log(
          `audit chain OK: ${chain.events} events, head #${chain.head.seq} ${chain.head.hash}`,
        );
        return 0;
      }
      if (chain.problem)
        console.error(`audit chain BROKEN: ${describeChainProblem(chain.problem)}`);
      for (const m of report.mismatches) console.error(`registry disagrees with the log: ${m}`);
      return 1;
    } finally {
      await veto.close();
    }
  },

  async 'gate build'(args, { loadConfig }) {
    const { runGateBuildCommand } = await import('../gate/cli-gate-build.ts');
    return runGateBuildCommand(args, { loadConfig, wireVeto });
  },

  // Notices (issue 5): versions, email campaigns, bounces.
  'notices publish': (args, h) => noticeCommands.publish(args, h),
  'notices list': (args, h) => noticeCommands.list(args, h),
  'notices campaign': (args, h) => noticeCommands.campaign(args, h),
  'notices bounces': (args, h) => noticeCommands.bounces(args, h),

  // After the build (issue 6): removal lists, next versions, models, recipients (Art. 19).
  'dataset removals': (args, h) => removalCommands.removals(args, h),
  'dataset verify-removals': (args, h) => removalCommands['verify-removals'](args, h),
  'dataset rebuild': (args, h) => removalCommands.rebuild(args, h),
  'models add': (args, h) => removalCommands['models add'](args, h),
  'models list': (args, h) => removalCommands['models list'](args, h),
  'recipients add': (args, h) => removalCommands['recipients add'](args, h),
  'recipients list': (args, h) => removalCommands['recipients list'](args, h),
  redact: (args, h) => redactCommand(args, h.parseArgs),
};

function demoSecret(dataDir: string, name: string): string {
  const file = path.join(dataDir, `${name}.txt`);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const value = randomBytes(24).toString('base64url');
  writeFileSync(file, `${value}\n`, { mode: 0o600 });
  return value;
}
