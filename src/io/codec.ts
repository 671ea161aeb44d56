import type { MathDtype, OutDtype } from './dtypes.js';

/**
 * Scalar dtype codecs: the reference every wasm codec is tested against bit for bit, and the path used
 * where wasm is not worth it (small tensors, headers). Little-endian bytes in, float32 out.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Decode one IEEE half (binary16) bit pattern to float32, exactly. */
export function f16BitsToF32(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >> 10) & 0x1f;
  let mant = h & 0x3ff;
  if (exp === 0) {
    if (mant === 0) { u32[0] = sign; return f32[0]!; }
    // subnormal half: normalize into a float32 normal
    let e = -1;
    do { mant <<= 1; e++; } while ((mant & 0x400) === 0);
    mant &= 0x3ff;
    u32[0] = sign | ((127 - 15 - e) << 23) | (mant << 13);
    return f32[0]!;
  }
  if (exp === 0x1f) { u32[0] = sign | 0x7f800000 | (mant << 13); return f32[0]!; }
  u32[0] = sign | ((exp - 15 + 127) << 23) | (mant << 13);
  return f32[0]!;
}

/** Encode float32 to a bfloat16 bit pattern, rounding to nearest even; NaN stays a (quiet) NaN. */
export function f32ToBf16Bits(x: number): number {
  f32[0] = x;
  const b = u32[0]!;
  if ((b & 0x7fffffff) > 0x7f800000) return ((b >>> 16) | 0x40) & 0xffff; // NaN: keep sign and top payload, force quiet
  const lsb = (b >>> 16) & 1;
  return ((b + 0x7fff + lsb) >>> 16) & 0xffff;
}

/** Encode float32 to an IEEE half bit pattern, rounding to nearest even (overflow → ±Inf, NaN stays NaN). */
export function f32ToF16Bits(x: number): number {
  f32[0] = x;
  const b = u32[0]!;
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  const mant = b & 0x7fffff;
  if (exp === 0xff) return mant !== 0 ? sign | 0x7e00 | (mant >>> 13) : sign | 0x7c00;
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign; // rounds to ±0 (below half of the smallest subnormal)
    const m = mant | 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = m & ((1 << shift) - 1);
    let r = m >>> shift;
    if (rest > half || (rest === half && (r & 1) === 1)) r++;
    return sign | r;
  }
  let r = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (r & 1) === 1)) r++; // may carry into the exponent, up to Inf: correct
  return sign | r;
}

/** Decode `count` elements of `dtype` from little-endian bytes into dst[0..count). */
export function decodeToF32(dtype: MathDtype, src: Uint8Array, dst: Float32Array, count: number): void {
  const dv = new DataView(src.buffer, src.byteOffset, src.byteLength);
  switch (dtype) {
    case 'BF16':
      for (let i = 0; i < count; i++) { u32[0] = dv.getUint16(2 * i, true) << 16; dst[i] = f32[0]!; }
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
