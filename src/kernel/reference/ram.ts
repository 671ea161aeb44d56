import type { Views } from './memory.js';

/** Reference of ram_counts_f32: per model, elements it shares with another contributor, and elements only it contributes. */
export function ramCountsF32(v: Views, deltas: number, stride: number, k: number, n: number, eps: number, counts: number): void {
  for (let i = 0; i < n; i++) {
    const nz: number[] = [];
    for (let m = 0; m < k; m++) if (Math.abs(v.f32[(deltas + m * stride) / 4 + i]!) > eps) nz.push(m);
    for (const m of nz) v.f64[counts / 8 + (nz.length > 1 ? 0 : k) + m]! += 1;
  }
}

/** Reference of ram_sum_f32: base + Σ over contributing deltas of (λ_m·δ alone, δ/cnt shared). */
export function ramSumF32(
  v: Views,
  base: number,
  deltas: number,
  stride: number,
  k: number,
  n: number,
  eps: number,
  lambda: number,
  out: number,
): void {
  for (let i = 0; i < n; i++) {
    let cnt = 0;
    for (let m = 0; m < k; m++) if (Math.abs(v.f32[(deltas + m * stride) / 4 + i]!) > eps) cnt++;
    let acc = 0;
    for (let m = 0; m < k; m++) {
      const d = v.f32[(deltas + m * stride) / 4 + i]!;
      if (Math.abs(d) > eps) acc += cnt === 1 ? v.f64[lambda / 8 + m]! * d : d / cnt;
    }
    v.f32[out / 4 + i] = v.f32[base / 4 + i]! + acc;
  }
}
