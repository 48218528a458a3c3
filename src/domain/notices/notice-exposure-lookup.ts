import type { NoticeStore } from '../../store/notice-store.ts';
import { AppError } from '../errors.ts';

/**
 * What the gate's notice-period check asks of the notice records. The gate must not
 * import a store: it receives an implementation of this port (`createNoticeExposureLookup`),
 * wired in src/app/wire.ts as `veto.notices.exposures`.
 *
 * Semantics shared by every method: a person counts as shown a version at T when an exposure
 * of that version was recorded for their subject key with `shownAt` ≤ T, through any channel,
 * and was not voided (a bounced campaign email is voided: it never reached the person).
 * Subject keys are the registry's (`acct:<accountId>`, src/domain/subjects.ts). Every method
 * throws AppError `not-found` for a version that was never published, so a policy naming a
 * mistyped version fails the build instead of silently excluding (or keeping) everyone.
 *
 * How the gate uses it: `shownBy = cutoff − policy.notice.minimumDays` (as an ISO instant);
 * a record is kept only if its author is in the answer, otherwise it is excluded with the
 * reason `notice-period`.
 */
export interface NoticeExposureLookup {
  /** Earliest time `subjectKey` was shown `noticeVersion`, or null when never. */
  shownAt(subjectKey: string, noticeVersion: string): Promise<string | null>;

  /**
   * Every subject key shown `versionId` at or before `shownBy`, each once, in byte order,
   * streamed from one consistent database snapshot in bounded memory (millions of subjects):
   * load it into the gate's own set or hash table once per build.
   */
  exposuresBefore(versionId: string, shownBy: string): AsyncIterable<string>;

  /**
   * Of `subjectKeys` (any number; at most ~10,000 per call keeps each query small), those NOT
   * shown `versionId` at or before `shownBy`. This is exactly the gate's
   * `GateRegistry.subjectsWithoutNotice` hook (src/gate/registry-port.ts); see
   * `subjectsWithoutNoticeHook` below.
   */
  subjectsNotShown(
    versionId: string,
    shownBy: string,
    subjectKeys: readonly string[],
  ): Promise<string[]>;
}

/** The query shape of the gate's `GateRegistry.subjectsWithoutNotice` (structurally identical). */
export interface NoticePeriodQuery {
  purpose: string;
  noticeVersion: string;
  shownBy: string;
  subjectKeys: string[];
}

/**
 * Adapts the lookup to the gate's hook: in the gate's registry adapter,
 * `subjectsWithoutNotice: subjectsWithoutNoticeHook(veto.notices.exposures)`.
 * Notices are not per purpose (one notice informs about the processing), so `purpose` is unused.
 */
export function subjectsWithoutNoticeHook(
  lookup: NoticeExposureLookup,
): (query: NoticePeriodQuery) => Promise<string[]> {
  return (q) => lookup.subjectsNotShown(q.noticeVersion, q.shownBy, q.subjectKeys);
}

/** Per call: at most this many keys per store query (PostgreSQL array parameter, SQLite loop). */
const CHUNK = 10_000;

function instant(value: string, field: string): string {
  const t = Date.parse(value);
  if (Number.isNaN(t))
    throw new AppError('validation', `${field}: not an ISO 8601 instant`, {
      issues: [{ field, reason: 'not an ISO 8601 instant' }],
    });
  return new Date(t).toISOString();
}

export function createNoticeExposureLookup(store: NoticeStore): NoticeExposureLookup {
  const known = new Set<string>();
  const requireVersion = async (id: string) => {
    if (known.has(id)) return;
    if (!(await store.getVersion(id)))
      throw new AppError('not-found', `notice version "${id}" was never published`, {
        issues: [{ field: 'noticeVersion', reason: 'not a published notice version' }],
      });
    // Published versions are never deleted: once seen, always there.
    known.add(id);
  };
  return {
    async shownAt(subjectKey, noticeVersion) {
      await requireVersion(noticeVersion);
      return (await store.exposureSummary(subjectKey, noticeVersion))?.firstShownAt ?? null;
    },
    async *exposuresBefore(versionId, shownBy) {
      await requireVersion(versionId);
      yield* store.subjectsShownByStream(versionId, instant(shownBy, 'shownBy'));
    },
    async subjectsNotShown(versionId, shownBy, subjectKeys) {
      await requireVersion(versionId);
      const by = instant(shownBy, 'shownBy');
      const unique = [...new Set(subjectKeys)];
      const shown = new Set<string>();
      for (let i = 0; i < unique.length; i += CHUNK) {
        for (const k of await store.subjectsShownBy(versionId, by, unique.slice(i, i + CHUNK)))
          shown.add(k);
      }
      return unique.filter((k) => !shown.has(k));
    },
  };
}
