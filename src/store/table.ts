// Generic tables: one column list drives the DuckDB DDL, the appender, the Arrow IPC file and the Parquet export.
// Rows are turned into column form (column-data.ts) once; the Arrow and DuckDB writers read that.
import type { Table } from 'apache-arrow';
import { runtimeError } from '../errors.js';
import { arrowIPCOf, arrowTableOf } from './arrow-columns.js';
import { columnsFromRows, type ColumnTable } from './column-data.js';
import { query, type Db } from './db.js';
import { appendColumnTable } from './duck-append.js';
import { rawAppender } from './raw.js';
import type { Column, Row } from './columns.js';

export type { Column, ColumnType, Row } from './columns.js';

/** Quote an SQL identifier. */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** SQL string literal. */
export function literal(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

function columnDefs(columns: Column[]): string {
  return columns.map((c) => `${ident(c.name)} ${c.type}`).join(', ');
}

/** Create (or replace) table `name` with the column table's columns and append its rows in data chunks. */
export async function writeColumnTable(db: Db, name: string, t: ColumnTable): Promise<void> {
  await query(db, `CREATE OR REPLACE TABLE ${ident(name)} (${columnDefs(t.columns)})`);
  const app = await rawAppender(db, name);
  try {
    appendColumnTable(app, t);
    app.flushSync();
  } catch (err) {
    throw runtimeError(`writing table ${name}: ${err instanceof Error ? err.message : String(err)}`, err);
  } finally {
    app.closeSync();
  }
}

/**
 * Create (or replace) table `name` with `columns` and append `rows` through DuckDB's appender. Other modules
 * write their own tables this way, e.g. writeTable(db, 'predictions', rows, PREDICTION_COLUMNS).
 */
export async function writeTable(db: Db, name: string, rows: Row[], columns: Column[]): Promise<void> {
  await writeColumnTable(db, name, columnsFromRows(rows, columns));
}

/** The rows as an Arrow table with one typed vector per column (BIGINT → Int64). */
export function toArrowTable(rows: Row[], columns: Column[]): Table {
  return arrowTableOf(columnsFromRows(rows, columns));
}

/** Arrow IPC file bytes (the .arrow format) of the rows. */
export function toArrowIPC(rows: Row[], columns: Column[]): Uint8Array {
  return arrowIPCOf(columnsFromRows(rows, columns));
}

/** The COPY statement that writes table `name` to a Parquet file with DuckDB's built-in writer (zstd). */
export function parquetCopySql(name: string, file: string): string {
  return `COPY ${ident(name)} TO ${literal(file)} (FORMAT parquet, COMPRESSION zstd)`;
}

/** Write table `name` to a Parquet file with DuckDB's built-in writer (zstd). */
export async function exportParquet(db: Db, name: string, file: string): Promise<void> {
  await query(db, parquetCopySql(name, file));
}
