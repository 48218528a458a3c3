import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import pino, { type Logger } from 'pino';
import type { VetoConfig } from '../config.ts';
import { Assessments } from '../domain/assessment/assessments.ts';
import { StaffAudit } from '../domain/console/staff.ts';
import { Notices } from '../domain/notices/notices.ts';
import { OutboxDispatcher } from '../domain/outbox-dispatcher.ts';
import { Registry } from '../domain/registry.ts';
import { takeRegistrySnapshot } from '../domain/registry-snapshot.ts';
import { Afterwards } from '../domain/removals/afterwards.ts';
import { AutomaticErasure } from '../domain/removals/automatic-erasure.ts';
import {
  createRecipientTransport,
  RecipientDispatcher,
} from '../domain/removals/recipient-dispatcher.ts';
import { RemovalPlanner } from '../domain/removals/removal-planner.ts';
import { RequestRate } from '../domain/request-rate.ts';
import { verifySealedCommitments } from '../domain/sealed-commitments.ts';
import type { SnapshotRecord } from '../domain/types.ts';
import {
  type DatasetRecoveryStore,
  type RecoveryAction,
  recoverDatasets,
} from '../gate/dataset-recovery.ts';
import type { RegistryRecords } from '../gate/dataset-verify.ts';
import type { DatasetManifest } from '../gate/manifest.ts';
import {
  composeGateRegistry,
  type GateDatasetStore,
  type GateRegistry,
  logAnchors,
} from '../gate/registry-port.ts';
import type { SnapshotService } from '../http/api/admin-routes.ts';
import {
  createPlatformTokenVerifier,
  type PlatformTokenVerifier,
} from '../http/auth/platform-token.ts';
import { type Clock, monotonicClock } from '../lib/clock.ts';
import type { Mailer } from '../mail/mailer.ts';
import { createFolderMailer, createSmtpMailer } from '../mail/nodemailer-mailer.ts';
import { createEmailRenderer } from '../mail/templates.ts';
import { writeSnapshotFile } from '../registry-files/snapshot-file.ts';
import type { AssessmentStore } from '../store/assessment-store.ts';
import type { ConsoleStore } from '../store/console-store.ts';
import type { NoticeStore } from '../store/notice-store.ts';
import type { RegistryStore } from '../store/registry-store.ts';
import type { RemovalStore } from '../store/removal-store.ts';
import { SqliteAssessmentStore } from '../store/sqlite/sqlite-assessment-store.ts';
import { SqliteConsoleStore } from '../store/sqlite/sqlite-console-store.ts';
import { SqliteNoticeStore } from '../store/sqlite/sqlite-notice-store.ts';
import {
  openSqliteRegistryStore,
  SqliteRegistryStore,
} from '../store/sqlite/sqlite-registry-store.ts';
import { SqliteRemovalStore } from '../store/sqlite/sqlite-removal-store.ts';
import { type ExclusionKeys, loadExclusionKeys } from '../transparency/exclusion-keys.ts';
import { termsKey } from '../transparency/terms-commitment.ts';
import { Transparency } from '../transparency/transparency.ts';
import { JobSupervisor } from './job-supervisor.ts';
import { Metrics } from './metrics.ts';
import { StorageHealth } from './storage-health.ts';

/**
 * The one place where adapters are chosen and connected. Everything else receives its
 * dependencies as arguments.
 */
