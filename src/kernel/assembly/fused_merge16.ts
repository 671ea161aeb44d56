import { fmix32, fmix32x4Mid } from './hash';
import { halfBits, halfToF32Bits, halfToF32x4, halfx4 } from './float16';

/**
 * The whole elementwise merge of n elements in one pass, for 16-bit inputs (BF16/F16) and a BF16/F16 output: what
 * decode, delta_f32, dare_mask_f32, ties_sum_f32 / weighted_sum_f32 and encode compute stage by stage, with the
 * same output bits, in registers.
 *
 * The combine is defined in float64 (combine_f32.ts). Here each lane is first computed in float32 (4 lanes per
 * vector instead of 2) together with a rigorous bound E on |r32 − r64|, r64 being the float64 result the definition
 * rounds (out = enc(f32(r64))). A lane's f32 result is used only when its output bits are certain: the TIES sign
 * election is certain (|s32| > its bound), and no rounding midpoint of the output format lies within E (plus one
 * f32 ulp) of r32, or every term is exactly zero (then r32 = r64 exactly). Every other lane ("fallback") is
 * recomputed exactly as the definition, in scalar f64. README "Merging" gives the bound's derivation.
 *
 * table (host-written): +0 u32 base raw pointer, +4 u32 flags (1 has base, 2 base is F16, 4 elect, 8 normalize,
 * 16 output F16); per model m at +16 + 16m: u32 raw pointer, u32 flags (1 F16; bits 1–2 mask mode: 0 keep all,
 * 1 hash, 2 drop all), u32 mask key, u32 mask threshold; then 335 + 1032·k bytes of scratch (four constants, a strip's unsure groups, its masks, the
 * coefficients in f32). Raw pointers are to element 0 of the chunk; off is the
 * first element of this call inside it, start its index in the tensor (the mask's counter); coef, divw are the
 * f64 coefficients of the combine; out receives n encoded u16.
 *
 * Returns −1 when the f32 bounds below do not apply (coefficients or λ outside [2⁻¹⁵, 2¹⁵], non-positive
 * weights with elect + normalize, more than 64 models): the caller then runs the stages one by one. Otherwise
 * the number of fallback lanes, | 1 << 30 when an input holds NaN/Inf, | 1 << 29 when an output is NaN/Inf
 * (the caller then reruns the stages one by one, which report where).
 */
export function fused_merge16(table: usize, k: i32, off: i32, n: i32, start: u32, coef: usize, divw: usize, lambda: f64, out: usize): i32 {
  const flags = load<u32>(table, 4);
  const elect = (flags & 4) != 0;
  const normalize = (flags & 8) != 0;
  if (k < 1 || k > 64 || !inRange(lambda)) return -1;
  let denAll = 0.0;
  for (let m = 0; m < k; m++) {
    const c = load<f64>(coef + (<usize>m << 3));
    if (c != 0 && !inRange(c)) return -1;
    const w = load<f64>(divw + (<usize>m << 3));
    if (elect && normalize && !(w > 0 && inRange(w))) return -1;
    denAll += w;
  }
  if (!elect && normalize && !inRange(denAll)) return -1;
  // specialized copies (flags as constants) for BF16 inputs and output, the common case; one generic copy else
  let anyF16 = (flags & 2) != 0;
  for (let m = 0; m < k; m++) if ((load<u32>(table + 16 + (<usize>m << 4), 4) & 1) != 0) anyF16 = true;
  if (anyF16 || (flags & 16) != 0) return run(table, k, off, n, start, coef, divw, lambda, out, flags, denAll, true, elect, normalize);
  if (elect) {
    if (normalize) {
      // dare_ties' case (a base, every model masked by hash): one more copy with that as constants too, so the
      // loop over models has no branches
      let hashAll = (flags & 1) != 0;
      for (let m = 0; m < k; m++) if (((load<u32>(table + 16 + (<usize>m << 4), 4) >>> 1) & 3) != 1) hashAll = false;
      if (hashAll) return run(table, k, off, n, start, coef, divw, lambda, out, flags, denAll, false, true, true, true);
      return run(table, k, off, n, start, coef, divw, lambda, out, flags, denAll, false, true, true);
    }
    return run(table, k, off, n, start, coef, divw, lambda, out, flags, denAll, false, true, false);
  }
  if (normalize) return run(table, k, off, n, start, coef, divw, lambda, out, flags, denAll, false, false, true);
  return run(table, k, off, n, start, coef, divw, lambda, out, flags, denAll, false, false, false);
}

