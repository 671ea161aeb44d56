import type { ReadContext, ReadTensor } from '../read-context.js';
import type { RowsSource, TensorSource } from '../tensor-source.js';
import { readAs } from './convert.js';

/** Elements [start, start+count) of a row-gathered view, as F32 bytes. */
export function readRowsSource(src: RowsSource, start: number, count: number, dst: Uint8Array, ctx: ReadContext, read: ReadTensor): number {
  const out = new Float32Array(count);
  const row = new Float32Array(src.cols);
  const readRow = (from: TensorSource, r: number): void =>
    readAs(from, 'F32', r * src.cols, src.cols, new Uint8Array(row.buffer), ctx, read);
  let done = 0;
  while (done < count) {
    const e = start + done;
    const r = Math.floor(e / src.cols);
    const c0 = e - r * src.cols;
    const n = Math.min(src.cols - c0, count - done);
    const from = src.rows[r]!;
    if (from >= 0) {
      readRow(src.own, from);
      out.set(row.subarray(c0, c0 + n), done);
    } else {
      const srcs = src.defaults[-1 - from]!;
      const acc = new Float64Array(n);
      for (const s of srcs) {
        readRow(s.src, s.row);
        for (let j = 0; j < n; j++) acc[j]! += row[c0 + j]!;
      }
      for (let j = 0; j < n; j++) out[done + j] = srcs.length > 0 ? acc[j]! / srcs.length : 0;
    }
    done += n;
  }
  dst.set(new Uint8Array(out.buffer, 0, count * 4));
  return count * 4;
}
