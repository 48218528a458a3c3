import { type Kysely, sql, type Transaction } from 'kysely';
import type { ExposureLeaf } from '../../domain/notices/exposure-commitments.ts';
import type {
  CampaignCounts,
  CampaignRecipient,
  NoticeCampaign,
  NoticeExposure,
  NoticeVersion,
  RecipientState,
} from '../../domain/notices/notice-types.ts';
import {
  type CampaignRow,
  campaignFromRow,
  emptyCounts,
  iso,
  type RecipientRow,
  recipientFromRow,
  type TextRow,
  type VersionRow,
  versionFromRows,
} from '../notice-rows.ts';
import { NoticeImmutable, type NoticeStore, NoticeVersionTaken } from '../notice-store.ts';
import type { PostgresRegistryStore } from './postgres-registry-store.ts';

/** Rows fetched per cursor round trip when streaming subject keys. */
const STREAM_CHUNK = 5000;

/**
 * The notice tables in the registry's PostgreSQL database, through the registry store's Kysely
 * pool. Bulk writes are one `unnest` statement per call (constant round trips per batch, no
 * parameter limit); streams read through a cursor inside one REPEATABLE READ READ ONLY
 * transaction, released in `finally` even when the consumer stops early.
 */
export class PostgresNoticeStore implements NoticeStore {
  private readonly db: Kysely<any>;

  constructor(registry: PostgresRegistryStore) {
    this.db = registry.kysely;
  }

  private async tx<T>(work: (trx: Transaction<any>) => Promise<T>): Promise<T> {
    try {
      return await this.db.transaction().execute(work);
    } catch (err) {
      throw translate(err);
    }
  }

  async insertVersion(v: NoticeVersion): Promise<void> {
    await this.tx(async (trx) => {
      await trx
        .insertInto('notice_versions')
        .values({
          id: v.id,
          seq: v.seq,
          previous_id: v.previousId,
          effective_at: v.effectiveAt,
          published_at: v.publishedAt,
          published_by: v.publishedBy,
          default_language: v.defaultLanguage,
          sha256: v.sha256,
          text_count: v.texts.length,
        })
        .execute();
      await trx
        .insertInto('notice_texts')
        .values(
          v.texts.map((t) => ({
            version_id: v.id,
            language: t.language,
            title: t.title,
            markdown: t.markdown,
            changes: t.changes,
            sha256: t.sha256,
          })),
        )
        .execute();
    });
  }

  async getVersion(id: string): Promise<NoticeVersion | undefined> {
    const row = (await this.db
      .selectFrom('notice_versions')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst()) as VersionRow | undefined;
    return row ? this.withTexts(row) : undefined;
  }

  async latestVersion(): Promise<NoticeVersion | undefined> {
    const row = (await this.db
      .selectFrom('notice_versions')
      .selectAll()
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst()) as VersionRow | undefined;
    return row ? this.withTexts(row) : undefined;
  }

  async listVersions(): Promise<NoticeVersion[]> {
    const rows = (await this.db
      .selectFrom('notice_versions')
      .selectAll()
      .orderBy('seq', 'desc')
      .execute()) as VersionRow[];
    return Promise.all(rows.map((r) => this.withTexts(r)));
  }

  async versionsAwaitingAudit(): Promise<string[]> {
    const rows = await this.db
      .selectFrom('notice_versions')
      .select('id')
      .where('audited_at', 'is', null)
      .orderBy('seq')
      .execute();
    return rows.map((r) => r.id as string);
  }

  async markAudited(id: string, at: string): Promise<void> {
    await this.db
      .updateTable('notice_versions')
      .set({ audited_at: at })
      .where('id', '=', id)
      .where('audited_at', 'is', null)
      .execute();
  }

