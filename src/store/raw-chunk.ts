// The raw layer for DuckDB data chunks: node-bindings calls that fill a chunk's vectors in bulk, one native call per
// column where the values are a typed array or one repeated string (node-api's setItem goes value by value).
import { createRequire } from 'node:module';
import { DuckDBDataChunk, type DuckDBType } from '@duckdb/node-api';

type Bindings = typeof import('@duckdb/node-bindings');
type RawVector = ReturnType<Bindings['data_chunk_get_vector']>;

// Loaded from node-api's own location so that chunks made here are the same native objects node-api appends.
const nodeApiPath = createRequire(import.meta.url).resolve('@duckdb/node-api');
const duckdb = createRequire(nodeApiPath)('@duckdb/node-bindings') as Bindings;

/** A numeric column's storage: DuckDB's DOUBLE, BIGINT, INTEGER and BOOLEAN (one byte per value) layouts. */
export type FixedWidthValues = Float64Array<ArrayBuffer> | BigInt64Array<ArrayBuffer> | Int32Array<ArrayBuffer> | Uint8Array<ArrayBuffer>;

/** duckdb_create_data_chunk: an empty chunk with these column types. */
export function rawChunk(types: readonly DuckDBType[]): DuckDBDataChunk {
  return DuckDBDataChunk.create(types);
}

/** duckdb_data_chunk_reset + duckdb_data_chunk_set_size: reuse the chunk for `rows` fresh rows (≤ the vector size). */
export function rawResetChunk(chunk: DuckDBDataChunk, rows: number): void {
  chunk.reset();
  chunk.rowCount = rows;
}

/** duckdb_data_chunk_get_vector. */
export function rawVector(chunk: DuckDBDataChunk, column: number): RawVector {
  return duckdb.data_chunk_get_vector(chunk.chunk, column);
}

/** Copy values[start, start + count) into rows 0 … count−1 of the vector (the chunk holds ≥ count rows). */
export function rawCopyValues(vector: RawVector, values: FixedWidthValues, start: number, count: number): void {
  const width = values.BYTES_PER_ELEMENT;
  duckdb.copy_data_to_vector(vector, 0, values.buffer, values.byteOffset + start * width, count * width);
}

/** duckdb_vector_ensure_validity_writable + copy: the vector's validity mask from LSB-first bits (1 = valid). */
export function rawCopyValidity(vector: RawVector, bits: Uint8Array<ArrayBuffer>): void {
  duckdb.vector_ensure_validity_writable(vector);
  duckdb.copy_data_to_vector_validity(vector, 0, bits.buffer, bits.byteOffset, bits.byteLength);
}

/** duckdb_vector_reference_value: every row of the vector is the string s (a constant vector). */
export function rawConstantString(vector: RawVector, s: string): void {
  duckdb.vector_reference_value(vector, duckdb.create_varchar(s));
}

/** duckdb_vector_assign_string_element. */
export function rawAssignString(vector: RawVector, row: number, s: string): void {
  duckdb.vector_assign_string_element(vector, row, s);
}
