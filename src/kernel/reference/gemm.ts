import { dotF32 } from './dot.js';
import type { Views } from './memory.js';

const KC = 256;

/** Reference of gemm_f32: each c[i, j] for j in [n0, n1) as the sum of per-256-slice dot products over k, in k order. */
export function gemmF32(v: Views, a: number, w: number, c: number, m: number, n: number, k: number, n0: number, n1: number): void {
  const x = v.f32,
    pa = a >>> 2,
    pw = w >>> 2,
    pc = c >>> 2;
  for (let i = 0; i < m; i++) {
    for (let j = n0; j < n1; j++) {
      let s = 0;
      for (let kb = 0; kb < k; kb += KC) {
        const d = dotF32(x, pa + i * k + kb, pw + j * k + kb, Math.min(KC, k - kb));
        s = kb === 0 ? d : Math.fround(s + d);
      }
      x[pc + i * n + j] = s;
    }
  }
}