  async recordExposures(rows: readonly NoticeExposure[], batch?: string): Promise<number> {
    if (rows.length === 0) return 0;
    const col = <K extends keyof NoticeExposure>(k: K) => rows.map((r) => r[k]);
    const batches = rows.map(() => batch ?? null);
    // `xmax = 0` is true for a row this statement inserted and false for one it only updated.
    const result = await sql<{ inserted: boolean }>`
      INSERT INTO notice_exposures (subject_key, version_id, channel, shown_at, language,
        acknowledged_at, source, recorded_at, batch_id)
      SELECT * FROM unnest(${col('subjectKey')}::text[], ${col('versionId')}::text[],
        ${col('channel')}::text[], ${col('shownAt')}::timestamptz[], ${col('language')}::text[],
        ${col('acknowledgedAt')}::timestamptz[], ${col('source')}::text[],
        ${col('recordedAt')}::timestamptz[], ${batches}::text[])
      ON CONFLICT (subject_key, version_id, channel, shown_at) DO UPDATE
        SET acknowledged_at = COALESCE(notice_exposures.acknowledged_at, excluded.acknowledged_at)
      RETURNING (xmax = 0) AS inserted`.execute(this.db);
    return result.rows.filter((r) => r.inserted).length;
  }

  async exposureBatchLeaves(batch: string): Promise<ExposureLeaf[]> {
    const rows = await this.db
      .selectFrom('notice_exposures')
      .select(['subject_key', 'version_id', 'channel', 'shown_at', 'language'])
      .where('batch_id', '=', batch)
      .execute();
    return rows.map(
      (r) =>
        [
          String(r.subject_key),
          String(r.version_id),
          String(r.channel),
          iso(r.shown_at as Date),
          String(r.language),
        ] as const,
    );
  }

  async exposureBatchCounts() {
    const rows = await this.db
      .selectFrom('notice_exposures')
      .select((eb) => [
        'batch_id',
        eb.fn.countAll<string>().as('n'),
        eb.fn.min('source').as('source'),
      ])
      .where('batch_id', 'is not', null)
      .groupBy('batch_id')
      .execute();
    return rows.map((r) => ({
      batch: String(r.batch_id),
      count: Number(r.n),
      source: String(r.source),
    }));
  }

