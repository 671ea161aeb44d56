import type { Views } from './memory.js';

/** Reference of sce_var_f32: population variance across the k deltas, float64, rounded to f32. */
export function sceVarF32(v: Views, deltas: number, stride: number, k: number, n: number, out: number): void {
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let m = 0; m < k; m++) s += v.f32[(deltas + m * stride) / 4 + i]!;
    const mean = s / k;
    let q = 0;
    for (let m = 0; m < k; m++) {
      const d = v.f32[(deltas + m * stride) / 4 + i]! - mean;
      q += d * d;
    }
    v.f32[out / 4 + i] = q / k;
  }
}

/** Reference of mask_zero_f32: x = +0 where mask is 0. */
export function maskZeroF32(v: Views, mask: number, x: number, n: number): void {
  for (let i = 0; i < n; i++) if (v.f32[mask / 4 + i] === 0) v.f32[x / 4 + i] = 0;
}

/** Reference of sce_sum_f32: unweighted sign election, weighted mean of the agreeing deltas (denominator ≥ 1e-6), plus base. */
export function sceSumF32(v: Views, base: number, deltas: number, stride: number, k: number, n: number, w: number, out: number): void {
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let m = 0; m < k; m++) s += v.f32[(deltas + m * stride) / 4 + i]!;
    let num = 0,
      den = 0;
    for (let m = 0; m < k; m++) {
      const d = v.f32[(deltas + m * stride) / 4 + i]!;
      if (s >= 0 ? d > 0 : d < 0) {
        num += v.f64[w / 8 + m]! * d;
        den += v.f64[w / 8 + m]!;
      }
    }
    v.f32[out / 4 + i] = v.f32[base / 4 + i]! + num / Math.max(den, 1e-6);
  }
}
