// Generic tables: one column list drives the DuckDB DDL, the appender, the Arrow IPC file and the Parquet export.
import { Bool, Float64, Int32, Int64, Table, Utf8, tableToIPC, vectorFromArray, type DataType, type Vector } from 'apache-arrow';
import { runtimeError } from '../errors.js';
import { query, type Db } from './db.js';
import { rawAppender } from './raw.js';

/** Column types the store writes. */
export type ColumnType = 'VARCHAR' | 'DOUBLE' | 'BIGINT' | 'INTEGER' | 'BOOLEAN';

/** One column: its SQL name and type, and (for the README) its unit and meaning. */
export interface Column {
  name: string;
  type: ColumnType;
  unit?: string;
  doc?: string;
}

/** A row: values keyed by column name (undefined or null is SQL NULL; DOUBLE keeps NaN and ±Inf). */
export type Row = Record<string, string | number | boolean | null | undefined>;

/** Quote an SQL identifier. */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** SQL string literal. */
export function literal(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/**
 * Create (or replace) table `name` with `columns` and append `rows` through DuckDB's appender. Other modules
 * write their own tables this way, e.g. writeTable(db, 'predictions', rows, PREDICTION_COLUMNS).
 */
export async function writeTable(db: Db, name: string, rows: Row[], columns: Column[]): Promise<void> {
  await query(db, `CREATE OR REPLACE TABLE ${ident(name)} (${columns.map((c) => `${ident(c.name)} ${c.type}`).join(', ')})`);
  const app = await rawAppender(db, name);
  try {
    for (const row of rows) {
      for (const c of columns) {
        const v = row[c.name];
        if (v === null || v === undefined) { app.appendNull(); continue; }
        switch (c.type) {
          case 'VARCHAR': app.appendVarchar(String(v)); break;
          case 'DOUBLE': app.appendDouble(Number(v)); break;
          case 'BIGINT': app.appendBigInt(BigInt(Math.trunc(Number(v)))); break;
          case 'INTEGER': app.appendInteger(Number(v)); break;
          case 'BOOLEAN': app.appendBoolean(Boolean(v)); break;
        }
      }
      app.endRow();
    }
    app.flushSync();
  } catch (err) {
    throw runtimeError(`writing table ${name}: ${err instanceof Error ? err.message : String(err)}`, err);
  } finally {
    app.closeSync();
  }
}

const ARROW_TYPES: Record<ColumnType, () => DataType> = {
  VARCHAR: () => new Utf8(),
  DOUBLE: () => new Float64(),
  BIGINT: () => new Int64(),
  INTEGER: () => new Int32(),
  BOOLEAN: () => new Bool(),
};

/** The rows as an Arrow table with one typed vector per column (BIGINT → Int64). */
export function toArrowTable(rows: Row[], columns: Column[]): Table {
  const vectors: Record<string, Vector> = {};
  for (const c of columns) {
    const values = rows.map((r) => {
      const v = r[c.name];
      if (v === null || v === undefined) return null;
      if (c.type === 'BIGINT') return BigInt(Math.trunc(Number(v)));
      return v;
    });
    vectors[c.name] = vectorFromArray(values, ARROW_TYPES[c.type]());
  }
  return new Table(vectors);
}

/** Arrow IPC file bytes (the .arrow format) of the rows. */
export function toArrowIPC(rows: Row[], columns: Column[]): Uint8Array {
  return tableToIPC(toArrowTable(rows, columns), 'file');
}

/** Write table `name` to a Parquet file with DuckDB's built-in writer (zstd). */
export async function exportParquet(db: Db, name: string, file: string): Promise<void> {
  await query(db, `COPY ${ident(name)} TO ${literal(file)} (FORMAT parquet, COMPRESSION zstd)`);
}
