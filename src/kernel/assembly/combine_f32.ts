/**
 * The combine step of generalized task arithmetic, per element j, in f64 (rounded once to f32 at the end):
 *   t_i = coef[i] · δ_i[j]            (δ_i at deltas + i·stride bytes; coef is f64[k], it folds weight and rescale)
 *   s   = Σ_i t_i                      (in model order)
 *   elect: sign = (s >= 0 ? + : −); agree_i = t_i has that sign and is non-zero (a dropped entry never agrees)
 *          num = Σ t_i·agree_i, den = Σ divw[i]·agree_i
 *   no elect: num = s, den = Σ divw[i]
 *   mixed = normalize ? (den ≠ 0 ? num / den : 0) : num
 *   out[j] = f32(base[j] + lambda·mixed), or f32(lambda·mixed) when hasBase is 0 (linear merges of the weights).
 */
// @ts-ignore: decorator
@inline
function combine(base: usize, hasBase: i32, deltas: usize, stride: usize, k: i32, n: i32, coef: usize, divw: usize, elect: bool, normalize: i32, lambda: f64, out: usize): void {
  let denAll = 0.0;
  for (let m = 0; m < k; m++) denAll += load<f64>(divw + (<usize>m << 3));
  const vl = f64x2.splat(lambda);
  const zero = f64x2.splat(0);
  // up to 4 models (the common case): coefficients splatted once, each term computed once per element pair
  const small = k <= 4;
  const c0 = small ? f64x2.splat(load<f64>(coef)) : zero, w0 = small ? f64x2.splat(load<f64>(divw)) : zero;
  const c1 = small && k > 1 ? f64x2.splat(load<f64>(coef, 8)) : zero, w1 = small && k > 1 ? f64x2.splat(load<f64>(divw, 8)) : zero;
  const c2 = small && k > 2 ? f64x2.splat(load<f64>(coef, 16)) : zero, w2 = small && k > 2 ? f64x2.splat(load<f64>(divw, 16)) : zero;
  const c3 = small && k > 3 ? f64x2.splat(load<f64>(coef, 24)) : zero, w3 = small && k > 3 ? f64x2.splat(load<f64>(divw, 24)) : zero;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const off = <usize>i << 2;
    let lo: v128, hi: v128;
    if (small) {
      lo = halfSmall(deltas + off, stride, k, c0, c1, c2, c3, w0, w1, w2, w3, elect, normalize, denAll, zero, 0);
      hi = halfSmall(deltas + off, stride, k, c0, c1, c2, c3, w0, w1, w2, w3, elect, normalize, denAll, zero, 1);
    } else {
      lo = half(deltas + off, stride, k, coef, divw, elect, normalize, denAll, zero, 0);
      hi = half(deltas + off, stride, k, coef, divw, elect, normalize, denAll, zero, 1);
    }
    let rlo = f64x2.mul(vl, lo);
    let rhi = f64x2.mul(vl, hi);
    if (hasBase) {
      const b = v128.load(base + off);
      rlo = f64x2.add(f64x2.promote_low_f32x4(b), rlo);
      rhi = f64x2.add(f64x2.promote_low_f32x4(i32x4.shuffle(b, b, 2, 3, 0, 1)), rhi);
    }
    const flo = f32x4.demote_f64x2_zero(rlo);
    const fhi = f32x4.demote_f64x2_zero(rhi);
    v128.store(out + off, i64x2.replace_lane(flo, 1, i64x2.extract_lane(fhi, 0)));
  }
  for (; i < n; i++) {
    const off = <usize>i << 2;
    let s = 0.0;
    for (let m = 0; m < k; m++) s += load<f64>(coef + (<usize>m << 3)) * <f64>load<f32>(deltas + <usize>m * stride + off);
    let num = s;
    let den = denAll;
    if (elect) {
      num = 0; den = 0;
      const pos = s >= 0;
      for (let m = 0; m < k; m++) {
        const t = load<f64>(coef + (<usize>m << 3)) * <f64>load<f32>(deltas + <usize>m * stride + off);
        if (pos ? t > 0 : t < 0) { num += t; den += load<f64>(divw + (<usize>m << 3)); }
      }
    }
    let mixed = num;
    if (normalize) mixed = den != 0 ? num / den : 0;
    const r = hasBase ? <f64>load<f32>(base + off) + lambda * mixed : lambda * mixed;
    store<f32>(out + off, <f32>r);
  }
}

