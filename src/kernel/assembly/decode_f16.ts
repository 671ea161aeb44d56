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

// @ts-ignore: decorator
@inline
function halfToF32x4(h: v128, expMask: v128, rebias: v128, infExtra: v128, subExtra: v128, magic: v128, low15: v128, zero: v128): v128 {
  const o = i32x4.shl(v128.and(h, low15), 13);
  const e = v128.and(o, expMask);
  const isInf = i32x4.eq(e, expMask);
  const isSub = i32x4.eq(e, zero);
  let r = i32x4.add(o, rebias);
  r = i32x4.add(r, v128.and(infExtra, isInf));
  const isNaN = v128.andnot(isInf, i32x4.eq(v128.and(h, i32x4.splat(0x3ff)), zero));
  r = v128.or(r, v128.and(isNaN, i32x4.splat(0x400000)));
  // subnormal / zero: value = float(o + (113<<23)) - 2^-14, exact
  const sub = f32x4.sub(i32x4.add(r, subExtra), magic);
  r = v128.bitselect(sub, r, isSub);
  return v128.or(r, i32x4.shl(i32x4.shr_u(h, 15), 31));
}

// @ts-ignore: decorator
@inline
function halfToF32Bits(h: u32): u32 {
  let o = (h & 0x7fff) << 13;
  const e = o & (0x7c00 << 13);
  o += (127 - 15) << 23;
  if (e == 0x7c00 << 13) {
    o += (128 - 16) << 23;
    if ((h & 0x3ff) != 0) o |= 0x400000;
  }
  else if (e == 0) o = reinterpret<u32>(reinterpret<f32>(o + (1 << 23)) - reinterpret<f32>(113 << 23));
  return o | ((h & 0x8000) << 16);
}
