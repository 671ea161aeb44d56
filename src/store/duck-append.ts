// Appending a column table to DuckDB in data chunks. Fixed-width columns are copied one slice per chunk; strings
// cost one native call each, so chunks end where a run of repeated strings ends (model, scope and tensor names in
// the histograms repeat for hundreds of rows) and such a run goes in as one constant vector.
import { BIGINT, BOOLEAN, DOUBLE, DuckDBVector, INTEGER, VARCHAR, type DuckDBAppender, type DuckDBType } from '@duckdb/node-api';
import { packBits, type ColumnData, type ColumnTable } from './column-data.js';
import { rawAssignString, rawChunk, rawResetChunk, rawConstantString, rawCopyValidity, rawCopyValues, rawVector } from './raw-chunk.js';
import type { ColumnType } from './columns.js';

const DUCK_TYPES: Record<ColumnType, DuckDBType> = { VARCHAR, DOUBLE, BIGINT, INTEGER, BOOLEAN };

// A stretch of rows whose strings all repeat is appended as constant vectors when it is at least this long;
// shorter stretches are gathered into one chunk with strings set row by row.
const MIN_RUN = 64;

type StringColumn = Extract<ColumnData, { type: 'VARCHAR' }>;

const isNull = (d: ColumnData, i: number): boolean => d.valid !== null && d.valid[i] === 0;

// The first row in (start, limit] whose value (or nullness) differs from row start's.
function columnRunEnd(d: StringColumn, start: number, limit: number): number {
  const s = d.values[start]!;
  const startNull = isNull(d, start);
  let i = start + 1;
  while (i < limit && d.values[i] === s && isNull(d, i) === startNull) i++;
  return i;
}

// The first row in (start, limit] where any of the string columns changes.
function runEnd(strings: StringColumn[], start: number, limit: number): number {
  let end = limit;
  for (const d of strings) end = columnRunEnd(d, start, end);
  return end;
}

// Row ranges [start, end) of at most chunkRows rows each: whole runs of repeated strings, or gathered short runs.
function chunkRanges(strings: StringColumn[], length: number, chunkRows: number): [number, number][] {
  const ranges: [number, number][] = [];
  for (let start = 0; start < length;) {
    const limit = Math.min(length, start + chunkRows);
    let end = runEnd(strings, start, limit);
    if (end - start < MIN_RUN) {
      while (end < limit) {
        const next = runEnd(strings, end, limit);
        if (next - end >= MIN_RUN) break;
        end = next;
      }
    }
    ranges.push([start, end]);
    start = end;
  }
  return ranges;
}

// Validity bits of rows [start, start + count), in whole 64-bit words as DuckDB's mask is.
function validityBits(valid: Uint8Array, start: number, count: number): Uint8Array<ArrayBuffer> {
  return packBits(count, (i) => valid[start + i] === 1, ((count + 63) >> 6) << 3);
}

function hasNull(d: ColumnData, start: number, count: number): boolean {
  if (d.valid === null) return false;
  for (let i = start; i < start + count; i++) if (d.valid[i] === 0) return true;
  return false;
}

function fillColumn(chunk: ReturnType<typeof rawChunk>, column: number, d: ColumnData, start: number, count: number): void {
  const vector = rawVector(chunk, column);
  if (d.type !== 'VARCHAR') {
    rawCopyValues(vector, d.values, start, count);
  } else if (!isNull(d, start) && columnRunEnd(d, start, start + count) === start + count) {
    rawConstantString(vector, d.values[start]!);
    return;
  } else {
    for (let i = 0; i < count; i++) if (!isNull(d, start + i)) rawAssignString(vector, i, d.values[start + i]!);
  }
  if (hasNull(d, start, count)) rawCopyValidity(vector, validityBits(d.valid!, start, count));
}

/** Append every row of t through the appender (whose table has t's columns, in order), chunk by chunk. */
export function appendColumnTable(appender: DuckDBAppender, t: ColumnTable): void {
  const types = t.columns.map((c) => DUCK_TYPES[c.type]);
  const strings = t.data.filter((d): d is StringColumn => d.type === 'VARCHAR');
  const chunk = rawChunk(types);
  for (const [start, end] of chunkRanges(strings, t.length, DuckDBVector.standardSize())) {
    rawResetChunk(chunk, end - start);
    t.data.forEach((d, c) => fillColumn(chunk, c, d, start, end - start));
    appender.appendDataChunk(chunk);
  }
}
