import { dotF32 } from './dot.js';
import type { Views } from './memory.js';

const f = Math.fround;

/**
 * Reference of attention_f32 (causal, grouped-query), in the kernel's order. The exponential is JavaScript's
 * Math.exp rounded to f32, which may differ from the kernel's Mathf.exp in the last bit: compare to a tolerance.
 */
export function attentionF32(
  v: Views,
  q: number,
  k: number,
  val: number,
  out: number,
  t: number,
  h0: number,
  h1: number,
  nh: number,
  nkv: number,
  hd: number,
  qStride: number,
  kvStride: number,
  oStride: number,
  scale: number,
  scratch: number,
): void {
  const a = v.f32,
    group = nh / nkv,
    sc = f(scale);
  const w = new Float64Array(t);
  for (let h = h0; h < h1; h++) {
    const kvc = Math.floor(h / group) * hd,
      qc = h * hd;
    for (let i = 0; i < t; i++) {
      const pq = (q >>> 2) + i * qStride + qc;
      let mx = -Infinity;
      for (let j = 0; j <= i; j++) {
        w[j] = f(dotF32(a, pq, (k >>> 2) + j * kvStride + kvc, hd) * sc);
        if (w[j]! > mx) mx = w[j]!;
      }
      let sum = 0;
      for (let j = 0; j <= i; j++) {
        w[j] = f(Math.exp(f(w[j]! - mx)));
        sum = f(sum + w[j]!);
      }
      for (let j = 0; j <= i; j++) w[j] = f(w[j]! / sum);
      for (let d = 0; d < hd; d++) {
        let acc = 0;
        for (let j = 0; j <= i; j++) acc = f(acc + f(w[j]! * a[(val >>> 2) + j * kvStride + kvc + d]!));
        a[(out >>> 2) + i * oStride + qc + d] = acc;
      }
      for (let j = 0; j <= i; j++) a[(scratch >>> 2) + j] = w[j]!;
    }
  }
}
