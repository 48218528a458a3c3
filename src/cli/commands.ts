import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type Veto, wireVeto } from '../app/wire.ts';
import { describeChainProblem } from '../domain/audit-chain.ts';
import { importObjections } from '../domain/objection-import.ts';
import {
  type SnapshotDeps,
  takeRegistrySnapshot,
  takeTimedRegistrySnapshot,
} from '../domain/registry-snapshot.ts';
import { GATE_BUILD_DETAILS, GATE_BUILD_OPTIONS } from '../gate/gate-build-usage.ts';
import { REDACT_DETAILS, REDACT_OPTIONS, REDACT_SYNOPSIS } from '../redact/redact-usage.ts';
import { writeFilterFile } from '../registry-files/filter-file.ts';
import { writeSnapshotFile } from '../registry-files/snapshot-file.ts';
import { type Command, defineCommand, UsageError } from './command.ts';
import { csvRows, jsonlRows } from './file-rows.ts';
import { publishDemoNoticeIfNone, recordDemoAssessmentIfNone } from './notice-commands.ts';

/** How long a graceful shutdown waits for requests in flight and the jobs' current passes. */
const SHUTDOWN_DRAIN_MS = 25_000;

/** `veto serve`, objections, the registry's files, the audit check and the gate. */
export const coreCommands: Command[] = [
  defineCommand({
    name: 'serve',
    synopsis: '[--demo] [--port N] [--host H]',
    summary: 'run the server (API, portal; --demo adds the demo platform)',
    details: `  --demo              add the demo platform at /demo (and a demo admin key)
  --port N            port to listen on (default: VETO_PORT or 8080)
  --host H            address to listen on (default: VETO_HOST or 127.0.0.1)`,
    options: { demo: { type: 'boolean' }, port: { type: 'string' }, host: { type: 'string' } },
    async run({ values }, { loadConfig }) {
      const overrides: Parameters<typeof loadConfig>[0] = {};
      if (values.demo) overrides.demo = true;
      if (values.port !== undefined) {
        const port = Number(values.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535)
          throw new UsageError('--port: a whole number from 0 to 65535');
        overrides.port = port;
      }
      if (values.host) overrides.host = values.host;
      let config = loadConfig(overrides);
      if (config.demo && !config.adminKey) {
        // The demo needs an admin credential to show the admin API; keep it with the data.
        config = { ...config, adminKey: demoSecret(config.dataDir, 'demo-admin-key') };
      }
      const unbound = !config.platformJwtIssuer || !config.platformJwtAudience;
      if (!config.demo && unbound && !config.platformJwtAnyIssuer) {
        // Fail closed: without both, a token signed with the key for another service or
        // another environment would open a session here.
        console.error(
          "veto serve: set VETO_PLATFORM_JWT_ISSUER and VETO_PLATFORM_JWT_AUDIENCE (what the platform puts in its tokens' iss and aud), or accept any issuer and audience explicitly with VETO_PLATFORM_JWT_ANY_ISSUER=1",
        );
        return 2;
      }
      const veto = await wireVeto(config);
      if (!config.demo && unbound) {
        veto.logger.warn(
          {
            issuer: config.platformJwtIssuer ?? null,
            audience: config.platformJwtAudience ?? null,
          },
          'VETO_PLATFORM_JWT_ANY_ISSUER=1: platform tokens are accepted without checking their issuer and audience',
        );
      }
      // Builds a crash interrupted are finished or undone before anything reads datasets.
      for (const a of await veto.recoverDatasets()) {
        veto.logger.warn(
          { dataset: a.datasetId, action: a.action },
          `dataset recovery: ${a.detail}`,
        );
      }
      if (config.demo) {
        await publishDemoNoticeIfNone(veto);
        await recordDemoAssessmentIfNone(veto);
      }
      // Loaded here: the HTTP server's modules (Fastify, the console's charts) are most of what
      // `veto` would otherwise load for every command.
      const { buildApp } = await import('../http/app.ts');
      const app = await buildApp(veto);
      // The port first, the jobs after: an instance that cannot serve must not run the
      // background jobs either (a second instance whose bind failed used to run them all).
      try {
        await app.listen({ host: config.host, port: config.port });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        const why =
          code === 'EADDRINUSE'
            ? 'is already in use (another veto serve, or another program)'
            : code === 'EACCES'
              ? 'may not be opened by this user'
              : `cannot be opened (${(err as Error).message})`;
        console.error(`veto serve: port ${config.port} on ${config.host} ${why}`);
        await app.close().catch(() => {});
        await veto.close();
        return 1;
      }
      veto.dispatcher.start();
      // After the build: objections become removals, removals reach recipients.
      veto.removalPlanner?.start();
      veto.recipientDispatcher?.start();
      // Erasure reaching the versions already sealed: rebuilt, the replaced files deleted.
      veto.automaticErasure?.start();
      let closing = false;
      const shutdown = async (signal: string) => {
        if (closing) {
          // A second signal: the operator does not want to wait for the drain.
          veto.logger.warn({ signal }, 'second signal: stopping now');
          process.exit(1);
        }
        closing = true;
        veto.logger.info({ signal }, 'shutting down: finishing in-flight requests');
        // Requests in flight finish (new ones get 503 meanwhile), then the jobs stop after
        // their current pass. A drain stuck on a hung request must not keep the port forever.
        const stuck = setTimeout(() => {
          veto.logger.error({ drainMs: SHUTDOWN_DRAIN_MS }, 'shutdown drain timed out; exiting');
          process.exit(1);
        }, SHUTDOWN_DRAIN_MS);
        stuck.unref();
        await app.close();
        await veto.close();
        process.exit(0);
      };
      for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
        process.on(signal, () => void shutdown(signal));
      }
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
  }),

  defineCommand({
    name: 'objections import',
    synopsis: 'FILE [--format csv|jsonl]',
    summary: 'import objections received elsewhere (idempotent)',
    details: `  FILE                CSV with a header row, or JSONL: account_id or email (exactly one),
                      optionally purpose, reason, language, channel, appears_at; in UTF-8.
                      Each row is judged on its own; every invalid row is reported as
                      FILE:LINE: field: reason, and the summary is always printed
  --format F          csv or jsonl (default: from the file name)`,
    options: { format: { type: 'string' } },
    positionals: { min: 1, max: 1 },
    async run({ values, positionals }, { loadConfig }) {
      const file = positionals[0]!;
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
        const failed = summary.failed > 0 ? `, failed ${summary.failed}` : '';
        console.log(
          `imported ${summary.imported}, already recorded ${summary.already}, invalid ${summary.invalid}${failed}`,
        );
        if (summary.stopped) {
          console.error(
            `veto: stopped after line ${summary.stopped.afterLine} (${summary.stopped.reason}); the rows after it were not read. Run the import again: rows already recorded are not recorded twice.`,
          );
        }
        // Deliver the receipts now: the CLI does not stay up like the server.
        try {
          while ((await veto.dispatcher.deliverDue()) > 0) {}
        } catch (err) {
          console.error(
            `veto: receipts not sent now (${(err as Error).message}); \`veto serve\` sends them`,
          );
        }
        return summary.invalid > 0 || summary.stopped ? 1 : 0;
      } finally {
        await veto.close();
      }
    },
  }),

  defineCommand({
    name: 'registry snapshot',
    synopsis: '[--purpose P] [--out FILE] [--format snapshot|parquet]',
    summary: 'freeze the objector set now and write the snapshot file',
    details: `  --purpose P         the purpose (default: the deployment's default purpose)
  --out FILE          where to write the snapshot file (default: the data directory)
  --format F          snapshot (default: the gate's snapshot file) or parquet: a table
                      (subject_key, purpose, effective_at) for your own engine, the snapshot's
                      id and sha256 in its key-value metadata (docs/scale.md); needs --out`,
    options: { purpose: { type: 'string' }, out: { type: 'string' }, format: { type: 'string' } },
    async run({ values }, { loadConfig }) {
      const format = values.format ?? 'snapshot';
      if (format !== 'snapshot' && format !== 'parquet')
        throw new UsageError('--format: snapshot or parquet');
      if (format === 'parquet' && !values.out) throw new UsageError('--format parquet needs --out');
      const veto = await wireVeto(loadConfig());
      try {
        const purpose = values.purpose ?? veto.registry.settings.defaultPurpose;
        if (format === 'parquet') {
          const { writeSnapshotParquet } = await import('../registry-files/snapshot-parquet.ts');
          const s = await takeTimedRegistrySnapshot(snapshotDeps(veto), purpose, (meta, rows) =>
            writeSnapshotParquet(values.out!, meta, rows),
          );
          console.log(JSON.stringify({ ...s, file: values.out, format }, null, 2));
          return 0;
        }
        const s = values.out
          ? await takeRegistrySnapshot(snapshotDeps(veto), purpose, (meta, keys, anchor) =>
              writeSnapshotFile(values.out!, meta, keys, { anchor }),
            )
          : await veto.snapshots.create(purpose);
        const file = values.out ?? (await veto.snapshots.file(s.id));
        console.log(JSON.stringify({ ...s, file }, null, 2));
        return 0;
      } finally {
        await veto.close();
      }
    },
  }),

  defineCommand({
    name: 'registry filter',
    synopsis: '[--purpose P] --out FILE',
    summary: 'write the objector set as a fail-closed filter file',
    details: `  --purpose P         the purpose (default: the deployment's default purpose)
  --out FILE          where to write the filter file (required)`,
    options: { purpose: { type: 'string' }, out: { type: 'string' } },
    async run({ values }, { loadConfig }) {
      if (!values.out) throw new UsageError('--out is required');
      const veto = await wireVeto(loadConfig());
      try {
        const purpose = values.purpose ?? veto.registry.settings.defaultPurpose;
        const s = await takeRegistrySnapshot(
          snapshotDeps(veto),
          purpose,
          async (meta, keys, anchor) =>
            (await writeFilterFile(values.out!, meta, keys, { anchor })).snapshot,
        );
        console.log(JSON.stringify({ ...s, file: values.out }, null, 2));
        return 0;
      } finally {
        await veto.close();
      }
    },
  }),

  defineCommand({
    name: 'audit verify',
    synopsis: '[--checkpoint FILE]... [--witness KEY]...',
    summary: 'check the audit chain, the registry, and the log against kept checkpoints',
    details: `  --checkpoint FILE   a signed checkpoint fetched earlier (GET /v1/transparency/checkpoint,
                      or a witness's state file): the log must still hold it, unchanged
  --witness KEY       a witness's verifier key (or a file holding it): the log must still hold
                      a checkpoint that witness cosigned (from the files, or stored here)

  Without them the check trusts the database's own head; with them it catches a full re-hash
  and a consistent truncation too (docs/transparency.md).`,
    options: {
      checkpoint: { type: 'string', multiple: true },
      witness: { type: 'string', multiple: true },
    },
    async run({ values }, { loadConfig }) {
      const files = (values.checkpoint ?? []).map((file) => {
        try {
          return { source: file, note: readFileSync(file, 'utf8') };
        } catch (err) {
          throw new UsageError(`--checkpoint ${file}: ${(err as Error).message}`);
        }
      });
      const witnesses = (values.witness ?? []).map((w) =>
        existsSync(w) ? readFileSync(w, 'utf8').trim() : w,
      );
      const veto = await wireVeto(loadConfig());
      try {
        const report = await veto.registry.verifyAudit();
        const log = await veto.transparency.auditAgainst(files, witnesses);
        // Meaningful only on a sound chain: the commitments are read from it.
        const commitments = report.chain.ok
          ? await veto.verifyLoggedCommitments()
          : { problems: [], notes: [] };
        const { chain } = report;
        for (const note of [...report.notes, ...commitments.notes]) console.log(`note: ${note}`);
        for (const line of log.confirmed) console.log(line);
        if (report.ok && log.problems.length === 0 && commitments.problems.length === 0) {
          console.log(
            `audit chain OK: ${chain.events} events, head #${chain.head.seq} ${chain.head.hash}`,
          );
          return 0;
        }
        if (chain.problem)
          console.error(`audit chain BROKEN: ${describeChainProblem(chain.problem)}`);
        for (const m of report.mismatches) console.error(`registry disagrees with the log: ${m}`);
        for (const p of log.problems) console.error(`transparency log: ${p}`);
        for (const p of commitments.problems) console.error(p);
        return 1;
      } finally {
        await veto.close();
      }
    },
  }),

  defineCommand({
    name: 'gate build',
    synopsis: '--policy P --input FILE... --out DIR [options]',
    summary: 'build a training dataset (see docs/gate.md)',
    details: GATE_BUILD_DETAILS,
    options: GATE_BUILD_OPTIONS,
    positionals: { max: Number.POSITIVE_INFINITY },
    async run({ values, positionals }, { loadConfig }) {
      // Loaded on demand: the gate's modules are only needed here.
      const { runGateBuild } = await import('../gate/cli-gate-build.ts');
      return runGateBuild(values, positionals, { loadConfig, wireVeto });
    },
  }),

  defineCommand({
    name: 'gate worker',
    synopsis: '[--nats URL] [--threads N]',
    summary: 'judge shards of `gate build --runner jetstream` builds until stopped (docs/scale.md)',
    details: `  --nats URL          the NATS server (default: VETO_NATS_URL)
  --threads N         judge each shard on N threads sharing one copy of the objector set
                      (default 0: on the worker's own thread; one worker with N threads per
                      machine in place of N workers)
                      Runs until SIGTERM or SIGINT; any number of workers, on any machines that
                      reach NATS and the builds' inputs and output folder by the same paths`,
    options: { nats: { type: 'string' }, threads: { type: 'string' } },
    async run({ values }) {
      const url = values.nats ?? process.env.VETO_NATS_URL;
      if (!url) throw new UsageError('--nats URL (or VETO_NATS_URL) is required');
      const threads = values.threads === undefined ? 0 : Number(values.threads);
      if (!/^\d{1,3}$/.test(values.threads ?? '0') || threads > 256)
        throw new UsageError('--threads must be a whole number from 0 to 256');
      const { runGateWorker } = await import('../gate/jetstream-runner.ts');
      const stop = new AbortController();
      process.once('SIGTERM', () => stop.abort());
      process.once('SIGINT', () => stop.abort());
      await runGateWorker(url, {
        signal: stop.signal,
        log: (line) => console.log(line),
        onReady: () => console.log(`gate worker ${process.pid}: taking tasks from ${url}`),
        threads,
      });
      return 0;
    },
  }),

  defineCommand({
    name: 'redact',
    synopsis: REDACT_SYNOPSIS,
    summary: "redact third parties' personal data in JSONL text (the gate's redactor alone)",
    details: REDACT_DETAILS,
    options: REDACT_OPTIONS,
    positionals: { max: 1 },
    async run({ values, positionals }) {
      const { runRedact } = await import('../redact/cli-redact.ts');
      return runRedact(values, positionals);
    },
  }),
];

/** Snapshots taken by the command carry the log's checkpoint at their event (the anchor). */
function snapshotDeps(veto: Veto): SnapshotDeps {
  return {
    store: veto.store,
    clock: veto.clock,
    anchorOf: (id) => veto.gate.snapshotAnchor(id),
  };
}

function demoSecret(dataDir: string, name: string): string {
  const file = path.join(dataDir, `${name}.txt`);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const value = randomBytes(24).toString('base64url');
  writeFileSync(file, `${value}\n`, { mode: 0o600 });
  return value;
}
