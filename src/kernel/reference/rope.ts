import type { Views } from './memory.js';

const f = Math.fround;

/** Reference of rope_f32: rotate-half RoPE in place, x1·c − x2·s and x2·c + x1·s in f32. */
export function ropeF32(
  v: Views,
  x: number,
  rows: number,
  heads: number,
  hd: number,
  stride: number,
  pos: number,
  cos: number,
  sin: number,
): void {
  const a = v.f32,
    half = hd >> 1;
  for (let r = 0; r < rows; r++) {
    const p = v.u32[(pos >>> 2) + r]! | 0;
    const pc = (cos >>> 2) + p * half,
      ps = (sin >>> 2) + p * half;
    for (let h = 0; h < heads; h++) {
      const px = (x >>> 2) + r * stride + h * hd;
      for (let i = 0; i < half; i++) {
        const x1 = a[px + i]!,
          x2 = a[px + half + i]!,
          c = a[pc + i]!,
          s = a[ps + i]!;
        a[px + i] = f(f(x1 * c) - f(x2 * s));
        a[px + half + i] = f(f(x2 * c) + f(x1 * s));
      }
    }
  }
}
