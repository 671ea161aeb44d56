import { dot } from './dot_f32';

/**
 * Causal softmax attention over one sequence of t positions, for query heads [h0, h1) of nh (query head h reads
 * key/value head h / (nh / nkv): grouped-query attention). q [t, qStride], k and v [t, kvStride], out [t, oStride]
 * floats per row; head h's values at column h·hd. For query i: s_j = (q_i·k_j)·scale for j ≤ i (dot() order),
 * p_j = exp(s_j − max s) in f32, w_j = p_j / Σp (Σ in j order), out_i = Σ_j w_j·v_j (j order). scratch: t floats.
 */
export function attention_f32(
  q: usize,
  k: usize,
  v: usize,
  out: usize,
  t: i32,
  h0: i32,
  h1: i32,
  nh: i32,
  nkv: i32,
  hd: i32,
  qStride: i32,
  kvStride: i32,
  oStride: i32,
  scale: f32,
  scratch: usize,
): void {
  const group = nh / nkv;
  for (let h = h0; h < h1; h++) {
    const kvc = (<usize>((h / group) * hd)) << 2;
    const qc = (<usize>(h * hd)) << 2;
    for (let i = 0; i < t; i++) {
      const pq = q + ((<usize>i * <usize>qStride) << 2) + qc;
      let mx: f32 = -Infinity;
      for (let j = 0; j <= i; j++) {
        const s = dot(pq, k + ((<usize>j * <usize>kvStride) << 2) + kvc, hd) * scale;
        store<f32>(scratch + ((<usize>j) << 2), s);
        if (s > mx) mx = s;
      }
      let sum: f32 = 0;
      for (let j = 0; j <= i; j++) {
        const e = Mathf.exp(load<f32>(scratch + ((<usize>j) << 2)) - mx);
        store<f32>(scratch + ((<usize>j) << 2), e);
        sum += e;
      }
      for (let j = 0; j <= i; j++) store<f32>(scratch + ((<usize>j) << 2), load<f32>(scratch + ((<usize>j) << 2)) / sum);
      const po = out + ((<usize>i * <usize>oStride) << 2) + qc;
      let d = 0;
      for (; d + 4 <= hd; d += 4) {
        const o = (<usize>d) << 2;
        let acc = f32x4.splat(0);
        for (let j = 0; j <= i; j++) {
          acc = f32x4.add(
            acc,
            f32x4.mul(f32x4.splat(load<f32>(scratch + ((<usize>j) << 2))), v128.load(v + ((<usize>j * <usize>kvStride) << 2) + kvc + o)),
          );
        }
        v128.store(po + o, acc);
      }
      for (; d < hd; d++) {
        const o = (<usize>d) << 2;
        let acc: f32 = 0;
        for (let j = 0; j <= i; j++) {
          acc += load<f32>(scratch + ((<usize>j) << 2)) * load<f32>(v + ((<usize>j * <usize>kvStride) << 2) + kvc + o);
        }
        store<f32>(po + o, acc);
      }
    }
  }
}