  async unbatchedExposures(): Promise<number> {
    const r = await this.db
      .selectFrom('notice_exposures')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('batch_id', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async exposureSummary(subjectKey: string, versionId: string) {
    const r = (await this.db
      .selectFrom('notice_exposures')
      .select((eb) => [eb.fn.min('shown_at').as('first'), eb.fn.min('acknowledged_at').as('ack')])
      .where('version_id', '=', versionId)
      .where('subject_key', '=', subjectKey)
      .where('voided_at', 'is', null)
      .executeTakeFirst()) as { first: Date | null; ack: Date | null } | undefined;
    return r?.first
      ? { firstShownAt: iso(r.first), acknowledgedAt: r.ack ? iso(r.ack) : null }
      : undefined;
  }

  async subjectsShownBy(
    versionId: string,
    shownBy: string,
    subjectKeys: readonly string[],
  ): Promise<string[]> {
    if (subjectKeys.length === 0) return [];
    // Each key looked up in the index of the exposures that count (notice_exposures_shown),
    // which answers alone once the table is vacuumed: `EXISTS` per key, where `= ANY` with
    // DISTINCT took up to 2.6x as long (bench/notice).
    const keys = [...new Set(subjectKeys)].sort();
    const r = await sql<{ k: string }>`
      SELECT k FROM unnest(${keys}::text[]) AS k
       WHERE EXISTS (SELECT 1 FROM notice_exposures e
                      WHERE e.version_id = ${versionId} AND e.subject_key = k
                        AND e.shown_at <= ${shownBy}::timestamptz AND e.voided_at IS NULL)`.execute(
      this.db,
    );
    return r.rows.map((x) => x.k);
  }

  async *subjectsShownByStream(versionId: string, shownBy: string): AsyncIterable<string> {
    const trx = await this.db
      .startTransaction()
      .setIsolationLevel('repeatable read')
      .setAccessMode('read only')
      .execute();
    try {
      const q = trx
        .selectFrom('notice_exposures')
        .select('subject_key as k')
        .distinct()
        .where('version_id', '=', versionId)
        .where('shown_at', '<=', shownBy)
        .where('voided_at', 'is', null)
        .orderBy('subject_key');
      for await (const r of q.stream(STREAM_CHUNK)) yield r.k as string;
    } finally {
      await trx.rollback().execute();
    }
  }

  async getCampaign(id: string): Promise<NoticeCampaign | undefined> {
    const r = (await this.db
      .selectFrom('notice_campaigns')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst()) as CampaignRow | undefined;
    return r ? campaignFromRow(r) : undefined;
  }

  async ensureCampaign(c: NoticeCampaign): Promise<NoticeCampaign> {
    await this.db
      .insertInto('notice_campaigns')
      .values({
        id: c.id,
        version_id: c.versionId,
        source_sha256: c.sourceSha256,
        created_at: c.createdAt,
        finished_at: null,
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
    return (await this.getCampaign(c.id))!;
  }

  async addRecipients(rows: readonly CampaignRecipient[]): Promise<number> {
    if (rows.length === 0) return 0;
    const col = <K extends keyof CampaignRecipient>(k: K) => rows.map((r) => r[k]);
    const r = await sql`
      INSERT INTO notice_campaign_recipients (campaign_id, account_id, line, email, email_hash,
        language, state, attempts, last_error, updated_at, sent_at)
      SELECT * FROM unnest(${col('campaignId')}::text[], ${col('accountId')}::text[],
        ${col('line')}::int[], ${col('email')}::text[], ${col('emailHash')}::text[],
        ${col('language')}::text[], ${col('state')}::text[], ${col('attempts')}::int[],
        ${col('lastError')}::text[], ${col('updatedAt')}::timestamptz[], ${col('sentAt')}::timestamptz[])
      ON CONFLICT (campaign_id, account_id) DO NOTHING`.execute(this.db);
    return Number(r.numAffectedRows ?? 0);
  }

  async alreadySent(versionId: string, accountIds: readonly string[]): Promise<string[]> {
    if (accountIds.length === 0) return [];
    const r = await sql<{ a: string }>`
      SELECT DISTINCT r.account_id AS a FROM notice_campaign_recipients r
        JOIN notice_campaigns c ON c.id = r.campaign_id
       WHERE r.account_id = ANY(${[...new Set(accountIds)]}::text[])
         AND r.state IN ('sent', 'bounced') AND c.version_id = ${versionId}`.execute(this.db);
    return r.rows.map((x) => x.a);
  }

  async bouncedBefore(emailHashes: readonly string[]): Promise<string[]> {
    if (emailHashes.length === 0) return [];
    const r = await sql<{ h: string }>`
      SELECT DISTINCT email_hash AS h FROM notice_campaign_recipients
       WHERE email_hash = ANY(${[...new Set(emailHashes)]}::text[]) AND state = 'bounced'`.execute(
      this.db,
    );
    return r.rows.map((x) => x.h);
  }

  async claimRecipients(
    campaignId: string,
    limit: number,
    at: string,
  ): Promise<CampaignRecipient[]> {
    // SKIP LOCKED: two runs of the same campaign never claim the same recipient.
    const r = await sql<RecipientRow>`
      UPDATE notice_campaign_recipients SET state = 'sending', attempts = attempts + 1,
             updated_at = ${at}::timestamptz
       WHERE (campaign_id, account_id) IN (
         SELECT campaign_id, account_id FROM notice_campaign_recipients
          WHERE campaign_id = ${campaignId} AND state = 'pending'
          ORDER BY line LIMIT ${limit} FOR UPDATE SKIP LOCKED)
      RETURNING *`.execute(this.db);
    return r.rows.map(recipientFromRow).sort((a, b) => a.line - b.line);
  }

  async markSent(
    campaignId: string,
    accountId: string,
    e: NoticeExposure,
    batch?: string,
  ): Promise<void> {
    await this.tx(async (trx) => {
      await trx
        .updateTable('notice_campaign_recipients')
        .set({
          state: 'sent',
          email: null,
          last_error: null,
          sent_at: e.shownAt,
          updated_at: e.recordedAt,
        })
        .where('campaign_id', '=', campaignId)
        .where('account_id', '=', accountId)
        .execute();
      await trx
        .insertInto('notice_exposures')
        .values({
          subject_key: e.subjectKey,
          version_id: e.versionId,
          channel: e.channel,
          shown_at: e.shownAt,
          language: e.language,
          acknowledged_at: null,
          source: e.source,
          recorded_at: e.recordedAt,
          batch_id: batch ?? null,
        })
        .onConflict((oc) =>
          oc.columns(['subject_key', 'version_id', 'channel', 'shown_at']).doNothing(),
        )
        .execute();
    });
  }

  async markUnsent(
    campaignId: string,
    accountId: string,
    state: 'failed' | 'uncertain' | 'pending',
    error: string,
    at: string,
  ): Promise<void> {
    await this.db
      .updateTable('notice_campaign_recipients')
      .set({ state, last_error: error.slice(0, 500), updated_at: at })
      .where('campaign_id', '=', campaignId)
      .where('account_id', '=', accountId)
      .execute();
  }

  async settleInterrupted(campaignId: string, at: string): Promise<number> {
    const r = await this.db
      .updateTable('notice_campaign_recipients')
      .set({
        state: 'uncertain',
        updated_at: at,
        last_error: 'interrupted while handing the message to the mail server',
      })
      .where('campaign_id', '=', campaignId)
      .where('state', '=', 'sending')
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  async requeue(
    campaignId: string,
    options: { maxAttempts: number; uncertain: boolean },
    at: string,
  ): Promise<number> {
    const states = options.uncertain ? ['failed', 'uncertain'] : ['failed'];
    const r = await this.db
      .updateTable('notice_campaign_recipients')
      .set({ state: 'pending', updated_at: at })
      .where('campaign_id', '=', campaignId)
      .where('email', 'is not', null)
      .where('attempts', '<', options.maxAttempts)
      .where('state', 'in', states)
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  async counts(campaignId: string): Promise<CampaignCounts> {
    const out = emptyCounts();
    const rows = await this.db
      .selectFrom('notice_campaign_recipients')
      .select((eb) => ['state', eb.fn.countAll().as('n')])
      .where('campaign_id', '=', campaignId)
      .groupBy('state')
      .execute();
    for (const r of rows) out[r.state as RecipientState] = Number(r.n);
    return out;
  }

  async recipients(campaignId: string, state?: RecipientState): Promise<CampaignRecipient[]> {
    let q = this.db
      .selectFrom('notice_campaign_recipients')
      .selectAll()
      .where('campaign_id', '=', campaignId);
    if (state) q = q.where('state', '=', state);
    const rows = (await q.orderBy('line').execute()) as RecipientRow[];
    return rows.map(recipientFromRow);
  }

  async finishCampaign(id: string, at: string): Promise<void> {
    await this.db
      .updateTable('notice_campaigns')
      .set({ finished_at: at })
      .where('id', '=', id)
      .execute();
  }

  async recordBounce(
    match: { campaignId?: string; accountId?: string; emailHash?: string },
    reason: string,
    at: string,
  ): Promise<CampaignRecipient[]> {
    return this.tx(async (trx) => {
      let q = trx
        .selectFrom('notice_campaign_recipients as r')
        .innerJoin('notice_campaigns as c', 'c.id', 'r.campaign_id')
        .selectAll('r')
        .select('c.version_id')
        .where('r.state', '=', 'sent');
      if (match.campaignId) q = q.where('r.campaign_id', '=', match.campaignId);
      if (match.accountId) q = q.where('r.account_id', '=', match.accountId);
      if (match.emailHash) q = q.where('r.email_hash', '=', match.emailHash);
      const rows = (await q.forUpdate().execute()) as (RecipientRow & { version_id: string })[];
      for (const r of rows) {
        await trx
          .updateTable('notice_campaign_recipients')
          .set({ state: 'bounced', last_error: reason.slice(0, 500), updated_at: at })
          .where('campaign_id', '=', r.campaign_id)
          .where('account_id', '=', r.account_id)
          .execute();
        await trx
          .updateTable('notice_exposures')
          .set({ voided_at: at })
          .where('subject_key', '=', `acct:${r.account_id}`)
          .where('version_id', '=', r.version_id)
          .where('channel', '=', 'email')
          .where('source', '=', `campaign:${r.campaign_id}`)
          .where('voided_at', 'is', null)
          .execute();
      }
      return rows.map((r) =>
        recipientFromRow({ ...r, state: 'bounced', last_error: reason, updated_at: at }),
      );
    });
  }

  private async withTexts(row: VersionRow): Promise<NoticeVersion> {
    const texts = (await this.db
      .selectFrom('notice_texts')
      .selectAll()
      .where('version_id', '=', row.id)
      .orderBy('language')
      .execute()) as TextRow[];
    return versionFromRows(row, texts);
  }
}

function translate(err: unknown): unknown {
  const e = err as { code?: string; message?: string; constraint?: string };
  if (e?.code === '23505' && e.constraint?.startsWith('notice_versions'))
    return new NoticeVersionTaken(e.message ?? 'notice version exists');
  if (e?.code === 'P0001' && e.message?.includes('immutable once published'))
    return new NoticeImmutable(e.message);
  return err;
}
