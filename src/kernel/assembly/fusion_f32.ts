/**
 * mergekit's arcee_fusion, per element (rows of `cols` elements; n a multiple of cols):
 * fusion_importance_f32 out[j] = f32(|x[j] − base[j]| · kl[row of j]) in float64, kl = f64[n / cols] (the rows'
 *                       softmax KL divergences, computed by the host with one exp/ln for every kernel kind);
 * fusion_mask_f32       delta[j] = +0 where importance[j] < threshold (kept where importance ≥ threshold).
 */
export function fusion_importance_f32(x: usize, base: usize, n: i32, cols: i32, kl: usize, out: usize): void {
  for (let r = 0; r + cols <= n; r += cols) {
    const k = load<f64>(kl + ((<usize>(r / cols)) << 3));
    for (let j = 0; j < cols; j++) {
      const off = (<usize>(r + j)) << 2;
      store<f32>(out + off, <f32>(abs(<f64>load<f32>(x + off) - <f64>load<f32>(base + off)) * k));
    }
  }
}

export function fusion_mask_f32(delta: usize, importance: usize, threshold: f32, n: i32): void {
  for (let i = 0; i < n; i++) {
    const off = (<usize>i) << 2;
    if (!(load<f32>(importance + off) >= threshold)) store<f32>(delta + off, 0);
  }
}
