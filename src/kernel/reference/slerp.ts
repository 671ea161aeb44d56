import type { Views } from './memory.js';

/** Reference of slerp_dots_f32: acc[2·s + (index & 1)] += products, element by element in index order. */
export function slerpDotsF32(v: Views, a: number, b: number, n: number, start: number, acc: number): void {
  const pa = a >>> 2,
    pb = b >>> 2,
    pc = acc >>> 3;
  for (let i = 0; i < n; i++) {
    const x = v.f32[pa + i]!,
      y = v.f32[pb + i]!;
    const lane = (start + i) & 1;
    v.f64[pc + lane] = v.f64[pc + lane]! + x * x;
    v.f64[pc + 2 + lane] = v.f64[pc + 2 + lane]! + y * y;
    v.f64[pc + 4 + lane] = v.f64[pc + 4 + lane]! + x * y;
  }
}

/** Reference of axpy_f32: out = f32(base + coef·x), in float64. */
export function axpyF32(v: Views, base: number, x: number, coef: number, out: number, n: number): void {
  const pb = base >>> 2,
    px = x >>> 2,
    po = out >>> 2;
  for (let i = 0; i < n; i++) v.f32[po + i] = v.f32[pb + i]! + coef * v.f32[px + i]!;
}
