import { rename, rm } from 'node:fs/promises';
import { type DuckDBConnection, DuckDBInstance, timestampTZValue } from '@duckdb/node-api';
import type { ObjectorAsOf } from '../domain/types.ts';
import { RegistryFileError } from './registry-file-error.ts';
import {
  checkSnapshotIdentity,
  type SnapshotIdentity,
  type SnapshotMeta,
  writeSnapshotFile,
} from './snapshot-file.ts';
import { SnapshotBody } from './subject-keys.ts';

/**
 * The objector set as a Parquet table, for platforms that filter their lake with their own
 * engine (Spark, Trino, DuckDB): one row per objector, sorted by subject key in byte order.
 *
 * | column         | type                      | meaning                                               |
 * |----------------|---------------------------|-------------------------------------------------------|
 * | `subject_key`  | VARCHAR (UTF8)            | `acct:<account id>` or `email:<hmac>`                 |
 * | `purpose`      | VARCHAR                   | the purpose of the objections (one value per file)    |
 * | `effective_at` | TIMESTAMP (UTC-adjusted)  | when the subject's objection took effect              |
 *
 * The file's key-value metadata says which snapshot it is: `veto.format`, `veto.snapshot.id`,
 * `veto.snapshot.purpose`, `veto.snapshot.asOf`, `veto.snapshot.count` and
 * `veto.snapshot.sha256`, the same hash as the snapshot file of the same set (sha256 of
 * `snapshotHashPrefix` of the id, purpose and cut-off, then `key\n` per key in order), so a
 * reader can recompute it from the metadata and the `subject_key` column and compare it with the
 * registry's record of the snapshot. Format v1's hash covered the keys alone: refused.
 */
export const SNAPSHOT_PARQUET_FORMAT = 'veto-snapshot-parquet/v2';

const KEY = {
  format: 'veto.format',
  id: 'veto.snapshot.id',
  purpose: 'veto.snapshot.purpose',
  asOf: 'veto.snapshot.asOf',
  count: 'veto.snapshot.count',
  sha256: 'veto.snapshot.sha256',
} as const;

function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