export interface Veto {
  config: VetoConfig;
  logger: Logger;
  store: RegistryStore;
  registry: Registry;
  tokens: PlatformTokenVerifier;
  mailer: Mailer;
  dispatcher: OutboxDispatcher;
  snapshots: SnapshotService;
  /** Notice versions, exposures and campaigns; `notices.exposures` is the gate's port. */
  notices: Notices;
  /** Legitimate-interest assessment records per policy version, and their public summary. */
  assessments: Assessments;
  /** What the gate asks the live registry: every check a policy requires, dataset records. */
  gate: GateRegistry;
  /**
   * The registry's own records that `veto dataset verify` checks a dataset against: the
   * objector set as of any cut-off, the recorded snapshots, the manifests recorded at sealing.
   */
  datasetRecords: RegistryRecords;
  /** Where gate builds journal their sealing (`<data dir>/builds`, src/gate/dataset-recovery.ts). */
  buildJournalDir: string;
  /** The VRF keys of exclusion proofs, loaded (or generated) when first asked for. */
  exclusionKeys(): ExclusionKeys;
  /** The terms key (from VETO_SECRET): datasets commit to the terms objections they applied. */
  termsKey(): Buffer;
  /**
   * Finishes or undoes the builds a crash interrupted (their journal), and removes the `.partial`
   * directories under `outDirs` no live build owns: `serve` at start, `veto dataset recover`.
   */
  recoverDatasets(outDirs?: string[]): Promise<RecoveryAction[]>;
  clock: Clock;
  /**
   * After the build: models, recipients, "Am I in the dataset?", memorisation reports,
   * and the two jobs `serve` starts (removal planner, recipient dispatcher). Both adapters have
   * a removal store; optional so a future adapter can go without (its routes are then not
   * registered).
   */
  afterwards?: Afterwards;
  removalPlanner?: RemovalPlanner;
  recipientDispatcher?: RecipientDispatcher;
  /** Rebuilds sealed versions with removals and deletes what they replace (`serve` runs it). */
  automaticErasure?: AutomaticErasure;
  /** Storage faults seen by requests and jobs: logged once per outage, 503 meanwhile. */
  storageHealth: StorageHealth;
  /** Around every job pass: leader lease (several instances, one database), liveness. */
  jobs: JobSupervisor;
  /** The figures `/metrics` serves (src/app/metrics.ts). */
  metrics: Metrics;
  /** Rate-limit counts in the database, shared by every instance. */
  requestRate: RequestRate;
  /** The transparency log: checkpoints signed with the configured key, proofs, witnesses. */
  transparency: Transparency;
  /** The staff console's grouped figures, and the audit of what staff read and change. */
  consoleStore: ConsoleStore;
  staffAudit: StaffAudit;
  /** What `/readyz` reports: database reachable, migrations current, jobs alive. */
  readiness(): Promise<Readiness>;
  /**
   * The commitments the audit log holds, checked against what they commit to: the notice
   * exposure batches, and each sealed dataset's exclusion and terms roots. Read from the chain,
   * so meaningful only once the chain verifies. `veto audit verify` and `GET /v1/admin/audit`
   * both report it, so neither path can skip a check the other makes.
   */
  verifyLoggedCommitments(): Promise<{ problems: string[]; notes: string[] }>;
  close(): Promise<void>;
}

/** `/readyz`: whether this instance should receive traffic, and if not, why. */
export interface Readiness {
  ready: boolean;
  checks: { database: string; migrations: string; jobs: string };
}

/** A job loop that has not ticked for this long is hung or dead (passes are bounded batches). */
const JOB_STALL_MS = 60_000;

/** The issue-6 tables live in the registry's database, through the registry adapter. */
export async function openRemovalStore(store: RegistryStore): Promise<RemovalStore | undefined> {
  if (store instanceof SqliteRegistryStore) return new SqliteRemovalStore(store);
  const { PostgresRegistryStore } = await import('../store/postgres/postgres-registry-store.ts');
  if (store instanceof PostgresRegistryStore) {
    const { PostgresRemovalStore } = await import('../store/postgres/postgres-removal-store.ts');
    return new PostgresRemovalStore(store);
  }
  return undefined;
}

export async function openStore(config: VetoConfig): Promise<RegistryStore> {
  const url = config.databaseUrl;
  if (url.startsWith('sqlite:'))
    return openSqliteRegistryStore({ filename: url.slice('sqlite:'.length) || ':memory:' });
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    const { openPostgresRegistryStore } = await import(
      '../store/postgres/postgres-registry-store.ts'
    );
    return openPostgresRegistryStore({ connectionString: url });
  }
  throw new Error(
    `VETO_DATABASE_URL: expected sqlite:<path> or postgres://..., got "${url.split(':')[0]}:..."`,
  );
}

/** The dataset half of the gate's registry port, in the registry's dialect (same database). */
export async function openGateDatasetStore(
  store: RegistryStore,
): Promise<
  GateDatasetStore &
    DatasetRecoveryStore & { getDataset(id: string): Promise<DatasetManifest | undefined> }
