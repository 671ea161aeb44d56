import { f16BitsToF32, f32ToBf16Bits, f32ToF16Bits } from '../float-bits.js';
import type { Views } from './memory.js';

// Scalar references for decode_bf16, decode_f16, encode_bf16, encode_f16: the scalar float-bit conversions applied element-wise.

/** Reference of decode_bf16. */
export function decodeBf16(v: Views, src: number, dst: number, n: number): void {
  const s = src >>> 1,
    d = dst >>> 2;
  for (let i = 0; i < n; i++) v.u32[d + i] = v.u16[s + i]! << 16;
}

/** Reference of decode_f16. */
export function decodeF16(v: Views, src: number, dst: number, n: number): void {
  const s = src >>> 1,
    d = dst >>> 2;
  for (let i = 0; i < n; i++) v.f32[d + i] = f16BitsToF32(v.u16[s + i]!);
}

/** Reference of encode_bf16. */
export function encodeBf16(v: Views, src: number, dst: number, n: number): void {
  const s = src >>> 2,
    d = dst >>> 1;
  for (let i = 0; i < n; i++) v.u16[d + i] = f32ToBf16Bits(v.f32[s + i]!);
}

/** Reference of encode_f16. */
export function encodeF16(v: Views, src: number, dst: number, n: number): void {
  const s = src >>> 2,
    d = dst >>> 1;
  for (let i = 0; i < n; i++) v.u16[d + i] = f32ToF16Bits(v.f32[s + i]!);
}