// @ts-ignore: decorator
@inline
function half(p: usize, stride: usize, k: i32, coef: usize, divw: usize, elect: bool, normalize: i32, denAll: f64, zero: v128, which: i32): v128 {
  let s = zero;
  for (let m = 0; m < k; m++) {
    s = f64x2.add(s, term(p + <usize>m * stride, coef + (<usize>m << 3), which));
  }
  let num = s;
  let den = f64x2.splat(denAll);
  if (elect) {
    num = zero; den = zero;
    const pos = f64x2.ge(s, zero);
    for (let m = 0; m < k; m++) {
      const t = term(p + <usize>m * stride, coef + (<usize>m << 3), which);
      const agree = v128.bitselect(f64x2.gt(t, zero), f64x2.lt(t, zero), pos);
      num = f64x2.add(num, v128.and(t, agree));
      den = f64x2.add(den, v128.and(f64x2.splat(load<f64>(divw + (<usize>m << 3))), agree));
    }
  }
  if (normalize) num = v128.and(f64x2.div(num, den), f64x2.ne(den, zero));
  return num;
}

/** half() for k ≤ 4 with pre-splatted coefficients: the same operations in the same order, each term made once. */
// @ts-ignore: decorator
@inline
function halfSmall(p: usize, stride: usize, k: i32, c0: v128, c1: v128, c2: v128, c3: v128, w0: v128, w1: v128, w2: v128, w3: v128, elect: bool, normalize: i32, denAll: f64, zero: v128, which: i32): v128 {
  const t0 = termSplat(p, c0, which);
  const t1 = k > 1 ? termSplat(p + stride, c1, which) : zero;
  const t2 = k > 2 ? termSplat(p + 2 * stride, c2, which) : zero;
  const t3 = k > 3 ? termSplat(p + 3 * stride, c3, which) : zero;
  let s = f64x2.add(zero, t0);
  if (k > 1) s = f64x2.add(s, t1);
  if (k > 2) s = f64x2.add(s, t2);
  if (k > 3) s = f64x2.add(s, t3);
  let num = s;
  let den = f64x2.splat(denAll);
  if (elect) {
    const pos = f64x2.ge(s, zero);
    let agree = v128.bitselect(f64x2.gt(t0, zero), f64x2.lt(t0, zero), pos);
    num = f64x2.add(zero, v128.and(t0, agree));
    den = f64x2.add(zero, v128.and(w0, agree));
    if (k > 1) {
      agree = v128.bitselect(f64x2.gt(t1, zero), f64x2.lt(t1, zero), pos);
      num = f64x2.add(num, v128.and(t1, agree));
      den = f64x2.add(den, v128.and(w1, agree));
    }
    if (k > 2) {
      agree = v128.bitselect(f64x2.gt(t2, zero), f64x2.lt(t2, zero), pos);
      num = f64x2.add(num, v128.and(t2, agree));
      den = f64x2.add(den, v128.and(w2, agree));
    }
    if (k > 3) {
      agree = v128.bitselect(f64x2.gt(t3, zero), f64x2.lt(t3, zero), pos);
      num = f64x2.add(num, v128.and(t3, agree));
      den = f64x2.add(den, v128.and(w3, agree));
    }
  }
  if (normalize) num = v128.and(f64x2.div(num, den), f64x2.ne(den, zero));
  return num;
}

// @ts-ignore: decorator
@inline
function termSplat(p: usize, c: v128, which: i32): v128 {
  const d = v128.load(p);
  const x = which == 0 ? f64x2.promote_low_f32x4(d) : f64x2.promote_low_f32x4(i32x4.shuffle(d, d, 2, 3, 0, 1));
  return f64x2.mul(c, x);
}

// @ts-ignore: decorator
@inline
function term(p: usize, c: usize, which: i32): v128 {
  return termSplat(p, f64x2.splat(load<f64>(c)), which);
}

/** Weighted accumulate: out = base + lambda·Σ coef[i]·δ_i (÷ Σ divw when normalize), per element in f64. */
export function weighted_sum_f32(base: usize, hasBase: i32, deltas: usize, stride: usize, k: i32, n: i32, coef: usize, divw: usize, normalize: i32, lambda: f64, out: usize): void {
  combine(base, hasBase, deltas, stride, k, n, coef, divw, false, normalize, lambda, out);
}

/** TIES: sign election on Σ coef[i]·δ_i (0 → +), agreement-weighted sum, optional Σ divw·agree divisor. */
export function ties_sum_f32(base: usize, hasBase: i32, deltas: usize, stride: usize, k: i32, n: i32, coef: usize, divw: usize, normalize: i32, lambda: f64, out: usize): void {
  combine(base, hasBase, deltas, stride, k, n, coef, divw, true, normalize, lambda, out);
}
