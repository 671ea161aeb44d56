/**
 * SLERP's first pass: running float64 sums Σa², Σb², Σa·b over a tensor streamed in chunks, in element order,
 * with two lanes by the parity of the absolute element index (lane 0: even, lane 1: odd). acc holds six f64:
 * [aa0, aa1, bb0, bb1, ab0, ab1]; the caller adds lane 0 + lane 1 at the end. Because the lane of an element is
 * fixed by its index, the sums do not depend on the chunk size when chunks are passed in order.
 */
export function slerp_dots_f32(a: usize, b: usize, n: i32, start: u32, acc: usize): void {
  let aa = v128.load(acc);
  let bb = v128.load(acc + 16);
  let ab = v128.load(acc + 32);
  let i = 0;
  if ((start & 1) != 0 && n > 0) {
    // the first element has an odd index: lane 1 alone
    const x = <f64>load<f32>(a);
    const y = <f64>load<f32>(b);
    aa = f64x2.replace_lane(aa, 1, f64x2.extract_lane(aa, 1) + x * x);
    bb = f64x2.replace_lane(bb, 1, f64x2.extract_lane(bb, 1) + y * y);
    ab = f64x2.replace_lane(ab, 1, f64x2.extract_lane(ab, 1) + x * y);
    i = 1;
  }
  for (; i + 2 <= n; i += 2) {
    const off = (<usize>i) << 2;
    const x = f64x2.promote_low_f32x4(v128.load64_zero(a + off));
    const y = f64x2.promote_low_f32x4(v128.load64_zero(b + off));
    aa = f64x2.add(aa, f64x2.mul(x, x));
    bb = f64x2.add(bb, f64x2.mul(y, y));
    ab = f64x2.add(ab, f64x2.mul(x, y));
  }
  if (i < n) {
    // a last element with an even index: lane 0
    const off = (<usize>i) << 2;
    const x = <f64>load<f32>(a + off);
    const y = <f64>load<f32>(b + off);
    aa = f64x2.replace_lane(aa, 0, f64x2.extract_lane(aa, 0) + x * x);
    bb = f64x2.replace_lane(bb, 0, f64x2.extract_lane(bb, 0) + y * y);
    ab = f64x2.replace_lane(ab, 0, f64x2.extract_lane(ab, 0) + x * y);
  }
  v128.store(acc, aa);
  v128.store(acc + 16, bb);
  v128.store(acc + 32, ab);
}

/** out[i] = f32(base[i] + coef·x[i]) in float64: a sparsified delta added back onto the base (DARE-SLERP). */
export function axpy_f32(base: usize, x: usize, coef: f64, out: usize, n: i32): void {
  const vc = f64x2.splat(coef);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const off = (<usize>i) << 2;
    const b = f64x2.promote_low_f32x4(v128.load64_zero(base + off));
    const v = f64x2.promote_low_f32x4(v128.load64_zero(x + off));
    v128.store64_lane(out + off, f32x4.demote_f64x2_zero(f64x2.add(b, f64x2.mul(vc, v))), 0);
  }
  for (; i < n; i++) {
    const off = (<usize>i) << 2;
    store<f32>(out + off, <f32>(<f64>load<f32>(base + off) + coef * <f64>load<f32>(x + off)));
  }
}
