import { f16BitsToF32, f32ToBf16Bits, f32ToF16Bits } from '../kernel/float-bits.js';
import type { MathDtype, OutDtype } from './dtypes.js';

/**
 * Scalar dtype codecs: the reference every wasm codec is tested against bit for bit, and the path used
 * where wasm is not worth it (small tensors, headers). Little-endian bytes in, float32 out.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export { f16BitsToF32, f32ToBf16Bits, f32ToF16Bits };

/** Decode `count` elements of `dtype` from little-endian bytes into dst[0..count). */
export function decodeToF32(dtype: MathDtype, src: Uint8Array, dst: Float32Array, count: number): void {
  const dv = new DataView(src.buffer, src.byteOffset, src.byteLength);
  switch (dtype) {
    case 'BF16':
      for (let i = 0; i < count; i++) {
        u32[0] = dv.getUint16(2 * i, true) << 16;
        dst[i] = f32[0]!;
      }
      return;
    case 'F16':
      for (let i = 0; i < count; i++) dst[i] = f16BitsToF32(dv.getUint16(2 * i, true));
      return;
    case 'F32':
      for (let i = 0; i < count; i++) dst[i] = dv.getFloat32(4 * i, true);
      return;
    case 'F64':
      for (let i = 0; i < count; i++) dst[i] = dv.getFloat64(8 * i, true);
      return;
  }
}

/** Decode `count` elements to float64 (exact for every math dtype). */
export function decodeToF64(dtype: MathDtype, src: Uint8Array, dst: Float64Array, count: number): void {
  if (dtype === 'F64') {
    const dv = new DataView(src.buffer, src.byteOffset, src.byteLength);
    for (let i = 0; i < count; i++) dst[i] = dv.getFloat64(8 * i, true);
    return;
  }
  const tmp = new Float32Array(count);
  decodeToF32(dtype, src, tmp, count);
  for (let i = 0; i < count; i++) dst[i] = tmp[i]!;
}

/** Encode src[0..count) float32 values into little-endian bytes of `dtype`. */
export function encodeFromF32(dtype: OutDtype, src: Float32Array, dst: Uint8Array, count: number): void {
  const dv = new DataView(dst.buffer, dst.byteOffset, dst.byteLength);
  switch (dtype) {
    case 'BF16':
      for (let i = 0; i < count; i++) dv.setUint16(2 * i, f32ToBf16Bits(src[i]!), true);
      return;
    case 'F16':
      for (let i = 0; i < count; i++) dv.setUint16(2 * i, f32ToF16Bits(src[i]!), true);
      return;
    case 'F32':
      for (let i = 0; i < count; i++) dv.setFloat32(4 * i, src[i]!, true);
      return;
  }
}
