// Shared inline helpers of the model kernels (not an entry point). The summation order they fix is the one the
// scalar references in src/kernel/reference/ replay: lane l of a 4-wide accumulator takes the products of
// elements 4i + l, the lanes are added left to right, then the tail elements one by one.

/** Horizontal sum of a f32x4, lanes left to right: ((l0 + l1) + l2) + l3. */
// @ts-ignore: decorator
@inline export function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

/** Σ a[i]·b[i] for i < n in the lane order above. */
// @ts-ignore: decorator
@inline export function dot(a: usize, b: usize, n: i32): f32 {
  let acc = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    acc = f32x4.add(acc, f32x4.mul(v128.load(a + o), v128.load(b + o)));
  }
  let s = hsum(acc);
  for (; i < n; i++) {
    const o = <usize>i << 2;
    s += load<f32>(a + o) * load<f32>(b + o);
  }
  return s;
}
