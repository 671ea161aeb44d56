/**
 * mergekit's sce, per element j over k deltas δ_m (at deltas + m·stride bytes), in float64:
 * sce_var_f32   out[j] = f32(Σ (δ_m − mean)² / k), mean = Σ δ_m / k (population variance across the models);
 * mask_zero_f32 x[j] = +0 where mask[j] == 0 (the elements outside the top-variance selection);
 * sce_sum_f32   sign = (Σ δ_m ≥ 0 ? + : −); num = Σ w_m·δ_m, den = Σ w_m over the δ_m with that sign (non-zero);
 *               out[j] = f32(base[j] + num / max(den, 1e-6)).
 */
export function sce_var_f32(deltas: usize, stride: usize, k: i32, n: i32, out: usize): void {
  for (let i = 0; i < n; i++) {
    const off = (<usize>i) << 2;
    let s = 0.0;
    for (let m = 0; m < k; m++) s += <f64>load<f32>(deltas + <usize>m * stride + off);
    const mean = s / <f64>k;
    let v = 0.0;
    for (let m = 0; m < k; m++) {
      const d = <f64>load<f32>(deltas + <usize>m * stride + off) - mean;
      v += d * d;
    }
    store<f32>(out + off, <f32>(v / <f64>k));
  }
}

export function mask_zero_f32(mask: usize, x: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const off = (<usize>i) << 2;
    if (load<f32>(mask + off) == 0) store<f32>(x + off, 0);
  }
}

export function sce_sum_f32(base: usize, deltas: usize, stride: usize, k: i32, n: i32, w: usize, out: usize): void {
  for (let i = 0; i < n; i++) {
    const off = (<usize>i) << 2;
    let s = 0.0;
    for (let m = 0; m < k; m++) s += <f64>load<f32>(deltas + <usize>m * stride + off);
    const pos = s >= 0;
    let num = 0.0;
    let den = 0.0;
    for (let m = 0; m < k; m++) {
      const d = <f64>load<f32>(deltas + <usize>m * stride + off);
      if (pos ? d > 0 : d < 0) {
        const wm = load<f64>(w + ((<usize>m) << 3));
        num += wm * d;
        den += wm;
      }
    }
    store<f32>(out + off, <f32>(<f64>load<f32>(base + off) + num / max(den, 1e-6)));
  }
}
