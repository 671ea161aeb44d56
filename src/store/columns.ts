// The store's column and row types: the one column list drives the DDL, the appender, Arrow and Parquet.

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
