/**
 * arcee_fusion's per-row divergence (mergekit's ArceeFusionMergeTask._compute_importance): for each row of `cols`
 * elements, KL(p̂ ‖ q̂) with p̂ = softmax(x row) + 1e-8 and q̂ = softmax(base row) + 1e-8, in float64 on the host (one
 * exp/ln for every kernel kind); clamped at 0 (it is ≥ 0 mathematically; rounding can leave −1e-17).
 */
export function rowKl(x: Float32Array, base: Float32Array, cols: number, out: Float64Array): void {
  const rows = Math.floor(x.length / cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let mx = -Infinity,
      mb = -Infinity;
    for (let j = 0; j < cols; j++) {
      mx = Math.max(mx, x[o + j]!);
      mb = Math.max(mb, base[o + j]!);
    }
    let sx = 0,
      sb = 0;
    for (let j = 0; j < cols; j++) {
      sx += Math.exp(x[o + j]! - mx);
      sb += Math.exp(base[o + j]! - mb);
    }
    let kl = 0;
    for (let j = 0; j < cols; j++) {
      const p = Math.exp(x[o + j]! - mx) / sx + 1e-8;
      const q = Math.exp(base[o + j]! - mb) / sb + 1e-8;
      kl += p * Math.log(p / q);
    }
    out[r] = Math.max(kl, 0);
  }
}

/** mergekit's quantile positions on the ascending sort of n values: ⌊q·(n − 1)⌋ for q = 0.25, 0.5, 0.75. */
export function quantileIndices(n: number): [number, number, number] {
  return [0.25, 0.5, 0.75].map((q) => Math.trunc(Math.fround(q * (n - 1)))) as [number, number, number];
}

/** The threshold median + 1.5·(q3 − q1), in float32 arithmetic as torch computes it on float32 quantiles. */
export function fusionThreshold(q1: number, median: number, q3: number): number {
  return Math.fround(median + Math.fround(1.5 * Math.fround(q3 - q1)));
}
