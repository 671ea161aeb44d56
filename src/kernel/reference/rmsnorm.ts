import { dotF32 } from './dot.js';
import type { Views } from './memory.js';

const f = Math.fround;

/** Reference of rmsnorm_f32: out = w·(x·(1/sqrt(Σx²/dim + eps))) per row, in f32. */
export function rmsnormF32(v: Views, x: number, w: number, out: number, rows: number, dim: number, eps: number): void {
  const a = v.f32,
    px = x >>> 2,
    pw = w >>> 2,
    po = out >>> 2;
  const e = f(eps);
  for (let r = 0; r < rows; r++) {
    const base = px + r * dim;
    const ms = f(dotF32(a, base, base, dim) / dim);
    const inv = f(1 / f(Math.sqrt(f(ms + e))));
    for (let i = 0; i < dim; i++) a[po + r * dim + i] = f(a[pw + i]! * f(a[base + i]! * inv));
  }
}
