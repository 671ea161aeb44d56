/**
 * The one dtype loader: a tensor's stored elements, read as raw little-endian bytes into the arena, turned into
 * float32 at their place in the arena. BF16 and F16 go through the kernel's SIMD decoders, F64 is rounded to
 * nearest on the host (the rare case), F32 is read where it is used and needs nothing.
 */

/** The stored dtypes that are turned into float32 (io's MathDtype, the same spellings; exec knows no io). */
export type StoredDtype = 'F32' | 'BF16' | 'F16' | 'F64';

/** The kernel's decoders (see kernel/exports.ts). */
export interface DecodeKernel {
  decode_bf16(src: number, dst: number, n: number): void;
  decode_f16(src: number, dst: number, n: number): void;
}

/** Where to read the raw bytes of elements that are to become float32 at dst: F32 at dst itself, others at raw. */
export function readPlace(dtype: StoredDtype, dst: number, raw: number): number {
  return dtype === 'F32' ? dst : raw;
}

/**
 * Turn n elements of dtype read at readPlace(dtype, dst, raw) into float32 at dst (raw and dst must not overlap;
 * an F64 raw area must be 8-byte aligned).
 */
export function decodeInArena(k: DecodeKernel, memory: WebAssembly.Memory, dtype: StoredDtype, raw: number, dst: number, n: number): void {
  switch (dtype) {
    case 'BF16':
      k.decode_bf16(raw, dst, n);
      return;
    case 'F16':
      k.decode_f16(raw, dst, n);
      return;
    case 'F64':
      new Float32Array(memory.buffer, dst, n).set(new Float64Array(memory.buffer, raw, n));
      return;
    case 'F32':
      return;
  }
}
