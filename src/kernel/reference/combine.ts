import type { Views } from './memory.js';

/** Reference of delta_f32: dst = a − b, each difference rounded to f32. */
export function deltaF32(v: Views, a: number, b: number, dst: number, n: number): void {
  const pa = a >>> 2,
    pb = b >>> 2,
    pd = dst >>> 2;
  for (let i = 0; i < n; i++) v.f32[pd + i] = Math.fround(v.f32[pa + i]! - v.f32[pb + i]!);
}

/** Reference of weighted_sum_f32 (elect = false) and ties_sum_f32 (elect = true); see combine_f32.ts for the formula. */
export function combineF32(
  v: Views,
  elect: boolean,
  base: number,
  hasBase: number,
  deltas: number,
  stride: number,
  k: number,
  n: number,
  coef: number,
  divw: number,
  normalize: number,
  lambda: number,
  out: number,
): void {
  const c: number[] = [],
    w: number[] = [];
  for (let m = 0; m < k; m++) {
    c.push(v.f64[(coef >>> 3) + m]!);
    w.push(v.f64[(divw >>> 3) + m]!);
  }
  let denAll = 0;
  for (let m = 0; m < k; m++) denAll += w[m]!;
  const t = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let m = 0; m < k; m++) {
      t[m] = c[m]! * v.f32[((deltas + m * stride) >>> 2) + i]!;
      s += t[m]!;
    }
    let num = s,
      den = denAll;
    if (elect) {
      num = 0;
      den = 0;
      const pos = s >= 0;
      for (let m = 0; m < k; m++)
        if (pos ? t[m]! > 0 : t[m]! < 0) {
          num += t[m]!;
          den += w[m]!;
        }
    }
    const mixed = normalize ? (den !== 0 ? num / den : 0) : num;
    v.f32[(out >>> 2) + i] = hasBase ? v.f32[(base >>> 2) + i]! + lambda * mixed : lambda * mixed;
  }
}
