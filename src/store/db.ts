// The typed layer over raw.ts: one query(sql, params) and a withDb(path, fn) that always closes.
import type { DuckDBValue } from '@duckdb/node-api';
import { inputError } from '../errors.js';
import { rawClose, rawOpen, rawRun, type RawDb } from './raw.js';

/** An open database handle (pass it to query / writeTable). */
export type Db = RawDb;

/** A plain JS value from a result cell (BIGINT becomes number when safe, else a decimal string). */
export type CellValue = string | number | boolean | null;

/** A query's column names and rows (objects keyed by column name). */
export interface QueryResult {
  columns: string[];
  rows: Record<string, CellValue>[];
}

function toCell(v: unknown): CellValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  if (v instanceof Date) return v.toISOString();
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? Number(x) : x));
}

/** Run SQL with positional parameters ($1, $2 … or ?) and return every row as plain JS values. */
export async function query(db: Db, sql: string, params: DuckDBValue[] = []): Promise<QueryResult> {
  const reader = await rawRun(db, sql, params.length > 0 ? params : undefined);
  const columns = reader.columnNames();
  const rows = reader.getRowsJS().map((r) => {
    const o: Record<string, CellValue> = {};
    columns.forEach((c, i) => { o[c] = toCell(r[i]); });
    return o;
  });
  return { columns, rows };
}

/** Open the database at path, run fn with it, and close it in `finally`. */
export async function withDb<T>(path: string, fn: (db: Db) => Promise<T>, opts: { readOnly?: boolean } = {}): Promise<T> {
  let db: Db;
  try {
    db = await rawOpen(path, opts.readOnly ?? false);
  } catch (err) {
    throw inputError(`${path}: cannot open the DuckDB database (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`, err);
  }
  try {
    return await fn(db);
  } finally {
    rawClose(db);
  }
}
