import { runtimeError } from '../errors.js';
import { decodeToF32 } from './codec.js';
import { bytesPerElement, type MathDtype } from './dtypes.js';
import { loraWeightsRange } from './lora.js';
import type { RowGather, TensorLocation, VocabFill } from './tensor-source.js';
import type { OpenFiles } from './open-files.js';

export type { RowGather, TensorLocation, VocabFill } from './tensor-source.js';

/**
 * The raw little-endian bytes of elements [start, start+count) of a tensor, in its dtype, into dst[0..):
 * the one read path of the merge engine, the analyzer and TensorReader. Virtual LoRA tensors are computed
 * here (F32 bytes of base + scale·B·A), so every consumer sees adapters as ordinary F32 fine-tunes.
 * Returns the byte count written.
 */
export function readTensorBytes(t: TensorLocation, start: number, count: number, dst: Uint8Array, files: OpenFiles): number {
  const bpe = bytesPerElement(t.dtype);
  const len = count * bpe;
  if (dst.length < len) throw runtimeError(`internal: a ${dst.length}-byte buffer for ${count} elements of "${t.name}"`);
  if (t.vocab) return readVocabView(t, t.vocab, start, count, dst, files);
  if (t.rows) return readRowGather(t, t.rows, start, count, dst, files);
  if (!t.lora) {
    files.readAt(t.file, t.byteOffset + start * bpe, dst.subarray(0, len), `tensor "${t.name}"`, t.fileId);
    return len;
  }
  if (t.dtype !== 'F32') throw runtimeError(`internal: virtual LoRA tensor "${t.name}" must be F32`);
  if (dst.byteOffset % 4 === 0) {
    loraWeightsRange(t.lora, start, count, new Float32Array(dst.buffer, dst.byteOffset, count), files);
  } else {
    const tmp = new Float32Array(count);
    loraWeightsRange(t.lora, start, count, tmp, files);
    dst.set(new Uint8Array(tmp.buffer, 0, len));
  }
  return len;
}

/** Elements [start, start+count) of a vocabulary-aligned view: the fine-tune's own prefix, then the base's rows. */
function readVocabView(t: TensorLocation, v: VocabFill, start: number, count: number, dst: Uint8Array, files: OpenFiles): number {
  const bpe = bytesPerElement(t.dtype);
  const own: TensorLocation = { name: t.name, file: t.file, byteOffset: t.byteOffset, dtype: v.ownDtype };
  if (t.fileId !== undefined) own.fileId = t.fileId;
  if (t.lora) own.lora = t.lora;
  const ownCount = Math.max(0, Math.min(start + count, v.ownElements) - start);
  if (ownCount > 0) readAs(own, t.dtype, start, ownCount, dst, files);
  if (ownCount < count) readAs(v.base, t.dtype, start + ownCount, count - ownCount, dst.subarray(ownCount * bpe), files);
  return count * bpe;
}

/** Read elements of `src` as dtype `as` (the same dtype: raw bytes; else F32, decoded from src's dtype). */
function readAs(src: TensorLocation, as: MathDtype, start: number, count: number, dst: Uint8Array, files: OpenFiles): void {
  if (src.dtype === as) {
    readTensorBytes(src, start, count, dst, files);
    return;
  }
  if (as !== 'F32') throw runtimeError(`internal: vocabulary view of "${src.name}" must be F32 when its models' dtypes differ`);
  const raw = new Uint8Array(count * bytesPerElement(src.dtype));
  readTensorBytes(src, start, count, raw, files);
  const f32 = new Float32Array(count);
  decodeToF32(src.dtype, raw, f32, count);
  dst.set(new Uint8Array(f32.buffer, 0, count * 4));
}

/** Elements [start, start+count) of a row-gathered view, as F32 bytes. */
function readRowGather(t: TensorLocation, g: RowGather, start: number, count: number, dst: Uint8Array, files: OpenFiles): number {
  if (t.dtype !== 'F32') throw runtimeError(`internal: row-gathered view of "${t.name}" must be F32`);
  const out = new Float32Array(count);
  const row = new Float32Array(g.cols);
  const readRow = (src: TensorLocation, r: number): void => readAs(src, 'F32', r * g.cols, g.cols, new Uint8Array(row.buffer), files);
  let done = 0;
  while (done < count) {
    const e = start + done;
    const r = Math.floor(e / g.cols);
    const c0 = e - r * g.cols;
    const n = Math.min(g.cols - c0, count - done);
    const from = g.rows[r]!;
    if (from >= 0) {
      readRow(g.own, from);
      out.set(row.subarray(c0, c0 + n), done);
    } else {
      const srcs = g.defaults[-1 - from]!;
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
