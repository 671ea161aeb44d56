/**
 * Encode n f32 at src into IEEE half (u16 LE) at dst, round to nearest even: overflow → ±Inf, NaN keeps its top
 * payload bits and is made quiet, results below the half range go through one float add that rounds like the FPU.
 */
export function encode_f16(src: usize, dst: usize, n: i32): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const a = halfx4(v128.load(src + (<usize>i << 2)));
    const b = halfx4(v128.load(src + (<usize>i << 2) + 16));
    v128.store(dst + (<usize>i << 1), i16x8.narrow_i32x4_u(a, b));
  }
  for (; i < n; i++) {
    store<u16>(dst + (<usize>i << 1), <u16>halfBits(load<u32>(src + (<usize>i << 2))));
  }
}

const F16_MAX_EXP: u32 = (127 + 16) << 23; // first f32 whose half exponent overflows
const F32_INF: u32 = 0x7f800000;
const SUB_LIMIT: u32 = 113 << 23; // below this the half result is subnormal or zero
const DENORM_MAGIC: u32 = ((127 - 15) + (23 - 10) + 1) << 23; // 0.5: adding it rounds at the half-subnormal ulp

// @ts-ignore: decorator
@inline
function halfBits(b: u32): u32 {
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
function halfx4(b: v128): v128 {
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
