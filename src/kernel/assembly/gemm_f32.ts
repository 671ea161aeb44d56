import { dot, hsum } from './dot_f32';

// Block sizes: a KC-deep slice of NC weight rows (64 KiB) stays in cache while every activation row passes over it.
const KC: i32 = 256;
const NC: i32 = 64;

/**
 * c[i, j] = Σ_k a[i, k]·w[j, k] for rows i < m and columns j in [n0, n1): activations a [m, k] times the
 * transpose of a weight w [n, k] as stored (row-major), into c [m, n]. Every element is summed the same way
 * whatever block it falls in: per KC slice of k, dot() order (4 lanes, left-to-right lanes, then the tail), and
 * the slices added in k order (the first stored, the next added). So any split of [0, n) over threads gives
 * bit-identical results.
 */
export function gemm_f32(a: usize, w: usize, c: usize, m: i32, n: i32, k: i32, n0: i32, n1: i32): void {
  const rowA = <usize>k << 2;
  const rowC = <usize>n << 2;
  for (let jb = n0; jb < n1; jb += NC) {
    const je = min(jb + NC, n1);
    for (let kb = 0; kb < k; kb += KC) {
      const kl = min(KC, k - kb);
      const first = kb == 0;
      const koff = <usize>kb << 2;
      let i = 0;
      for (; i + 4 <= m; i += 4) {
        const pa = a + <usize>i * rowA + koff;
        const pc = c + <usize>i * rowC;
        let j = jb;
        for (; j + 2 <= je; j += 2) block4x2(pa, rowA, w + <usize>j * rowA + koff, rowA, kl, pc + (<usize>j << 2), rowC, first);
        for (; j < je; j++) {
          const pw = w + <usize>j * rowA + koff;
          const pcj = pc + (<usize>j << 2);
          for (let r = 0; r < 4; r++) put(pcj + <usize>r * rowC, dot(pa + <usize>r * rowA, pw, kl), first);
        }
      }
      for (; i < m; i++) {
        const pa = a + <usize>i * rowA + koff;
        const pc = c + <usize>i * rowC;
        for (let j = jb; j < je; j++) put(pc + (<usize>j << 2), dot(pa, w + <usize>j * rowA + koff, kl), first);
      }
    }
  }
}

// @ts-ignore: decorator
@inline function put(p: usize, s: f32, first: bool): void {
  store<f32>(p, first ? s : load<f32>(p) + s);
}

/** Four activation rows × two weight rows over kl elements: 8 accumulators, the same per-element order as dot. */
// @ts-ignore: decorator
@inline function block4x2(pa: usize, sa: usize, pw: usize, sw: usize, kl: i32, pc: usize, sc: usize, first: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  const a1 = pa + sa, a2 = pa + 2 * sa, a3 = pa + 3 * sa, w1 = pw + sw;
  let q = 0;
  for (; q + 4 <= kl; q += 4) {
    const o = <usize>q << 2;
    const x0 = v128.load(pw + o), x1 = v128.load(w1 + o);
    let r = v128.load(pa + o);
    c00 = f32x4.add(c00, f32x4.mul(r, x0)); c01 = f32x4.add(c01, f32x4.mul(r, x1));
    r = v128.load(a1 + o);
    c10 = f32x4.add(c10, f32x4.mul(r, x0)); c11 = f32x4.add(c11, f32x4.mul(r, x1));
    r = v128.load(a2 + o);
    c20 = f32x4.add(c20, f32x4.mul(r, x0)); c21 = f32x4.add(c21, f32x4.mul(r, x1));
    r = v128.load(a3 + o);
    c30 = f32x4.add(c30, f32x4.mul(r, x0)); c31 = f32x4.add(c31, f32x4.mul(r, x1));
  }
  let s00 = hsum(c00), s01 = hsum(c01), s10 = hsum(c10), s11 = hsum(c11);
  let s20 = hsum(c20), s21 = hsum(c21), s30 = hsum(c30), s31 = hsum(c31);
  for (; q < kl; q++) {
    const o = <usize>q << 2;
    const x0 = load<f32>(pw + o), x1 = load<f32>(w1 + o);
    let r = load<f32>(pa + o); s00 += r * x0; s01 += r * x1;
    r = load<f32>(a1 + o); s10 += r * x0; s11 += r * x1;
    r = load<f32>(a2 + o); s20 += r * x0; s21 += r * x1;
    r = load<f32>(a3 + o); s30 += r * x0; s31 += r * x1;
  }
  put(pc, s00, first); put(pc + 4, s01, first);
  put(pc + sc, s10, first); put(pc + sc + 4, s11, first);
  put(pc + 2 * sc, s20, first); put(pc + 2 * sc + 4, s21, first);
  put(pc + 3 * sc, s30, first); put(pc + 3 * sc + 4, s31, first);
}