async function withDuckDB<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
  // One thread: the rows are written in the order they were appended (byte order of the keys).
  const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  const connection = await instance.connect();
  try {
    return await fn(connection);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/**
 * Writes the objector set `rows` (sorted in byte order of `subjectKey`, as the store gives them)
 * as a Parquet snapshot. Keys go through the snapshot file's checks and hash; a key out of order
 * or invalid aborts the write. Written to a temporary name and renamed into place.
 */
export async function writeSnapshotParquet(
  path: string,
  meta: SnapshotIdentity,
  rows: AsyncIterable<ObjectorAsOf> | Iterable<ObjectorAsOf>,
): Promise<SnapshotMeta> {
  checkSnapshotIdentity(meta, path);
  const tmp = `${path}.tmp-${process.pid}-${Date.now().toString(36)}`;
  try {
    return await withDuckDB(async (c) => {
      await c.run(
        'CREATE TABLE objectors (subject_key VARCHAR NOT NULL, purpose VARCHAR NOT NULL, effective_at TIMESTAMPTZ NOT NULL)',
      );
      const appender = await c.createAppender('objectors');
      const body = new SnapshotBody({ identity: meta });
      let previous: string | undefined;
      for await (const row of rows) {
        // The body skips a repeated key; so must the table.
        if (row.subjectKey === previous) continue;
        previous = row.subjectKey;
        const problem = body.add(row.subjectKey);
        if (problem) throw new RegistryFileError(path, problem);
        const ms = Date.parse(row.effectiveAt);
        if (Number.isNaN(ms)) {
          throw new RegistryFileError(
            path,
            `${row.subjectKey}: effective time "${row.effectiveAt}" is not an instant`,
          );
        }
        appender.appendVarchar(row.subjectKey);
        appender.appendVarchar(meta.purpose);
        appender.appendTimestampTZ(timestampTZValue(BigInt(ms) * 1000n));
        appender.endRow();
        // The body is only hashed here; its bytes are not kept.
        if (body.full) body.take();
      }
      const problem = body.end();
      if (problem) throw new RegistryFileError(path, problem);
      appender.closeSync();
      const result: SnapshotMeta = {
        id: meta.id,
        purpose: meta.purpose,
        asOf: meta.asOf,
        count: body.count,
        sha256: body.digest(),
      };
      const kv = [
        [KEY.format, SNAPSHOT_PARQUET_FORMAT],
        [KEY.id, result.id],
        [KEY.purpose, result.purpose],
        [KEY.asOf, result.asOf],
        [KEY.count, String(result.count)],
        [KEY.sha256, result.sha256],
      ]
        .map(([k, v]) => `${literal(k!)}: ${literal(v!)}`)
        .join(', ');
      await c.run(
        `COPY (SELECT * FROM objectors ORDER BY rowid) TO ${literal(tmp)} (FORMAT parquet, KV_METADATA {${kv}})`,
      );
      await rename(tmp, path);
      return result;
    });
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** The snapshot a Parquet snapshot says it is (its key-value metadata), not yet verified. */
export async function readSnapshotParquetHeader(path: string): Promise<SnapshotMeta> {
  return withDuckDB(async (c) => parquetHeader(c, path));
}

async function parquetHeader(c: DuckDBConnection, path: string): Promise<SnapshotMeta> {
  let rows: unknown[][];
  try {
    rows = (
      await c.runAndReadAll(
        `SELECT decode(key), decode(value) FROM parquet_kv_metadata(${literal(path)})`,
      )
    ).getRowsJS();
  } catch (err) {
    throw new RegistryFileError(path, `not a readable Parquet file (${(err as Error).message})`);
  }
  const kv = new Map(rows.map(([k, v]) => [String(k), String(v)]));
  if (kv.get(KEY.format) === 'veto-snapshot-parquet/v1') {
    throw new RegistryFileError(
      path,
      'Parquet snapshot format v1 is no longer read: its hash does not cover the snapshot id, purpose and cut-off; take a new snapshot (veto registry snapshot --format parquet)',
    );
  }
  if (kv.get(KEY.format) !== SNAPSHOT_PARQUET_FORMAT) {
    throw new RegistryFileError(
      path,
      `not a Veto Parquet snapshot (metadata ${KEY.format} is not "${SNAPSHOT_PARQUET_FORMAT}")`,
    );
  }
  const meta = {
    id: kv.get(KEY.id) ?? '',
    purpose: kv.get(KEY.purpose) ?? '',
    asOf: kv.get(KEY.asOf) ?? '',
    count: Number(kv.get(KEY.count)),
    sha256: kv.get(KEY.sha256) ?? '',
  };
  checkSnapshotIdentity(meta, path);
  if (!Number.isSafeInteger(meta.count) || meta.count < 0) {
    throw new RegistryFileError(path, `metadata ${KEY.count} must be a non-negative integer`);
  }
  if (!/^[0-9a-f]{64}$/.test(meta.sha256)) {
    throw new RegistryFileError(path, `metadata ${KEY.sha256} must be 64 lowercase hex digits`);
  }
  return meta;
}

/**
 * Turns a Parquet snapshot into a snapshot file (what the gate reads), verifying it on the way:
 * its metadata, one purpose, no empty value, the keys' rules and order, and that count and hash
 * recomputed from the keys are the ones its metadata states. Throws {@link RegistryFileError}.
 */
export async function snapshotFileFromParquet(
  source: string,
  target: string,
): Promise<SnapshotMeta> {
  return withDuckDB(async (c) => {
    const meta = await parquetHeader(c, source);
    const from = `read_parquet(${literal(source)})`;
    let stray: unknown[][];
    try {
      stray = (
        await c.runAndReadAll(
          `SELECT subject_key, purpose, effective_at FROM ${from}
            WHERE subject_key IS NULL OR effective_at IS NULL OR purpose IS DISTINCT FROM ${literal(meta.purpose)} LIMIT 1`,
        )
      ).getRowsJS();
    } catch (err) {
      throw new RegistryFileError(
        source,
        `columns subject_key, purpose, effective_at expected (${(err as Error).message})`,
      );
    }
    if (stray.length > 0) {
      throw new RegistryFileError(
        source,
        `a row with no subject key or effective time, or of another purpose than "${meta.purpose}": ${JSON.stringify(stray[0]?.map(String))}`,
      );
    }
    await c.run('SET preserve_insertion_order = true');
    const result = await c.stream(`SELECT subject_key FROM ${from}`);
    async function* keys(): AsyncGenerator<string> {
      for await (const rows of result.yieldRowsJs()) {
        for (const row of rows) yield row[0] as string;
      }
    }
    const written = await writeSnapshotFile(target, meta, keys());
    if (written.count !== meta.count || written.sha256 !== meta.sha256) {
      await rm(target, { force: true });
      throw new RegistryFileError(
        source,
        `metadata says ${meta.count} keys with sha256 ${meta.sha256}, the rows are ${written.count} keys with sha256 ${written.sha256}`,
      );
    }
    return meta;
  });
}
