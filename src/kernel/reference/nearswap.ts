import type { Views } from './memory.js';

/** Reference of nearswap_f32: w = clamp(t / max(|x − base|, 1e-6), 0, 1), out = f32(w·x + (1 − w)·base) in float64. */
export function nearswapF32(v: Views, base: number, x: number, t: number, out: number, n: number): void {
  const pa = base >>> 2,
    pb = x >>> 2,
    po = out >>> 2;
  for (let i = 0; i < n; i++) {
    const a = v.f32[pa + i]!,
      b = v.f32[pb + i]!;
    const w = Math.min(Math.max(t / Math.max(Math.abs(b - a), 1e-6), 0), 1);
    v.f32[po + i] = w * b + (1 - w) * a;
  }
}
