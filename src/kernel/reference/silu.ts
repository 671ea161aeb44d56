import type { Views } from './memory.js';

const f = Math.fround;

/** Reference of silu_mul_f32: (g / (1 + exp(−g)))·u in f32 (Math.exp: compare to a tolerance, see attention.ts). */
export function siluMulF32(v: Views, g: number, u: number, out: number, n: number): void {
  const a = v.f32;
  for (let i = 0; i < n; i++) {
    const x = a[(g >>> 2) + i]!;
    a[(out >>> 2) + i] = f(f(x / f(1 + f(Math.exp(-x)))) * a[(u >>> 2) + i]!);
  }
}
