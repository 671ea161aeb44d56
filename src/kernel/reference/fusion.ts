import type { Views } from './memory.js';

/** Reference of fusion_importance_f32: out = f32(|x − base| · kl[row]), float64. */
export function fusionImportanceF32(v: Views, x: number, base: number, n: number, cols: number, kl: number, out: number): void {
  const px = x >>> 2,
    pb = base >>> 2,
    po = out >>> 2,
    pk = kl >>> 3;
  for (let r = 0; r + cols <= n; r += cols) {
    const k = v.f64[pk + r / cols]!;
    for (let j = 0; j < cols; j++) v.f32[po + r + j] = Math.abs(v.f32[px + r + j]! - v.f32[pb + r + j]!) * k;
  }
}

/** Reference of fusion_mask_f32: delta = +0 where importance < threshold. */
export function fusionMaskF32(v: Views, delta: number, importance: number, threshold: number, n: number): void {
  for (let i = 0; i < n; i++) if (!(v.f32[importance / 4 + i]! >= Math.fround(threshold))) v.f32[delta / 4 + i] = 0;
}
