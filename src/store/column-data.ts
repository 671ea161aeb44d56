// Column form of a table: one typed array per column, built once and read by both the Arrow writer and the
// DuckDB appender (Parquet is exported from DuckDB), so no writer converts row objects value by value.
import { runtimeError } from '../errors.js';
import type { Column, Row } from './columns.js';

/** A cell as rows hold it (undefined or null is SQL NULL). */
export type Cell = Row[string];

interface Nulls {
  /** valid[i] is 1 when row i has a value, 0 when it is NULL; null when no row is NULL. */
  valid: Uint8Array | null;
  nullCount: number;
}

/** One column's values in typed storage; NULL slots hold 0, false or ''. */
export type ColumnData =
  | (Nulls & { type: 'VARCHAR'; values: string[] })
  | (Nulls & { type: 'DOUBLE'; values: Float64Array<ArrayBuffer> })
  | (Nulls & { type: 'BIGINT'; values: BigInt64Array<ArrayBuffer> })
  | (Nulls & { type: 'INTEGER'; values: Int32Array<ArrayBuffer> })
  | (Nulls & { type: 'BOOLEAN'; values: Uint8Array<ArrayBuffer> });

/** A table in column form: its columns, its row count and one ColumnData per column (same order). */
export interface ColumnTable {
  columns: Column[];
  length: number;
  data: ColumnData[];
}

// NULL bookkeeping while a column is filled: valid stays null until the first NULL cell.
class NullTracker implements Nulls {
  valid: Uint8Array | null = null;
  nullCount = 0;
  constructor(private readonly length: number) {}
  /** Record row i as NULL. */
  mark(i: number): void {
    this.valid ??= new Uint8Array(this.length).fill(1);
    this.valid[i] = 0;
    this.nullCount++;
  }
}

function toInt64(column: Column, v: string | number | boolean): bigint {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
  const n = Math.trunc(Number(v));
  if (!Number.isFinite(n))
    throw runtimeError(`column ${column.name} (BIGINT): ${String(v)} is not an integer; write NULL for a missing count`);
  return BigInt(n);
}

/** One column's cells cellOf(item) converted as the store writes them: String, Number, BigInt(trunc), Boolean. */
export function columnData<T>(column: Column, items: readonly T[], cellOf: (item: T) => Cell): ColumnData {
  const length = items.length;
  const n = new NullTracker(length);
  // visit every non-NULL cell, marking the NULL ones
  const each = (set: (i: number, v: string | number | boolean) => void): void => {
    for (let i = 0; i < length; i++) {
      const v = cellOf(items[i]!);
      if (v === null || v === undefined) n.mark(i);
      else set(i, v);
    }
  };
  switch (column.type) {
    case 'VARCHAR': {
      // A repeat of the previous string reuses its object, so later run checks compare references, not contents.
      const values = new Array<string>(length).fill('');
      let previous = '';
      each((i, v) => {
        const s = String(v);
        previous = s === previous ? previous : s;
        values[i] = previous;
      });
      return { type: 'VARCHAR', values, valid: n.valid, nullCount: n.nullCount };
    }
    case 'DOUBLE': {
      const values = new Float64Array(length);
      each((i, v) => {
        values[i] = Number(v);
      });
      return { type: 'DOUBLE', values, valid: n.valid, nullCount: n.nullCount };
    }
    case 'BIGINT': {
      const values = new BigInt64Array(length);
      each((i, v) => {
        values[i] = toInt64(column, v);
      });
      return { type: 'BIGINT', values, valid: n.valid, nullCount: n.nullCount };
    }
    case 'INTEGER': {
      const values = new Int32Array(length);
      each((i, v) => {
        values[i] = Number(v);
      });
      return { type: 'INTEGER', values, valid: n.valid, nullCount: n.nullCount };
    }
    case 'BOOLEAN': {
      const values = new Uint8Array(length);
      each((i, v) => {
        values[i] = v ? 1 : 0;
      });
      return { type: 'BOOLEAN', values, valid: n.valid, nullCount: n.nullCount };
    }
  }
}

/** LSB-first bits (bit i in byte i >> 3, as Arrow and DuckDB store validity), in byteLength bytes (≥ the bits). */
export function packBits(length: number, isSet: (i: number) => boolean, byteLength = (length + 7) >> 3): Uint8Array<ArrayBuffer> {
  const bits = new Uint8Array(byteLength);
  for (let i = 0; i < length; i++) if (isSet(i)) bits[i >> 3]! |= 1 << (i & 7);
  return bits;
}

/** A ColumnTable with one row per item, whose column c holds getter(c)(item). */
export function columnTable<T, C extends Column>(columns: C[], items: readonly T[], getter: (column: C) => (item: T) => Cell): ColumnTable {
  return { columns, length: items.length, data: columns.map((c) => columnData(c, items, getter(c))) };
}

/** Row objects in column form. */
export function columnsFromRows(rows: Row[], columns: Column[]): ColumnTable {
  return columnTable(columns, rows, (c) => (r) => r[c.name]);
}
