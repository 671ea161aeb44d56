import { dot } from './dot_f32';

/**
 * RMSNorm of `rows` rows of `dim` values: out[r, i] = w[i]·(x[r, i]·inv_r), inv_r = 1/sqrt(Σx²/dim + eps), all in
 * f32 (Σx² in dot() order). out may alias x.
 */
export function rmsnorm_f32(x: usize, w: usize, out: usize, rows: i32, dim: i32, eps: f32): void {
  const stride = (<usize>dim) << 2;
  for (let r = 0; r < rows; r++) {
    const px = x + <usize>r * stride,
      po = out + <usize>r * stride;
    const ms = dot(px, px, dim) / <f32>dim;
    const inv: f32 = <f32>1 / Mathf.sqrt(ms + eps);
    const vinv = f32x4.splat(inv);
    let i = 0;
    for (; i + 4 <= dim; i += 4) {
      const o = (<usize>i) << 2;
      v128.store(po + o, f32x4.mul(v128.load(w + o), f32x4.mul(v128.load(px + o), vinv)));
    }
    for (; i < dim; i++) {
      const o = (<usize>i) << 2;
      store<f32>(po + o, load<f32>(w + o) * (load<f32>(px + o) * inv));
    }
  }
}