> {
  if (store instanceof SqliteRegistryStore) {
    const { SqliteDatasetStore } = await import('../store/sqlite/sqlite-dataset-store.ts');
    return new SqliteDatasetStore(store);
  }
  const { PostgresRegistryStore } = await import('../store/postgres/postgres-registry-store.ts');
  if (store instanceof PostgresRegistryStore) {
    const { PostgresDatasetStore } = await import('../store/postgres/postgres-dataset-store.ts');
    return new PostgresDatasetStore(store);
  }
  throw new Error(`no dataset store for the ${store.dialect} registry adapter`);
}

/** The console reads the registry's database through the registry adapter's connections. */
export async function openConsoleStore(store: RegistryStore): Promise<ConsoleStore> {
  if (store instanceof SqliteRegistryStore) return new SqliteConsoleStore(store);
  const { PostgresRegistryStore } = await import('../store/postgres/postgres-registry-store.ts');
  if (store instanceof PostgresRegistryStore) {
    const { PostgresConsoleStore } = await import('../store/postgres/postgres-console-store.ts');
    return new PostgresConsoleStore(store);
  }
  throw new Error(`no console store for the ${store.dialect} registry adapter`);
}

/** The assessment records live in the registry's database, through the registry adapter. */
export async function openAssessmentStore(store: RegistryStore): Promise<AssessmentStore> {
  if (store instanceof SqliteRegistryStore) return new SqliteAssessmentStore(store);
  const { PostgresRegistryStore } = await import('../store/postgres/postgres-registry-store.ts');
  if (store instanceof PostgresRegistryStore) {
    const { PostgresAssessmentStore } = await import(
      '../store/postgres/postgres-assessment-store.ts'
    );
    return new PostgresAssessmentStore(store);
  }
  throw new Error(`no assessment store for the ${store.dialect} registry adapter`);
}

/** The notice tables live in the registry's database, through the registry adapter's connections. */
export async function openNoticeStore(store: RegistryStore): Promise<NoticeStore> {
  if (store instanceof SqliteRegistryStore) return new SqliteNoticeStore(store);
  const { PostgresRegistryStore } = await import('../store/postgres/postgres-registry-store.ts');
  if (store instanceof PostgresRegistryStore) {
    const { PostgresNoticeStore } = await import('../store/postgres/postgres-notice-store.ts');
    return new PostgresNoticeStore(store);
  }
  throw new Error(`no notice store for the ${store.dialect} registry adapter`);
}

export function createLogger(config: VetoConfig): Logger {
  return pino({
    level: config.logLevel,
    // Defence in depth: even if a caller logs a whole object, these never reach the log.
    redact: {
      paths: ['email', '*.email', 'to', '*.to', 'req.headers.authorization', 'req.headers.cookie'],
      censor: '[redacted]',
    },
  });
}