// @ts-ignore: decorator
@inline
function inRange(x: f64): bool {
  const a = Math.abs(x);
  return a >= 3.0517578125e-5 && a <= 32768.0; // [2^-15, 2^15]; false for NaN
}

/** Elements per strip: the keep masks of a strip (4 bytes per element and model) are computed ahead of it. */
const STRIP: i32 = 256;
const U: f64 = 5.9604644775390625e-8; // 2^-24, float32's unit roundoff
// absolute floors of the bounds (they cover the underflow of f32 products, ≤ 2^-150 each): normal numbers, since
// arithmetic on subnormals is slow on x86 (a microcode assist per operation)
const TINY_S: f32 = 7.52316384526264e-37; // 2^-120
const TINY_N: f32 = 7.703719777548943e-34; // 2^-110: the same after a division by a weight sum ≥ 2^-15

// per-call state of the scalar paths (wasm globals): input / output NaN-or-Inf seen
let sawBadInput: i32 = 0;
let sawBadOutput: i32 = 0;

// @ts-ignore: decorator
@inline
function run(table: usize, k: i32, off: i32, n: i32, start: u32, coef: usize, divw: usize, lambda: f64, out: usize, flags: u32, denAll: f64, generic: bool, elect: bool, normalize: bool, hashAll: bool = false): i32 {
  // generic: any F16 input or output (else every input and the output are BF16); hashAll: a base and every model
  // masked by hash (mode 1)
  const hasBase = hashAll || (flags & 1) != 0;
  const baseF16 = generic && (flags & 2) != 0;
  const outF16 = generic && (flags & 16) != 0;
  const baseRaw = <usize>load<u32>(table);
  const zero = f32x4.splat(0);
  // bounds (see the doc comment and README): Es = cs·A + 2^-120 on |s32 − s64|, Emix = cm·M + tiny on |mixed32 − mixed64|
  const kf = <f64>k;
  const cs = f32x4.splat(<f32>((2 * kf + 8) * U));
  let cmScalar: f64 = (2 * kf + 8) * U;
  let tiny: f32 = TINY_S;
  if (normalize) {
    tiny = TINY_N;
    cmScalar = elect ? (4 * kf + 20) * U : ((2 * kf + 16) * U) / Math.abs(<f64>(<f32>denAll)) * (1 + 1.0 / 1048576);
  }
  // |r32 − r64| ≤ |λ|·Emix + 2.2u·|λ·mixed| + 1.1u·|r32| + 2^-149, and the midpoint test needs one f32 ulp more
  // (≤ 2u·|r32|): E = K·M + 4u·|r32| + T, with K = 2|λ|·cm + 8u·|λ|·(1/|den| when normalizing without election)
  // (|λ·mixed| ≤ |λ|·M·that), T = 2|λ|·tiny; factors of 2 cover the rounding of E's own computation
  const lamAbs = Math.abs(lambda) * (1 + 1.0 / 1048576);
  const mixedPerM = !elect && normalize ? 1 / Math.abs(<f64>(<f32>denAll)) : 1.0;
  const kv = f32x4.splat(<f32>(2 * lamAbs * cmScalar + 8 * U * lamAbs * mixedPerM * (1 + 1.0 / 1048576)));
  const tv = f32x4.splat(<f32>(2 * lamAbs * <f64>tiny));
  const tinyS = f32x4.splat(TINY_S);
  const lam = f32x4.splat(<f32>lambda);
  const denV = f32x4.splat(<f32>denAll);
  const c4 = f32x4.splat(<f32>(4 * U));
  // the output format: its rounding midpoints (low bits dropped by the encoder), the range where the test holds,
  // and 2^S with E·2^S < |r| ⇒ E below a quarter of the output's ulp at r
  const lowMask = i32x4.splat(outF16 ? 0xffffe000 : 0xffff0000);
  const half = i32x4.splat(outF16 ? 0x1000 : 0x8000);
  const lo = f32x4.splat(outF16 ? <f32>6.103515625e-5 : <f32>7.888609052210118e-31); // 2^-14 (f16 normal) : 2^-100
  const relScale = f32x4.splat(outF16 ? <f32>16384.0 : <f32>2048.0);
  // |x| mask, all ones, 16-bit |x| mask and 2^-126, loaded from scratch rather than literal: V8 rematerializes literal v128 constants at each
  // use inside the loop (two instructions each; six |x| and two "not" per 8 elements)
  const consts = (table + 16 + (<usize>k << 4) + 15) & ~(<usize>15);
  v128.store(consts, i32x4.splat(0x7fffffff));
  v128.store(consts, i32x4.splat(-1), 16);
  v128.store(consts, i16x8.splat(0x7fff), 32);
  v128.store(consts, f32x4.splat(1.1754943508222875e-38), 48); // 2^-126
  const absMask = v128.load(consts);
  const ones = v128.load(consts, 16);
  const low15 = v128.load(consts, 32);
  const minDen = v128.load(consts, 48);
  const inBias = i16x8.splat(0x0080);
  const inBiasF16 = i16x8.splat(0x0400);
  const outBias = i16x8.splat(outF16 ? 0x0400 : 0x0080);
  const c1 = i32x4.splat(0x85ebca6b);
  const c2 = i32x4.splat(0xc2b2ae35);
  // decode_f16's constants
  const hExp = i32x4.splat(0x7c00 << 13);
  const hRebias = i32x4.splat((127 - 15) << 23);
  const hInf = i32x4.splat((128 - 16) << 23);
  const hSub = i32x4.splat(1 << 23);
  const hMagic = f32x4.splat(reinterpret<f32>(113 << 23));
  const hLow15 = i32x4.splat(0x7fff);
  const izero = i32x4.splat(0);
  let inAcc = i16x8.splat(0);
  // BF16-only copy: the largest raw word without its sign (NaN/Inf ≥ 0x7f80)
  let inMax = i16x8.splat(0);
  let outAcc = i16x8.splat(0);
  let fallbacks = 0;
  let nUnsure = 0;
  sawBadInput = 0;
  sawBadOutput = 0;
  // the keep masks of a strip of STRIP elements are computed first, model by model, in a tight loop like
  // dare_mask_f32's (the hash's multiplies are long-latency: many independent elements must be in flight), into
  // scratch after the table (L1); the loop below then reads them
  // the groups of 8 of a strip with lanes to recompute (element index, lane bits), recomputed after the strip: a
  // branch on them inside the loop would be mispredicted in ~7% of groups, each flushing the hashes in flight
  const unsureList = consts + 64;
  const masks = unsureList + ((<usize>STRIP >> 3) << 3);
  // the coefficients and weights as f32, after the masks (loaded with one splat per model and 8 elements)
  const cf = masks + <usize>k * (STRIP << 2);
  const wf = cf + (<usize>k << 2);
  for (let m = 0; m < k; m++) {
    store<f32>(cf + (<usize>m << 2), <f32>load<f64>(coef + (<usize>m << 3)));
    store<f32>(wf + (<usize>m << 2), <f32>load<f64>(divw + (<usize>m << 3)));
  }
  let i = 0;
  const n8 = n & ~7;
  for (let s0 = 0; s0 < n8; s0 += STRIP) {
    const s1 = min(s0 + STRIP, n8);
    const first = start + <u32>s0;
    const last = start + <u32>(s1 - 1);
    // the strip's indices share their high 16 bits (no wrap past 2^32 inside it): the hash's opening step folds
    const sharedHigh = first >>> 16 == last >>> 16 && last >= first;
    const idx0 = i32x4.add(i32x4.splat(first), i32x4(0, 1, 2, 3));
    const four = i32x4.splat(4);
    for (let m = 0; m < k; m++) {
      const rec = table + 16 + (<usize>m << 4);
      if (!hashAll && ((load<u32>(rec, 4) >>> 1) & 3) != 1) continue;
      const key = load<u32>(rec, 8);
      const t = load<u32>(rec, 12);
      const vk = i32x4.splat(key);
      // h ≥ t (unsigned, t ≥ 1) as a signed compare on sign-flipped values: one port-5-friendly xor instead of
      // the two-instruction unsigned compare x86 needs
      const vt = i32x4.splat((t - 1) ^ 0x80000000);
      // fmix32's last step, h = y ^ (y >>> 16), keeps y's high half and only changes the low half: comparing h with t
      // (high halves first) is comparing y ^ (t >>> 16) with t, so that step folds into the sign flip's xor
      const flip = i32x4.splat((t >>> 16) ^ 0x80000000);
      let idx = idx0;
      const mp = masks + <usize>m * (STRIP << 2) - (<usize>s0 << 2);
      // h = fmix32(fmix32(i ^ key) ^ key), each fmix32 = xorshift 16, mul, xorshift 13, mul, xorshift 16 (Mid is the
      // middle three). Between the two Mids: with y the first Mid's result, (y ^ y >>> 16 ^ key) then xorshifted by
      // 16 is y ^ key ^ (key >>> 16) (the high halves cancel), one xor with a constant instead of five operations
      const vk2 = i32x4.splat(key ^ (key >>> 16));
      if (sharedHigh) {
        // the opening x ^= x >>> 16 on x = i ^ key is i ^ (key ^ ((first ^ key) >>> 16)): one xor with a constant
        const vk1 = i32x4.splat(key ^ ((first ^ key) >>> 16));
        for (let j = s0; j < s1; j += 4) {
          const y = fmix32x4Mid(v128.xor(fmix32x4Mid(v128.xor(idx, vk1), c1, c2), vk2), c1, c2);
          v128.store(mp + (<usize>j << 2), i32x4.gt_s(v128.xor(y, flip), vt));
          idx = i32x4.add(idx, four);
        }
      } else {
        for (let j = s0; j < s1; j += 4) {
          const x = v128.xor(idx, vk);
          const y = fmix32x4Mid(v128.xor(fmix32x4Mid(v128.xor(x, i32x4.shr_u(x, 16)), c1, c2), vk2), c1, c2);
          v128.store(mp + (<usize>j << 2), i32x4.gt_s(v128.xor(y, flip), vt));
          idx = i32x4.add(idx, four);
        }
      }
    }
  for (i = s0; i < s1; i += 8) {
    const e = <usize>(off + i);
    let b0 = zero, b1 = zero;
    if (hasBase) {
      const rb = v128.load(baseRaw + (e << 1));
      if (generic) inAcc = v128.or(inAcc, i16x8.add(v128.and(rb, low15), baseF16 ? inBiasF16 : inBias));
      else {
        inMax = i16x8.max_u(inMax, v128.and(rb, low15));
      }
      b0 = widenLow(rb, baseF16, hExp, hRebias, hInf, hSub, hMagic, hLow15, izero);
      b1 = widenHigh(rb, baseF16, hExp, hRebias, hInf, hSub, hMagic, hLow15, izero);
    }
    let p0 = zero, n0 = zero, p1 = zero, n1 = zero;
    let dp0 = zero, dn0 = zero, dp1 = zero, dn1 = zero;
    for (let m = 0; m < k; m++) {
      const rec = table + 16 + (<usize>m << 4);
      const mf = load<u32>(rec, 4);
      const rv = v128.load(<usize>load<u32>(rec) + (e << 1));
      const f16 = generic && (mf & 1) != 0;
      if (generic) inAcc = v128.or(inAcc, i16x8.add(v128.and(rv, low15), f16 ? inBiasF16 : inBias));
      else {
        inMax = i16x8.max_u(inMax, v128.and(rv, low15));
      }
      let d0 = widenLow(rv, f16, hExp, hRebias, hInf, hSub, hMagic, hLow15, izero);
      let d1 = widenHigh(rv, f16, hExp, hRebias, hInf, hSub, hMagic, hLow15, izero);
      if (hasBase) {
        d0 = f32x4.sub(d0, b0);
        d1 = f32x4.sub(d1, b1);
      }
      const mode = hashAll ? 1 : (mf >>> 1) & 3;
      if (mode == 1) {
        // dare_mask_f32: keep ⇔ fmix32(fmix32(i ^ key) ^ key) ≥ threshold; a dropped element becomes +0
        const mp = masks + <usize>m * (STRIP << 2) + (<usize>(i - s0) << 2);
        d0 = v128.and(d0, v128.load(mp));
        d1 = v128.and(d1, v128.load(mp, 16));
      } else if (mode == 2) {
        d0 = zero;
        d1 = zero;
      }
      const c = v128.load32_splat(cf + (<usize>m << 2));
      const t0 = f32x4.mul(c, d0);
      const t1 = f32x4.mul(c, d1);
      // positive and negative terms summed apart: s = P + N, Σ|t| = P − N, and the elected sum is P or N
      p0 = f32x4.add(p0, f32x4.pmax(zero, t0));
      n0 = f32x4.add(n0, f32x4.pmin(zero, t0));
      p1 = f32x4.add(p1, f32x4.pmax(zero, t1));
      n1 = f32x4.add(n1, f32x4.pmin(zero, t1));
      if (elect && normalize) {
        const w = v128.load32_splat(wf + (<usize>m << 2));
        dp0 = f32x4.add(dp0, v128.and(w, f32x4.gt(t0, zero)));
        dn0 = f32x4.add(dn0, v128.and(w, f32x4.lt(t0, zero)));
        dp1 = f32x4.add(dp1, v128.and(w, f32x4.gt(t1, zero)));
        dn1 = f32x4.add(dn1, v128.and(w, f32x4.lt(t1, zero)));
      }
    }
    const r0 = finish(p0, n0, dp0, dn0, b0, hasBase, elect, normalize, outF16, zero, cs, kv, tv, tinyS, lam, denV, c4, lowMask, half, lo, relScale, absMask, ones, minDen);
    const r1 = finish(p1, n1, dp1, dn1, b1, hasBase, elect, normalize, outF16, zero, cs, kv, tv, tinyS, lam, denV, c4, lowMask, half, lo, relScale, absMask, ones, minDen);
    const enc = i16x8.narrow_i32x4_u(r0, r1);
    const dst = out + (<usize>i << 1);
    v128.store(dst, enc);
    outAcc = v128.or(outAcc, i16x8.add(v128.and(enc, low15), outBias));
    // lanes whose bits are not certain were returned as all ones (sign bit set): noted, recomputed after the strip
    const unsure = i32x4.bitmask(r0) | (i32x4.bitmask(r1) << 4);
    store<u32>(unsureList + (<usize>nUnsure << 3), <u32>i);
    store<u32>(unsureList + (<usize>nUnsure << 3), <u32>unsure, 4);
    nUnsure += <i32>(unsure != 0);
  }
    for (let q = 0; q < nUnsure; q++) {
      const g = <i32>load<u32>(unsureList + (<usize>q << 3));
      let lanes = <i32>load<u32>(unsureList + (<usize>q << 3), 4);
      fallbacks += popcnt<i32>(lanes);
      const e = <usize>(off + g);
      const dst = out + (<usize>g << 1);
      while (lanes != 0) {
        const j = ctz<i32>(lanes);
        lanes &= lanes - 1;
        const maskAt = masks + (<usize>(g - s0 + j) << 2);
        store<u16>(dst + (<usize>j << 1), <u16>exactLane(table, k, e + <usize>j, start + <u32>(g + j), coef, divw, lambda, flags, denAll, outF16, false, maskAt));
      }
    }
    nUnsure = 0;
  }
  for (i = n8; i < n; i++) {
    store<u16>(out + (<usize>i << 1), <u16>exactLane(table, k, <usize>(off + i), start + <u32>i, coef, divw, lambda, flags, denAll, outF16, true, 0));
  }
  let ret = fallbacks;
  const badMax = i16x8.ge_u(inMax, i16x8.splat(0x7f80));
  if (i16x8.bitmask(inAcc) != 0 || v128.any_true(badMax) || sawBadInput != 0) ret |= 1 << 30;
  if (i16x8.bitmask(outAcc) != 0 || sawBadOutput != 0) ret |= 1 << 29;
  return ret;
}

