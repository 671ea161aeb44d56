/**
 * mergekit's nearswap per element, in float64: w = clamp(t / max(|x − base|, 1e-6), 0, 1), out = f32(w·x + (1 − w)·base).
 * Elements where the two models are within t of each other take x; farther apart, they stay nearer the base.
 */
export function nearswap_f32(base: usize, x: usize, t: f64, out: usize, n: i32): void {
  const vt = f64x2.splat(t);
  const floor = f64x2.splat(1e-6);
  const zero = f64x2.splat(0);
  const one = f64x2.splat(1);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const off = (<usize>i) << 2;
    const a = f64x2.promote_low_f32x4(v128.load64_zero(base + off));
    const b = f64x2.promote_low_f32x4(v128.load64_zero(x + off));
    const d = f64x2.max(f64x2.abs(f64x2.sub(b, a)), floor);
    const w = f64x2.min(f64x2.max(f64x2.div(vt, d), zero), one);
    v128.store64_lane(out + off, f32x4.demote_f64x2_zero(f64x2.add(f64x2.mul(w, b), f64x2.mul(f64x2.sub(one, w), a))), 0);
  }
  for (; i < n; i++) {
    const off = (<usize>i) << 2;
    const a = <f64>load<f32>(base + off);
    const b = <f64>load<f32>(x + off);
    const w = min(max(t / max(abs(b - a), 1e-6), 0.0), 1.0);
    store<f32>(out + off, <f32>(w * b + (1 - w) * a));
  }
}
