import { halfToF32Bits, halfToF32x4 } from './float16';

/**
 * Decode n IEEE half values at src (u16 LE) into f32 at dst, exactly (subnormals, ±0, Inf and NaN payloads kept).
 * Exponent re-bias by integer add; half subnormals are renormalized by one exact float subtraction. NaNs come
 * out quiet (bit 22 set), as the scalar codec's do after passing through a JS number.
 */
export function decode_f16(src: usize, dst: usize, n: i32): void {
  const expMask = i32x4.splat(0x7c00 << 13);
  const rebias = i32x4.splat((127 - 15) << 23);
  const infExtra = i32x4.splat((128 - 16) << 23);
  const subExtra = i32x4.splat(1 << 23);
  const magic = f32x4.splat(reinterpret<f32>(113 << 23));
  const low15 = i32x4.splat(0x7fff);
  const zero = i32x4.splat(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const v = v128.load(src + (<usize>i << 1));
    v128.store(dst + (<usize>i << 2), halfToF32x4(i32x4.extend_low_i16x8_u(v), expMask, rebias, infExtra, subExtra, magic, low15, zero));
    v128.store(dst + (<usize>i << 2) + 16, halfToF32x4(i32x4.extend_high_i16x8_u(v), expMask, rebias, infExtra, subExtra, magic, low15, zero));
  }
  for (; i < n; i++) {
    store<u32>(dst + (<usize>i << 2), halfToF32Bits(<u32>load<u16>(src + (<usize>i << 1))));
  }
}