/**
 * One vector of 4 lanes: the f32 result encoded, or all ones in lanes whose output bits are not certain.
 * p, n: Σ of the positive / negative terms; dp, dn: Σ of their weights (elect + normalize); b the base.
 */
// @ts-ignore: decorator
@inline
function finish(p: v128, n: v128, dp: v128, dn: v128, b: v128, hasBase: bool, elect: bool, normalize: bool, outF16: bool, zero: v128, cs: v128, kv: v128, tv: v128, tinyS: v128, lam: v128, denV: v128, c4: v128, lowMask: v128, half: v128, lo: v128, relScale: v128, absMask: v128, ones: v128, minDen: v128): v128 {
  const s = f32x4.add(p, n);
  const a = f32x4.sub(p, n); // Σ|t|: 0 exactly when every term is ±0
  let mixed: v128;
  let mag: v128;
  let sure: v128;
  if (elect) {
    const pos = f32x4.ge(s, zero);
    mixed = v128.bitselect(p, n, pos);
    if (normalize) {
      // no elected term: den = 0 and the elected sum +0; dividing by 2^-126 instead then gives the defined 0 (a
      // non-zero den is ≥ 2^-15, so the pseudo-max leaves it alone)
      const den = v128.bitselect(dp, dn, pos);
      mixed = f32x4.div(mixed, f32x4.pmax(den, minDen));
    }
    // the election is certain when |s32| exceeds its error bound; the elected terms share one sign, so the
    // elected sum's error is relative to itself
    sure = f32x4.gt(v128.and(s, absMask), f32x4.add(f32x4.mul(cs, a), tinyS));
    mag = v128.and(mixed, absMask);
  } else {
    mixed = normalize ? v128.and(f32x4.div(s, denV), f32x4.ne(denV, zero)) : s;
    sure = i32x4.splat(-1);
    mag = a;
  }
  const prod = f32x4.mul(lam, mixed);
  const r = hasBase ? f32x4.add(b, prod) : prod;
  const ra = v128.and(r, absMask);
  const er = f32x4.add(f32x4.mul(kv, mag), f32x4.add(f32x4.mul(c4, ra), tv));
  // the output format's rounding midpoint in r's cell of the output grid; exact distance (same binade)
  const mid = v128.or(v128.and(ra, lowMask), half);
  const diff = f32x4.sub(ra, mid);
  const dist = v128.and(diff, absMask);
  // no upper limit: past the format's largest finite value every result rounds to Inf, monotonically
  let ok = v128.and(f32x4.ge(ra, lo), f32x4.lt(f32x4.mul(er, relScale), ra));
  ok = v128.and(ok, f32x4.gt(dist, er));
  sure = v128.or(v128.and(sure, ok), f32x4.eq(a, zero));
  // BF16: a sure lane is off the midpoint (or exact, every term 0, r = b), so round to nearest is "up" exactly
  // when |r| is above it: the truncated bits plus one (a carry into the exponent is right, up to Inf)
  const enc = outF16 ? halfx4(r) : i32x4.sub(i32x4.shr_u(r, 16), f32x4.gt(diff, zero));
  return v128.or(enc, v128.xor(sure, ones));
}

