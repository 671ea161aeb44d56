// The reader of virtual LoRA tensors: f32(base + scale·B·A) for any element range, rows of B against A.
import { decodeToF32, decodeToF64 } from '../codec.js';
import { bytesPerElement } from '../dtypes.js';
import type { ReadContext } from '../read-context.js';
import type { LoraMatrixRef, LoraSource } from '../tensor-source.js';

/** Most elements of B read at once (a few rows at a time), so memory does not grow with the rank. */
const LORA_B_BLOCK_ELEMENTS = 1 << 20;

function readMatrixRows(ctx: ReadContext, m: LoraMatrixRef, row0: number, rows: number): Float64Array {
  const bpe = bytesPerElement(m.dtype);
  const n = rows * m.cols;
  const raw = new Uint8Array(n * bpe);
  ctx.files.readAt(m.file, m.byteOffset + row0 * m.cols * bpe, raw, `tensor "${m.name}"`, m.fileId);
  const out = new Float64Array(n);
  decodeToF64(m.dtype, raw, out, n);
  return out;
}

// The whole of A, decoded once: float32 holds F32/F16/BF16 values exactly (half of float64's memory).
function readWholeA(ctx: ReadContext, m: LoraMatrixRef): Float32Array | Float64Array {
  if (m.dtype === 'F64') return readMatrixRows(ctx, m, 0, m.rows);
  const n = m.rows * m.cols;
  const bpe = bytesPerElement(m.dtype);
  const out = new Float32Array(n);
  // decoded a block at a time: the raw bytes never exist whole beside the decoded matrix
  const raw = new Uint8Array(Math.min(n, LORA_B_BLOCK_ELEMENTS) * bpe);
  for (let at = 0; at < n; at += LORA_B_BLOCK_ELEMENTS) {
    const len = Math.min(LORA_B_BLOCK_ELEMENTS, n - at);
    const part = raw.subarray(0, len * bpe);
    ctx.files.readAt(m.file, m.byteOffset + at * bpe, part, `tensor "${m.name}"`);
    decodeToF32(m.dtype, part, out.subarray(at, at + len), len);
  }
  return out;
}

/**
 * The scaled LoRA delta of elements [start, start+count) (row-major in the base tensor) into out[0..count):
 * out = f32(scale · Σₖ B[i,k]·A[k,j]), the sum in float64 in k order. Reads B's rows of the range a block at a
 * time (A is cached), so memory does not grow with the rank beyond the limits checked at open.
 */
export function loraDeltaRange(src: LoraSource, start: number, count: number, out: Float32Array, ctx: ReadContext): void {
  if (count === 0) return;
  const { a, b, scale } = src;
  const cols = a.cols;
  const r = a.rows;
  const A = ctx.math.get(`lora-A:${a.file}:${a.byteOffset}`, () => readWholeA(ctx, a));
  const row0 = Math.floor(start / cols);
  const row1 = Math.floor((start + count - 1) / cols);
  const blockRows = Math.max(1, Math.floor(LORA_B_BLOCK_ELEMENTS / r));
  const acc = new Float64Array(cols);
  let pos = 0;
  for (let blk = row0; blk <= row1; blk += blockRows) {
    const blkEnd = Math.min(row1, blk + blockRows - 1);
    const B = readMatrixRows(ctx, b, blk, blkEnd - blk + 1);
    for (let row = blk; row <= blkEnd; row++) {
      const c0 = row === row0 ? start - row * cols : 0;
      const c1 = row === row1 ? start + count - row * cols : cols;
      acc.fill(0, c0, c1);
      const bRow = (row - blk) * r;
      for (let k = 0; k < r; k++) {
        const bk = B[bRow + k]!;
        const off = k * cols;
        for (let c = c0; c < c1; c++) acc[c]! += bk * A[off + c]!;
      }
      for (let c = c0; c < c1; c++) out[pos++] = Math.fround(scale * acc[c]!);
    }
  }
}

/** The virtual fine-tune's weights of elements [start, start+count): f32(base + delta), into out[0..count). */
export function loraWeightsRange(src: LoraSource, start: number, count: number, out: Float32Array, ctx: ReadContext): void {
  loraDeltaRange(src, start, count, out, ctx);
  const bpe = bytesPerElement(src.base.dtype);
  const raw = new Uint8Array(count * bpe);
  ctx.files.readAt(src.base.file, src.base.byteOffset + start * bpe, raw, `tensor "${src.base.name}"`, src.base.fileId);
  const base = new Float32Array(count);
  decodeToF32(src.base.dtype, raw, base, count);
  for (let i = 0; i < count; i++) out[i] = Math.fround(base[i]! + out[i]!);
}

/** Elements [start, start+count) of a virtual LoRA tensor as F32 bytes into dst[0..). Returns the byte count. */
export function readLoraSource(src: LoraSource, start: number, count: number, dst: Uint8Array, ctx: ReadContext): number {
  const len = 4 * count;
  if (dst.byteOffset % 4 === 0) {
    loraWeightsRange(src, start, count, new Float32Array(dst.buffer, dst.byteOffset, count), ctx);
  } else {
    const tmp = new Float32Array(count);
    loraWeightsRange(src, start, count, tmp, ctx);
    dst.set(new Uint8Array(tmp.buffer, 0, len));
  }
  return len;
}
