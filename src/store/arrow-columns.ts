// Arrow vectors straight from column form: typed arrays become Arrow buffers without a per-value builder.
import { Bool, Float64, Int32, Int64, Table, Utf8, makeData, makeVector, tableToIPC, type Data, type Vector } from 'apache-arrow';
import { packBits, type ColumnData, type ColumnTable } from './column-data.js';

function nullBitmap(d: ColumnData, length: number): Uint8Array | undefined {
  const valid = d.valid;
  return valid === null ? undefined : packBits(length, (i) => valid[i] === 1);
}

// Utf8 as value offsets plus one UTF-8 byte run (NULL slots hold '', adding no bytes). Each run of equal strings
// (model, scope and tensor names repeat for hundreds of rows) is encoded once and its bytes repeated; encoding
// string by string keeps a lone surrogate at a string's edge from pairing with its neighbour's.
function utf8Buffers(values: string[]): { valueOffsets: Int32Array; data: Uint8Array } {
  const n = values.length;
  const valueOffsets = new Int32Array(n + 1);
  let width = 0;
  for (let i = 0; i < n; i++) {
    if (i === 0 || values[i] !== values[i - 1]) width = Buffer.byteLength(values[i]!, 'utf8');
    valueOffsets[i + 1] = valueOffsets[i]! + width;
  }
  const data = new Uint8Array(valueOffsets[n]!);
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  for (let i = 0; i < n;) {
    let j = i + 1;
    while (j < n && values[j] === values[i]) j++;
    const start = valueOffsets[i]!;
    const total = valueOffsets[j]! - start;
    let filled = bytes.write(values[i]!, start, 'utf8');
    // Double the filled prefix until the run's bytes are complete.
    while (filled > 0 && filled < total) {
      const count = Math.min(filled, total - filled);
      bytes.copyWithin(start + filled, start, start + count);
      filled += count;
    }
    i = j;
  }
  return { valueOffsets, data };
}

function arrowData(d: ColumnData, length: number): Data {
  const common = { length, nullCount: d.nullCount, nullBitmap: nullBitmap(d, length) };
  switch (d.type) {
    case 'VARCHAR':
      return makeData({ type: new Utf8(), ...common, ...utf8Buffers(d.values) });
    case 'DOUBLE':
      return makeData({ type: new Float64(), ...common, data: d.values });
    case 'BIGINT':
      return makeData({ type: new Int64(), ...common, data: d.values });
    case 'INTEGER':
      return makeData({ type: new Int32(), ...common, data: d.values });
    case 'BOOLEAN': {
      const values = d.values;
      return makeData({ type: new Bool(), ...common, data: packBits(length, (i) => values[i] === 1) });
    }
  }
}

/** The column table as an Arrow table, one vector per column (VARCHAR → Utf8, BIGINT → Int64, NULL → null). */
export function arrowTableOf(t: ColumnTable): Table {
  const vectors: Record<string, Vector> = {};
  t.columns.forEach((c, i) => {
    vectors[c.name] = makeVector(arrowData(t.data[i]!, t.length));
  });
  return new Table(vectors);
}

/** Arrow IPC file bytes (the .arrow format) of the column table. */
export function arrowIPCOf(t: ColumnTable): Uint8Array {
  return tableToIPC(arrowTableOf(t), 'file');
}
