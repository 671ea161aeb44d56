/**
 * mergekit's ram / ramplus_tl per element j over k deltas δ_m (at deltas + m·stride bytes), in float64. A delta
 * contributes where |δ_m| > eps; cnt = the number of contributing models.
 * ram_counts_f32 counts[m] += 1 where model m contributes and cnt > 1 (shared), counts[k + m] += 1 where cnt = 1
 *                (unique); counts is f64[2k], accumulated across calls.
 * ram_sum_f32    out[j] = f32(base[j] + Σ_contributing (cnt = 1 ? λ_m·δ_m : δ_m / cnt)), λ at lambda (f64[k]).
 */
export function ram_counts_f32(deltas: usize, stride: usize, k: i32, n: i32, eps: f64, counts: usize): void {
  for (let i = 0; i < n; i++) {
    const off = (<usize>i) << 2;
    let cnt = 0;
    for (let m = 0; m < k; m++) if (abs(<f64>load<f32>(deltas + <usize>m * stride + off)) > eps) cnt++;
    if (cnt == 0) continue;
    const slot: usize = cnt > 1 ? 0 : <usize>k;
    for (let m = 0; m < k; m++) {
      if (abs(<f64>load<f32>(deltas + <usize>m * stride + off)) > eps) {
        const p = counts + ((slot + <usize>m) << 3);
        store<f64>(p, load<f64>(p) + 1);
      }
    }
  }
}

export function ram_sum_f32(base: usize, deltas: usize, stride: usize, k: i32, n: i32, eps: f64, lambda: usize, out: usize): void {
  for (let i = 0; i < n; i++) {
    const off = (<usize>i) << 2;
    let cnt = 0;
    for (let m = 0; m < k; m++) if (abs(<f64>load<f32>(deltas + <usize>m * stride + off)) > eps) cnt++;
    let acc = 0.0;
    for (let m = 0; m < k; m++) {
      const d = <f64>load<f32>(deltas + <usize>m * stride + off);
      if (abs(d) > eps) acc += cnt == 1 ? load<f64>(lambda + ((<usize>m) << 3)) * d : d / <f64>cnt;
    }
    store<f32>(out + off, <f32>(<f64>load<f32>(base + off) + acc));
  }
}
