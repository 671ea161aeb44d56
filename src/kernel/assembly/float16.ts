// IEEE half <-> f32 conversions shared by decode_f16, encode_f16 and the fused merge (fused_merge16).
// Not an entry point: index.ts does not re-export this file.

// @ts-ignore: decorator
@inline
export function halfToF32x4(h: v128, expMask: v128, rebias: v128, infExtra: v128, subExtra: v128, magic: v128, low15: v128, zero: v128): v128 {
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
export function halfToF32Bits(h: u32): u32 {
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

const F16_MAX_EXP: u32 = (127 + 16) << 23; // first f32 whose half exponent overflows
const F32_INF: u32 = 0x7f800000;
const SUB_LIMIT: u32 = 113 << 23; // below this the half result is subnormal or zero
const DENORM_MAGIC: u32 = ((127 - 15) + (23 - 10) + 1) << 23; // 0.5: adding it rounds at the half-subnormal ulp

// @ts-ignore: decorator
@inline
export function halfBits(b: u32): u32 {
  const sign = (b >>> 16) & 0x8000;
  const f = b & 0x7fffffff;
  let o: u32;
  if (f >= F16_MAX_EXP) {
    o = f > F32_INF ? 0x7e00 | ((f & 0x7fffff) >>> 13) : 0x7c00;
  } else if (f < SUB_LIMIT) {
    o = reinterpret<u32>(reinterpret<f32>(f) + reinterpret<f32>(DENORM_MAGIC)) - DENORM_MAGIC;
  } else {
    const odd = (f >>> 13) & 1;
    o = (f + (<u32>((15 - 127) << 23)) + 0xfff + odd) >>> 13;
  }
  return o | sign;
}

// @ts-ignore: decorator
@inline
export function halfx4(b: v128): v128 {
  const absMask = i32x4.splat(0x7fffffff);
  const f = v128.and(b, absMask);
  const sign = v128.and(i32x4.shr_u(b, 16), i32x4.splat(0x8000));
  const isBig = i32x4.ge_u(f, i32x4.splat(F16_MAX_EXP));
  const isNaN = i32x4.gt_u(f, i32x4.splat(F32_INF));
  const big = v128.bitselect(
    v128.or(i32x4.splat(0x7e00), i32x4.shr_u(v128.and(f, i32x4.splat(0x7fffff)), 13)),
    i32x4.splat(0x7c00),
    isNaN,
  );
  const isSub = i32x4.lt_u(f, i32x4.splat(SUB_LIMIT));
  const magic = i32x4.splat(DENORM_MAGIC);
  const sub = i32x4.sub(f32x4.add(f, magic), magic);
  const odd = v128.and(i32x4.shr_u(f, 13), i32x4.splat(1));
  const normal = i32x4.shr_u(i32x4.add(i32x4.add(f, i32x4.splat(<i32>(((15 - 127) << 23) + 0xfff))), odd), 13);
  const r = v128.bitselect(big, v128.bitselect(sub, normal, isSub), isBig);
  return v128.or(r, sign);
}
