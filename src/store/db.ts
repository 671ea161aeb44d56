// The typed layer over raw.ts: one query(sql, params) and a withDb(path, fn) that always closes.
import type { DuckDBValue } from '@duckdb/node-api';
import { statSync } from 'node:fs';
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
    columns.forEach((c, i) => {
      o[c] = toCell(r[i]);
    });
    return o;
  });
  return { columns, rows };
}

/** Options of withDb. */
export interface WithDbOptions {
  /** Open read-only (every reader of an analysis dir does). */
  readOnly?: boolean;
  /** Directories the SQL may read or write files in (COPY … TO, read_parquet); none by default. */
  allowedDirs?: string[];
  /** DuckDB settings applied at open (SQL cannot change settings once the database is open). */
  settings?: Record<string, string>;
}

// A FIFO, socket or device in place of the database or its WAL would block DuckDB's open() forever: only a
// regular file (or nothing, for a database about to be created) is opened.
function checkFileType(file: string, what: string): void {
  let st;
  try {
    st = statSync(file);
  } catch {
    return;
  }
  if (!st.isFile())
    throw inputError(
      `${file}: ${what} is ${st.isDirectory() ? 'a directory' : st.isFIFO() ? 'a FIFO' : 'not a regular file'}; expected a DuckDB database file written by darekit`,
    );
}

/**
 * Open the database at path, run fn with it, and close it in `finally`. The database is locked down: its SQL
 * (views, macros, a user's query) cannot read or write files outside `allowedDirs`, reach the network, or load
 * or install extensions, and cannot change these settings.
 */
export async function withDb<T>(path: string, fn: (db: Db) => Promise<T>, opts: WithDbOptions = {}): Promise<T> {
  if (path !== ':memory:') {
    checkFileType(path, 'the database');
    checkFileType(`${path}.wal`, 'its write-ahead log');
  }
  let db: Db;
  try {
    db = await rawOpen(path, {
      readOnly: opts.readOnly ?? false,
      allowedDirs: opts.allowedDirs ?? [],
      ...(opts.settings ? { settings: opts.settings } : {}),
    });
  } catch (err) {
    throw inputError(`${path}: cannot open the DuckDB database (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`, err);
  }
  try {
    return await fn(db);
  } finally {
    rawClose(db);
  }
}
