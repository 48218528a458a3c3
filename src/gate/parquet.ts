import { DuckDBInstance } from '@duckdb/node-api';

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
  fn: (run: (sql: string) => Promise<void>) => Promise<T>,
): Promise<T> {
  const instance = await DuckDBInstance.create(':memory:', { threads: String(threads) });
  const connection = await instance.connect();
  try {
    return await fn(async (sql) => {
      await connection.run(sql);
    });
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
