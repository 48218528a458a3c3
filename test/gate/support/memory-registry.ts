import { canonicalJson } from '../../../src/domain/audit-chain.ts';
import type { DatasetAnchor, DatasetManifest } from '../../../src/gate/manifest.ts';
import type {
  GateRegistry,
  InclusionRow,
  NoticeQuery,
  RecordedAssessment,
  RecordedSnapshot,
} from '../../../src/gate/registry-port.ts';
import type { DatasetVerification } from '../../../src/gate/verification-outcome.ts';
import { signCheckpoint } from '../../../src/transparency/checkpoint.ts';
import { leafHash } from '../../../src/transparency/merkle.ts';
import { generateSigner } from '../../../src/transparency/signed-note.ts';

/** The memory registry's log key: each snapshot is anchored in a log of its one event. */
const LOG_SIGNER = generateSigner('memory-registry.test/log');

/**
 * Snapshots "taken by the registry" in tests: the fixtures' `writeSnapshot` and
 * `recordTestSnapshot` put each file's header here, as `veto registry snapshot` records one; every
 * MemoryRegistry answers from it (unless the test gives the registry its own `snapshots`).
 */
export const recordedSnapshots = new Map<string, RecordedSnapshot>();

export function recordTestSnapshot(meta: RecordedSnapshot): void {
  recordedSnapshots.set(meta.id, { ...meta });
}

/** The assessment a test registry says it recorded (test/cli/assessment.test.ts records real ones). */
export const TEST_ASSESSMENT: RecordedAssessment = {
  id: 'lia-0001-000000000000',
  sha256: '0'.repeat(64),
  recordedAt: '2000-01-01T00:00:00.000Z',
};

/**
 * An in-memory GateRegistry for tests: late objectors, third parties' terms and who was not
 * shown the notice are set by the test (by default: nobody late, no terms, everyone shown).
 */
export class MemoryRegistry implements GateRegistry {
  late: string[] = [];
  terms: string[] = [];
  /** The receipt references of the terms objections those terms come from. */
  termReferences: string[] = [];
  /** Subject keys not shown the notice. */
  notShown = new Set<string>();
  /** Set to make the notice-period check unperformable. */
  noticeProblem?: string;
  /** Called on each re-check, to simulate objections arriving while the gate removes records. */
  onRecheck?: (round: number) => void;
  recheckCalls = 0;
  datasets: { manifest: DatasetManifest; inclusions: InclusionRow[] }[] = [];
  failRecord = false;
  /** The registry's snapshot records (default: every snapshot the fixtures wrote). */
  snapshots: Map<string, RecordedSnapshot> = recordedSnapshots;

  async snapshotRecord(id: string): Promise<RecordedSnapshot | undefined> {
    return this.snapshots.get(id);
  }

  async snapshotAnchor(id: string): Promise<DatasetAnchor | undefined> {
    const record = this.snapshots.get(id);
    if (!record) return undefined;
    const root = leafHash(Buffer.from(canonicalJson(record)));
    return {
      size: 1,
      root: root.toString('base64'),
      checkpoint: signCheckpoint(LOG_SIGNER, 1, root),
    };
  }

  async objectorsAddedSince(_purpose: string, _asOf: string): Promise<string[]> {
    this.onRecheck?.(this.recheckCalls++);
    return [...this.late];
  }

  async subjectsWithoutNotice(query: NoticeQuery): Promise<string[]> {
    return query.subjectKeys.filter((k) => this.notShown.has(k));
  }

  async noticeCheckProblem(_version: string): Promise<string | undefined> {
    return this.noticeProblem;
  }

  /** When the notice announced the processing (default: long ago, so builds may run). */
  announcedAt = '2000-01-01T00:00:00.000Z';

  async noticeAnnouncedAt(_version: string): Promise<string | undefined> {
    return this.announcedAt;
  }

  async objectorTerms(_purpose: string, _asOf: string): Promise<string[]> {
    return [...this.terms];
  }

  async objectorTermReferences(_purpose: string, _asOf: string): Promise<string[]> {
    return [...this.termReferences];
  }

  /** The assessment recorded for every policy (default: one; undefined: none recorded). */
  assessment: RecordedAssessment | undefined = TEST_ASSESSMENT;

  async assessmentFor(_policySha256: string): Promise<RecordedAssessment | undefined> {
    return this.assessment;
  }

  async recordDataset(
    manifest: DatasetManifest,
    inclusions: Iterable<InclusionRow> | AsyncIterable<InclusionRow>,
  ): Promise<void> {
    if (this.failRecord) throw new Error('registry unavailable');
    const rows: InclusionRow[] = [];
    for await (const row of inclusions) rows.push(row);
    this.datasets.push({ manifest, inclusions: rows });
  }

  /** Every verification outcome the gate kept, in order. */
  verifications: DatasetVerification[] = [];

  async recordVerification(verification: DatasetVerification): Promise<void> {
    this.verifications.push(verification);
  }
}

/** A registry that also answers the notice-period hook. */
export class NoticeRegistry extends MemoryRegistry {
  /** Subject key -> ISO instant the notice was shown. */
  shown = new Map<string, string>();
  queries: NoticeQuery[] = [];

  override async subjectsWithoutNotice(query: NoticeQuery): Promise<string[]> {
    this.queries.push(query);
    return query.subjectKeys.filter((k) => {
      const at = this.shown.get(k);
      return at === undefined || Date.parse(at) > Date.parse(query.shownBy);
    });
  }
}

/** A registry that knows third-party objectors' terms. */
export class TermsRegistry extends MemoryRegistry {
  constructor(terms: string[]) {
    super();
    this.terms = terms;
  }
}