export async function wireVeto(
  config: VetoConfig,
  options: { logger?: Logger; mailer?: Mailer; clock?: Clock } = {},
): Promise<Veto> {
  const logger = options.logger ?? createLogger(config);
  const clock = options.clock ?? monotonicClock();
  const store = await openStore(config);
  const renderEmail = createEmailRenderer({ platformName: config.platformName });
  const mailer =
    options.mailer ??
    (config.smtpUrl
      ? createSmtpMailer(config.smtpUrl, config.mailFrom)
      : createFolderMailer(
          config.outboxDir ?? path.join(config.dataDir, 'outbox'),
          config.mailFrom,
          logger,
        ));
  // The metrics need the jobs and removal use cases wired below; the registry reports to them
  // through this forwarder from the start.
  let metrics: Metrics | undefined;
  const registry = new Registry({
    store,
    clock,
    events: {
      objectionRecorded: (channel, purpose) => metrics?.events.objectionRecorded(channel, purpose),
      codeEmail: (outcome) => metrics?.events.codeEmail(outcome),
    },
    secret: config.secret,
    mailer,
    renderEmail,
    settings: {
      purposes: config.purposes,
      defaultPurpose: config.purposes[0] ?? 'ai-training',
      reviewMode: config.reviewMode,
      languages: config.languages,
      defaultLanguage: config.defaultLanguage,
      publicUrl: config.publicUrl,
      maxBatch: config.maxBatch,
      absolutePurposes: config.gpc === 'off' ? [] : [config.gpcPurpose],
    },
  });
  const notices = new Notices({
    store: await openNoticeStore(store),
    registryStore: store,
    clock,
    secret: config.secret,
    settings: {
      platformName: config.platformName,
      publicUrl: config.publicUrl,
      languages: config.languages,
      defaultLanguage: config.defaultLanguage,
      items: {
        controllerName: config.controllerName,
        controllerContact: config.controllerContact,
        dpoContact: config.dpoContact,
        recipients: config.recipients,
        retentionMonths: config.retentionMonths,
        supervisoryAuthority: config.supervisoryAuthority,
      },
    },
  });
  // A publication interrupted between its version row and its audit event is completed now.
  await notices.reconcileAudit();
  const tokens = createPlatformTokenVerifier(config);
  const storageHealth = new StorageHealth(logger);
  const jobs = new JobSupervisor({
    health: storageHealth,
    logger,
    leases: {
      tryLease: (job, holder, now, ttlMs) =>
        store.tryJobLease(
          job,
          holder,
          now.toISOString(),
          new Date(now.getTime() + ttlMs).toISOString(),
        ),
      releaseLease: (job, holder) => store.releaseJobLease(job, holder),
    },
  });
  const supervision = jobs;
  const dispatcher = new OutboxDispatcher({
    store,
    mailer,
    renderEmail,
    clock,
    logger,
    supervision,
  });
  let loadedExclusionKeys: ExclusionKeys | undefined;
  const exclusionKeys = () => {
    loadedExclusionKeys ??= loadExclusionKeys(config);
    return loadedExclusionKeys;
  };
  const removalStore = await openRemovalStore(store);
  const transport = createRecipientTransport({ natsUrl: config.natsUrl });
  const afterwardsParts = removalStore
    ? {
        afterwards: new Afterwards({
          store: removalStore,
          clock,
          modelPolicy: config.modelPolicy,
          publicUrl: config.publicUrl,
          contactOf: (key) => store.getContact(key),
          exclusionKeys,
          termsKey: () => termsKey(config.secret),
        }),
        removalPlanner: new RemovalPlanner({
          store: removalStore,
          clock,
          logger,
          supervision,
          settings: { publicUrl: config.publicUrl, modelPolicy: config.modelPolicy },
        }),
        recipientDispatcher: new RecipientDispatcher({
          store: removalStore,
          transport,
          clock,
          logger,
          supervision,
        }),
      }
    : {};
  const consoleStore = await openConsoleStore(store);
  metrics = new Metrics({
    store,
    afterwards: afterwardsParts.afterwards,
    jobs,
    sealedDatasets: () => consoleStore.sealedDatasets(),
  });
  const snapshotDir = path.join(config.dataDir, 'snapshots');
  const snapshots: SnapshotService = {
    create: (purpose: string): Promise<SnapshotRecord> =>
      takeRegistrySnapshot(
        { store, clock, anchorOf: (id) => gate.snapshotAnchor(id) },
        purpose,
        (meta, keys, anchor) => {
          mkdirSync(snapshotDir, { recursive: true });
          return writeSnapshotFile(path.join(snapshotDir, `${meta.id}.snap`), meta, keys, {
            anchor,
          });
        },
      ),
    async file(id: string) {
      const s = await store.getSnapshot(id);
      const file = path.join(snapshotDir, `${id}.snap`);
      return s && existsSync(file) ? file : undefined;
    },
  };
  const datasetStore = await openGateDatasetStore(store);
  const buildJournal = path.join(config.dataDir, 'builds');
  const automaticErasure = removalStore
    ? new AutomaticErasure({
        roots: config.datasetDirs ?? [path.join(config.dataDir, 'datasets')],
        deleteAfterMs: config.supersededDeleteAfter * 1000,
        store: removalStore,
        record: (manifest, rows, leaves, location, termsLeaves) =>
          datasetStore.recordDataset(manifest, rows, leaves, location, termsLeaves),
        exclusionKey: () => exclusionKeys().current,
        terms: {
          key: termsKey(config.secret),
          references: (purpose, asOf) => datasetStore.objectorTermReferences(purpose, asOf),
        },
        appendEvents: (events) => store.transaction((tx) => tx.appendEvents(events)),
        secret: config.secret,
        publicUrl: config.publicUrl,
        journalDir: buildJournal,
        clock,
        logger,
        supervision,
      })
    : undefined;
  const assessments = new Assessments({
    store: await openAssessmentStore(store),
    clock,
    config: {
      controllerName: config.controllerName,
      controllerContact: config.controllerContact,
      dpoContact: config.dpoContact,
      retentionMonths: config.retentionMonths,
      gpc: config.gpc,
      gpcPurpose: config.gpcPurpose,
    },
  });
  const transparency = new Transparency({
    store,
    clock,
    keys: {
      signingKey: config.transparencyKey,
      previousKeys: config.transparencyPreviousKeys,
      witnesses: config.transparencyWitnesses,
    },
  });
  const gate = composeGateRegistry(
    datasetStore,
    notices,
    store,
    assessments,
    logAnchors({
      snapshotEventSeq: async (id) => (await store.snapshotEvent(id))?.seq,
      checkpointAt: (size) => transparency.checkpointAt(size),
    }),
  );
  const buildJournalDir = path.join(config.dataDir, 'builds');
  return {
    config,
    logger,
    store,
    registry,
    tokens,
    mailer,
    dispatcher,
    snapshots,
    notices,
    assessments,
    gate,
    buildJournalDir,
    exclusionKeys,
    termsKey: () => termsKey(config.secret),
    recoverDatasets: (outDirs = []) =>
      recoverDatasets({
        journalDir: buildJournalDir,
        store: datasetStore,
        registry: gate,
        outDirs,
      }),
    datasetRecords: {
      objectorsAsOf: (purpose, asOf) => store.objectorsAsOf(purpose, asOf),
      snapshotRecord: (id) => store.getSnapshot(id),
      datasetManifest: (id) => datasetStore.getDataset(id),
      log: {
        logKeys: transparency.logKeys,
        checkpoint: () => transparency.checkpoint(),
        consistencyProof: (from, to) => transparency.log.consistencyProof(from, to),
        readEvents: () => store.readEvents(),
      },
    },
    clock,
    transparency,
    consoleStore,
    staffAudit: new StaffAudit(store, clock),
    ...afterwardsParts,
    ...(automaticErasure ? { automaticErasure } : {}),
    storageHealth,
    jobs,
    metrics,
    requestRate: new RequestRate(store),
    async readiness(): Promise<Readiness> {
      const checks = { database: 'ok', migrations: 'ok', jobs: 'ok' };
      try {
        // Reading the migration bookkeeping is also the round trip that proves the database.
        const pending = await store.pendingMigrations();
        if (pending.length) checks.migrations = `pending: ${pending.join(', ')}`;
      } catch (err) {
        checks.database = `unreachable: ${(err as Error).message.slice(0, 200)}`;
        checks.migrations = 'unknown';
      }
      const stalled = jobs.stalled(JOB_STALL_MS);
      if (stalled.length) checks.jobs = `stalled: ${stalled.join(', ')}`;
      return { ready: Object.values(checks).every((c) => c === 'ok'), checks };
    },
    async verifyLoggedCommitments() {
      const exposures = await notices.verifyExposures();
      const sealed = await verifySealedCommitments(store.readEvents(), {
        datasetManifest: (id) => datasetStore.getDataset(id),
        datasetExclusion: async (id) => afterwardsParts.afterwards?.storedExclusion(id),
        datasetTerms: async (id) => afterwardsParts.afterwards?.storedTerms(id),
      });
      return {
        problems: [
          ...exposures.map((p) => `notice exposures: ${p}`),
          ...sealed.problems.map((p) => `dataset commitments: ${p}`),
        ],
        notes: sealed.notes,
      };
    },
    async close() {
      await afterwardsParts.removalPlanner?.stop();
      await afterwardsParts.recipientDispatcher?.stop();
      await automaticErasure?.stop();
      await transport.close();
      await dispatcher.stop();
      await jobs.release();
      await registry.drain();
      await store.close();
      await mailer.close();
    },
  };
}
