/** Encode n f32 at src into BF16 (u16 LE) at dst: round to nearest even; NaN keeps sign and top payload, made quiet. */
export function encode_bf16(src: usize, dst: usize, n: i32): void {
  const absMask = i32x4.splat(0x7fffffff);
  const inf = i32x4.splat(0x7f800000);
  const bias = i32x4.splat(0x7fff);
  const one = i32x4.splat(1);
  const quiet = i32x4.splat(0x40);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const a = bf16x4(v128.load(src + (<usize>i << 2)), absMask, inf, bias, one, quiet);
    const b = bf16x4(v128.load(src + (<usize>i << 2) + 16), absMask, inf, bias, one, quiet);
    v128.store(dst + (<usize>i << 1), i16x8.narrow_i32x4_u(a, b));
  }
  for (; i < n; i++) {
    const b = load<u32>(src + (<usize>i << 2));
    let r: u32;
    if ((b & 0x7fffffff) > 0x7f800000) r = (b >>> 16) | 0x40;
    else r = (b + 0x7fff + ((b >>> 16) & 1)) >>> 16;
    store<u16>(dst + (<usize>i << 1), <u16>r);
  }
}

// @ts-ignore: decorator
@inline
function bf16x4(b: v128, absMask: v128, inf: v128, bias: v128, one: v128, quiet: v128): v128 {
  const isNaN = i32x4.gt_u(v128.and(b, absMask), inf);
  const rounded = i32x4.shr_u(i32x4.add(i32x4.add(b, bias), v128.and(i32x4.shr_u(b, 16), one)), 16);
  const nan = v128.or(i32x4.shr_u(b, 16), quiet);
  return v128.bitselect(nan, rounded, isNaN);
}
