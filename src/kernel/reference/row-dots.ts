import type { Views } from './memory.js';

/** Reference of row_dots_f32: per row [Σa², Σb², Σa·b] in float64, element order. */
export function rowDotsF32(v: Views, a: number, b: number, n: number, cols: number, out: number): void {
  for (let r = 0; r + cols <= n; r += cols) {
    let aa = 0,
      bb = 0,
      ab = 0;
    for (let j = 0; j < cols; j++) {
      const x = v.f32[a / 4 + r + j]!,
        y = v.f32[b / 4 + r + j]!;
      aa += x * x;
      bb += y * y;
      ab += x * y;
    }
    const o = out / 8 + 3 * (r / cols);
    v.f64[o] = aa;
    v.f64[o + 1] = bb;
    v.f64[o + 2] = ab;
  }
}
