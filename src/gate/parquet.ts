import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';

/**
 * Parquet in and out through DuckDB (`@duckdb/node-api`). Parquet input is converted to JSONL
 * first and then judged by the same code as JSONL input, so both formats get exactly the same
 * rules; the "line" of a Parquet record in rejects and decisions is its 1-based row number.
 * DuckDB writes timestamps as `YYYY-MM-DD HH:MM:SS`, which the gate reads as UTC.
 */
function literal(path: string): string {
  return `'${path.replaceAll("'", "''")}'`;
}

async function withDuckDB<T>(
  threads: number,
  fn: (run: (sql: string) => Promise<void>, connection: DuckDBConnection) => Promise<T>,
): Promise<T> {
  const instance = await DuckDBInstance.create(':memory:', { threads: String(threads) });
  const connection = await instance.connect();
  try {
    return await fn(async (sql) => {
      await connection.run(sql);
    }, connection);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** Rows of a Parquet file as JSONL, in file order. */
export async function parquetToJsonl(source: string, target: string, threads = 2): Promise<void> {
  await withDuckDB(threads, async (run) => {
    await run('SET preserve_insertion_order = true');
    await run(
      `COPY (SELECT * FROM read_parquet(${literal(source)})) TO ${literal(target)} (FORMAT json)`,
    );
  });
}

/** One row group of a Parquet file: its rows, and the bytes its column chunks span. */
export interface ParquetRowGroup {
  rows: number;
  start: number;
  end: number;
}

/**
 * A Parquet file's row groups in file order, from its footer (DuckDB's `parquet_metadata`). Why
 * the byte spans: a shard of row groups is checked against the bytes its rows come from.
 */
export async function parquetRowGroups(path: string): Promise<ParquetRowGroup[]> {
  return withDuckDB(1, async (_run, connection) => {
    const result = await connection.runAndReadAll(
      `SELECT row_group_id, any_value(row_group_num_rows) AS n,
              min(coalesce(dictionary_page_offset, data_page_offset)) AS s,
              max(coalesce(dictionary_page_offset, data_page_offset) + total_compressed_size) AS e
       FROM parquet_metadata(${literal(path)}) GROUP BY row_group_id ORDER BY row_group_id`,
    );
    return result.getRowObjects().map((r) => ({
      rows: Number(r.n),
      start: Number(r.s),
      end: Number(r.e),
    }));
  });
}

/**
 * Rows `[firstRow, firstRow + rows)` of a Parquet file as JSONL: the very lines
 * {@link parquetToJsonl} writes for them (same writer, file order), so a shard of a Parquet input
 * is judged on the bytes one process judges.
 */
export async function parquetRowsToJsonl(
  source: string,
  target: string,
  firstRow: number,
  rows: number,
  threads = 1,
): Promise<void> {
  await withDuckDB(threads, async (run) => {
    await run('SET preserve_insertion_order = true');
    await run(
      `COPY (SELECT * EXCLUDE (file_row_number) FROM read_parquet(${literal(source)}, file_row_number = true)
             WHERE file_row_number >= ${firstRow} AND file_row_number < ${firstRow + rows}
             ORDER BY file_row_number) TO ${literal(target)} (FORMAT json)`,
    );
  });
}

/**
 * The kept JSONL records as a Parquet file. One thread and insertion order preserved, so the same
 * input gives the same bytes.
 */
export async function jsonlToParquet(source: string, target: string): Promise<void> {
  await withDuckDB(1, async (run) => {
    await run('SET preserve_insertion_order = true');
    await run(
      `COPY (SELECT * FROM read_json(${literal(source)}, format = 'newline_delimited', sample_size = -1)) TO ${literal(target)} (FORMAT parquet)`,
    );
  });
}

/**
 * A Parquet file with no rows and the given text columns: the output of a Parquet run that kept
 * nothing (DuckDB cannot infer a schema from an empty JSONL file). The columns are the record
 * schema's required fields, so a reader of the dataset finds the shape it expects.
 */
export async function emptyParquet(target: string, columns: readonly string[]): Promise<void> {
  const list = columns.map((c) => `NULL::VARCHAR AS "${c.replaceAll('"', '""')}"`).join(', ');
  await withDuckDB(1, async (run) => {
    await run(`COPY (SELECT ${list} WHERE false) TO ${literal(target)} (FORMAT parquet)`);
  });
}

/** A Parquet file with no rows and the columns of `source` (a Parquet file). */
export async function emptyParquetLike(source: string, target: string): Promise<void> {
  await withDuckDB(1, async (run) => {
    await run(
      `COPY (SELECT * FROM read_parquet(${literal(source)}) LIMIT 0) TO ${literal(target)} (FORMAT parquet)`,
    );
  });
}
