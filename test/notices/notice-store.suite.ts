import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createNoticeExposureLookup } from '../../src/domain/notices/notice-exposure-lookup.ts';
import type { NoticeExposure, NoticeVersion } from '../../src/domain/notices/notice-types.ts';
import {
  NoticeImmutable,
  type NoticeStore,
  NoticeVersionTaken,
} from '../../src/store/notice-store.ts';

/**
 * One suite for both notice adapters. `open` gives a fresh store; `rawSql` runs a statement
 * past the store (to prove the database itself refuses edits of published versions).
 */
export function noticeStoreSuite(
  name: string,
  open: (t: { after: (fn: () => void | Promise<void>) => void }) => Promise<{
    store: NoticeStore;
    rawSql: (text: string) => Promise<unknown>;
  }>,
): void {
  const version = (id: string, seq: number, at = '2026-01-01T00:00:00.000Z'): NoticeVersion => ({
    id,
    seq,
    previousId: seq > 1 ? `v${seq - 1}` : null,
    effectiveAt: at,
    publishedAt: at,
    publishedBy: 'test',
    defaultLanguage: 'en',
    sha256: 'f'.repeat(64),
    texts: [
      { language: 'en', title: 'T', markdown: '# T', changes: 'first', sha256: 'a'.repeat(64) },
      { language: 'fr', title: 'T', markdown: '# T', changes: 'premier', sha256: 'b'.repeat(64) },
    ],
  });
  const exposure = (
    key: string,
    shownAt: string,
    extra: Partial<NoticeExposure> = {},
  ): NoticeExposure => ({
    subjectKey: key,
    versionId: 'v1',
    language: 'en',
    channel: 'in-app',
    shownAt,
    acknowledgedAt: null,
    source: 'client:test',
    recordedAt: '2026-02-01T00:00:00.000Z',
    ...extra,
  });

  describe(`notice store (${name})`, () => {
    it('stores versions, refuses a taken id, and the database refuses edits', async (t) => {
      const { store, rawSql } = await open(t);
      await store.insertVersion(version('v1', 1));
      await assert.rejects(store.insertVersion(version('v1', 2)), NoticeVersionTaken);
      const got = await store.getVersion('v1');
      assert.equal(got?.texts.length, 2);
      assert.equal(got?.publishedAt, '2026-01-01T00:00:00.000Z');
      assert.equal((await store.latestVersion())?.id, 'v1');
      await assert.rejects(
        rawSql(`UPDATE notice_texts SET markdown = 'edited' WHERE version_id = 'v1'`),
        /immutable/,
      );
      await assert.rejects(rawSql(`DELETE FROM notice_texts WHERE version_id = 'v1'`), /immutable/);
      await assert.rejects(
        rawSql(`UPDATE notice_versions SET sha256 = 'x' WHERE id = 'v1'`),
        /immutable/,
      );
      await assert.rejects(
        rawSql(
          `INSERT INTO notice_texts (version_id, language, title, markdown, changes, sha256) VALUES ('v1', 'de', 'T', '# T', 'x', 'c')`,
        ),
        /immutable/,
      );
      assert.deepEqual(await store.versionsAwaitingAudit(), ['v1']);
      await store.markAudited('v1', '2026-01-01T00:00:01.000Z');
      assert.deepEqual(await store.versionsAwaitingAudit(), []);
      assert.ok(NoticeImmutable);
    });

    it('records exposures idempotently and answers the gate’s questions', async (t) => {
      const { store } = await open(t);
      await store.insertVersion(version('v1', 1));
      const rows = [
        exposure('acct:b', '2026-01-10T00:00:00.000Z'),
        exposure('acct:a', '2026-01-05T00:00:00.000Z'),
        exposure('acct:a', '2026-01-20T00:00:00.000Z', { channel: 'email' }),
        exposure('acct:c', '2026-03-01T00:00:00.000Z'),
      ];
      assert.equal(await store.recordExposures(rows), 4);
      assert.equal(await store.recordExposures(rows), 0, 'the same exposures twice are one record');
      // A later acknowledgement of a known exposure fills it in, without a new row.
      assert.equal(
        await store.recordExposures([
          exposure('acct:b', '2026-01-10T00:00:00.000Z', {
            acknowledgedAt: '2026-01-11T00:00:00.000Z',
          }),
        ]),
        0,
      );
      assert.deepEqual(await store.exposureSummary('acct:b', 'v1'), {
        firstShownAt: '2026-01-10T00:00:00.000Z',
        acknowledgedAt: '2026-01-11T00:00:00.000Z',
      });
      const lookup = createNoticeExposureLookup(store);
      assert.equal(await lookup.shownAt('acct:a', 'v1'), '2026-01-05T00:00:00.000Z');
      assert.equal(await lookup.shownAt('acct:z', 'v1'), null);
      const streamed: string[] = [];
      for await (const k of lookup.exposuresBefore('v1', '2026-01-31T00:00:00.000Z'))
        streamed.push(k);
      assert.deepEqual(streamed, ['acct:a', 'acct:b']);
      assert.deepEqual(
        (
          await lookup.subjectsNotShown('v1', '2026-01-10T00:00:00.000Z', [
            'acct:a',
            'acct:b',
            'acct:c',
            'acct:z',
            'acct:a',
          ])
        ).sort(),
        ['acct:c', 'acct:z'],
      );
      await assert.rejects(lookup.shownAt('acct:a', 'nope'), /never published/);
    });

    it('answers the notice-period check for many keys as a row-by-row reading does', async (t) => {
      const { store, rawSql } = await open(t);
      await store.insertVersion(version('v1', 1));
      await store.insertVersion(version('v2', 2));
      const shownBy = '2026-02-01T00:00:00.000Z';
      // Keys that JSON and SQL quoting could trip on, and enough of them for several calls.
      const odd = ['acct:"q"', "acct:o'brien", 'acct:back\\slash', 'acct:é', 'acct:😀', 'acct:a,b'];
      const keys = [...odd, ...Array.from({ length: 12_000 }, (_, i) => `acct:${i}`)];
      const rows: NoticeExposure[] = [];
      keys.forEach((key, i) => {
        // Shown in time, exactly at the cut-off, too late, only another version, or never.
        const at = [
          '2026-01-15T00:00:00.000Z',
          shownBy,
          '2026-02-01T00:00:00.001Z',
          '2026-01-15T00:00:00.000Z',
          '',
        ][i % 5]!;
        if (at !== '')
          rows.push(exposure(key, at, i % 5 === 3 ? { versionId: 'v2' } : { channel: 'in-app' }));
        // A second showing, voided (a bounced email), for every seventh key.
        if (i % 7 === 0) rows.push(exposure(key, '2026-01-02T00:00:00.000Z', { channel: 'email' }));
      });
      for (let i = 0; i < rows.length; i += 1000)
        await store.recordExposures(rows.slice(i, i + 1000));
      await rawSql(
        `UPDATE notice_exposures SET voided_at = '2026-01-03T00:00:00.000Z' WHERE channel = 'email'`,
      );
      const expected = keys.filter((_, i) => ![0, 1].includes(i % 5));
      const asked = [...keys, ...keys.slice(0, 100), 'acct:never'];
      const missing = await createNoticeExposureLookup(store).subjectsNotShown(
        'v1',
        shownBy,
        asked,
      );
      assert.deepEqual(missing.sort(), [...expected, 'acct:never'].sort());
      const shown = await store.subjectsShownBy('v1', shownBy, asked.slice(0, 50));
      assert.deepEqual(
        shown.sort(),
        keys
          .slice(0, 50)
          .filter((_, i) => [0, 1].includes(i % 5))
          .sort(),
      );
      assert.deepEqual(await store.subjectsShownBy('v1', shownBy, []), []);
    });

    it('runs a campaign’s recipient states, and a bounce voids the email exposure', async (t) => {
      const { store } = await open(t);
      await store.insertVersion(version('v1', 1));
      const at = '2026-01-02T00:00:00.000Z';
      await store.ensureCampaign({
        id: 'camp_1',
        versionId: 'v1',
        sourceSha256: 'x',
        createdAt: at,
        finishedAt: null,
      });
      const r = (accountId: string, line: number) => ({
        campaignId: 'camp_1',
        accountId,
        line,
        email: `${accountId}@example.org`,
        emailHash: `h-${accountId}`,
        language: 'en',
        state: 'pending' as const,
        attempts: 0,
        lastError: null,
        updatedAt: at,
        sentAt: null,
      });
      assert.equal(await store.addRecipients([r('a', 2), r('b', 3), r('c', 4)]), 3);
      assert.equal(await store.addRecipients([r('a', 2)]), 0);
      const claimed = await store.claimRecipients('camp_1', 2, at);
      assert.deepEqual(
        claimed.map((x) => [x.accountId, x.state, x.attempts]),
        [
          ['a', 'sending', 1],
          ['b', 'sending', 1],
        ],
      );
      await store.markSent('camp_1', 'a', {
        ...exposure('acct:a', '2026-01-02T00:00:01.000Z'),
        channel: 'email',
        source: 'campaign:camp_1',
      });
      // b was in flight when the process died: uncertain, never re-sent by default.
      assert.equal(await store.settleInterrupted('camp_1', at), 1);
      assert.equal(await store.requeue('camp_1', { maxAttempts: 3, uncertain: false }, at), 0);
      const counts = await store.counts('camp_1');
      assert.equal(counts.sent, 1);
      assert.equal(counts.uncertain, 1);
      assert.equal(counts.pending, 1);
      assert.equal(
        (await store.recipients('camp_1', 'sent'))[0]?.email,
        null,
        'address cleared once sent',
      );
      assert.deepEqual(await store.alreadySent('v1', ['a', 'b']), ['a']);
      assert.equal(
        await createNoticeExposureLookup(store).shownAt('acct:a', 'v1'),
        '2026-01-02T00:00:01.000Z',
      );
      const bounced = await store.recordBounce({ emailHash: 'h-a' }, '550 no such user', at);
      assert.equal(bounced.length, 1);
      assert.equal(
        await createNoticeExposureLookup(store).shownAt('acct:a', 'v1'),
        null,
        'a bounce is not a showing',
      );
      assert.deepEqual(await store.bouncedBefore(['h-a', 'h-b']), ['h-a']);
      assert.equal((await store.counts('camp_1')).bounced, 1);
    });
  });
}