// @ts-ignore: decorator
@inline
function decode16(h: u32, f16: bool): f32 {
  return reinterpret<f32>(f16 ? halfToF32Bits(h) : h << 16);
}

/**
 * One element exactly as the stages compute it: decode, f32 delta, mask, the f64 combine of combine_f32.ts
 * (its scalar loop, operation for operation), f32, encode. `check`: note NaN/Inf inputs (the vector loop counts
 * them itself). `maskAt`: the element's keep masks in the strip's scratch (model m at + m·4·STRIP), or 0 to hash.
 * denAll: Σ divw in model order (as combine_f32 sums it).
 */
// @ts-ignore: decorator
@inline
function exactLane(table: usize, k: i32, e: usize, idx: u32, coef: usize, divw: usize, lambda: f64, flags: u32, denAll: f64, outF16: bool, check: bool, maskAt: usize): u32 {
  const hasBase = (flags & 1) != 0;
  const elect = (flags & 4) != 0;
  const normalize = (flags & 8) != 0;
  let b: f32 = 0;
  if (hasBase) {
    const hb = <u32>load<u16>(<usize>load<u32>(table) + (e << 1));
    if (check && nonfinite16(hb, (flags & 2) != 0)) sawBadInput = 1;
    b = decode16(hb, (flags & 2) != 0);
  }
  // one pass: Σ of every term, and the positive and the negative terms (and their weights) summed apart, each in
  // model order: the elected side's sums are then exactly what a second pass over the elected terms would add
  let s = 0.0;
  let numPos = 0.0, numNeg = 0.0, denPos = 0.0, denNeg = 0.0;
  for (let m = 0; m < k; m++) {
    const t = term(table, m, e, idx, coef, hasBase, b, check, maskAt);
    s += t;
    if (elect) {
      if (t > 0) {
        numPos += t;
        denPos += load<f64>(divw + (<usize>m << 3));
      } else if (t < 0) {
        numNeg += t;
        denNeg += load<f64>(divw + (<usize>m << 3));
      }
    }
  }
  let num = s;
  let den = denAll;
  if (elect) {
    const pos = s >= 0;
    num = pos ? numPos : numNeg;
    den = pos ? denPos : denNeg;
  }
  let mixed = num;
  if (normalize) mixed = den != 0 ? num / den : 0;
  const r = <f32>(hasBase ? <f64>b + lambda * mixed : lambda * mixed);
  const bits = reinterpret<u32>(r);
  let o: u32;
  if (outF16) o = halfBits(bits);
  else if ((bits & 0x7fffffff) > 0x7f800000) o = (bits >>> 16) | 0x40;
  else o = (bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16;
  if (nonfinite16(o, outF16)) sawBadOutput = 1;
  return o;
}

/** Term m of element e: coef[m] · mask(f32 delta), in f64. */
// @ts-ignore: decorator
@inline
function term(table: usize, m: i32, e: usize, idx: u32, coef: usize, hasBase: bool, b: f32, check: bool, maskAt: usize): f64 {
  const rec = table + 16 + (<usize>m << 4);
  const mf = load<u32>(rec, 4);
  const h = <u32>load<u16>(<usize>load<u32>(rec) + (e << 1));
  if (check && nonfinite16(h, (mf & 1) != 0)) sawBadInput = 1;
  let d = decode16(h, (mf & 1) != 0);
  if (hasBase) d = d - b;
  const mode = (mf >>> 1) & 3;
  if (mode == 2) d = 0;
  else if (mode == 1) {
    if (maskAt != 0) {
      if (load<u32>(maskAt + <usize>m * (STRIP << 2)) == 0) d = 0;
    } else {
      const key = load<u32>(rec, 8);
      if (fmix32(fmix32(idx ^ key) ^ key) < load<u32>(rec, 12)) d = 0;
    }
  }
  return load<f64>(coef + (<usize>m << 3)) * <f64>d;
}

// @ts-ignore: decorator
@inline
function nonfinite16(h: u32, f16: bool): bool {
  return (h & 0x7fff) >= (f16 ? <u32>0x7c00 : <u32>0x7f80);
}

/**
 * The low four of eight 16-bit words as f32: F16 decoded; BF16 moved into the high half of each lane by one
 * interleave with zero (vpunpcklwd) instead of a zero-extend and a shift.
 */
// @ts-ignore: decorator
@inline
function widenLow(w: v128, f16: bool, hExp: v128, hRebias: v128, hInf: v128, hSub: v128, hMagic: v128, hLow15: v128, izero: v128): v128 {
  if (f16) return halfToF32x4(i32x4.extend_low_i16x8_u(w), hExp, hRebias, hInf, hSub, hMagic, hLow15, izero);
  return i8x16.shuffle(izero, w, 0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23);
}

/** The high four of eight 16-bit words as f32 (as widenLow). */
// @ts-ignore: decorator
@inline
function widenHigh(w: v128, f16: bool, hExp: v128, hRebias: v128, hInf: v128, hSub: v128, hMagic: v128, hLow15: v128, izero: v128): v128 {
  if (f16) return halfToF32x4(i32x4.extend_high_i16x8_u(w), hExp, hRebias, hInf, hSub, hMagic, hLow15, izero);
  return i8x16.shuffle(izero, w, 8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31);
}
