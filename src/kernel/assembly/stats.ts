// Stats pass of the analyzer: per-block float64 partial sums of Δ = ft − base, a log-binned histogram of |Δ|
// with per-bin energy, and pairwise interference sums. Block = STATS_BLOCK elements from the chunk start (chunks
// start at multiples of the block in a tensor), so partials never depend on chunk size or thread count.
// Float64 sums use two lanes (element parity) and add lane 0 + lane 1 at the block end; the scalar TS reference
// (src/kernel/reference/stats.ts) sums in the same order, so both agree bit for bit.

const BLOCK: i32 = 4096;
/** f64 fields per block of stats_delta. */
const DELTA_FIELDS: i32 = 14;
/** f64 fields per block of stats_pair. */
const PAIR_FIELDS: i32 = 5;
/** Largest f32 ≤ 0.002 and ≤ 0.005: so an f32 compare equals the exact float64 compare with 0.002 / 0.005. */
const T0002: f32 = reinterpret<f32>(0x3b03126e);
const T0005: f32 = reinterpret<f32>(0x3ba3d70a);

@inline function hsumI(v: v128): f64 {
  return <f64>(i32x4.extract_lane(v, 0) + i32x4.extract_lane(v, 1) + i32x4.extract_lane(v, 2) + i32x4.extract_lane(v, 3));
}

@inline function hi2lo(v: v128): v128 {
  return i8x16.shuffle(v, v, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7);
}

/** Histogram bins per copy, and the byte size of one copy of the counts (u32) and energies (u64). */
const BINS: i32 = 8192;
const HIST_COPY: usize = <usize>BINS << 2;
const ENERGY_COPY: usize = <usize>BINS << 3;

/** Add the |Δ| at p to one histogram copy: count + 1, energy + ⌊m²/2²⁴⌋. */
// @ts-ignore: decorator
@inline function histOne(p: usize, hist: usize, energy: usize): void {
  const bits = load<u32>(p) & 0x7fffffff;
  const bin = <usize>(bits >>> 18);
  const hp = hist + (bin << 2);
  store<u32>(hp, load<u32>(hp) + 1);
  const m = <u64>((bits & 0x7fffff) | 0x800000);
  const ep = energy + (bin << 3);
  store<u64>(ep, load<u64>(ep) + ((m * m) >>> 24));
}

/** Σ b² of one block in the lane order above; masked: only where Δ = f − b is finite. */
function sumSqBlock(pb: usize, pf: usize, len: i32, masked: bool): f64 {
  const inf = f32x4.splat(Infinity);
  const len4 = len & ~3;
  let s = f64x2.splat(0);
  for (let i = 0; i < len4; i += 4) {
    let bv = v128.load(pb + (<usize>i << 2));
    if (masked) bv = v128.and(bv, f32x4.lt(f32x4.abs(f32x4.sub(v128.load(pf + (<usize>i << 2)), bv)), inf));
    const bl = f64x2.promote_low_f32x4(bv), bh = f64x2.promote_low_f32x4(hi2lo(bv));
    s = f64x2.add(f64x2.add(s, f64x2.mul(bl, bl)), f64x2.mul(bh, bh));
  }
  let s0 = f64x2.extract_lane(s, 0), s1 = f64x2.extract_lane(s, 1);
  for (let i = len4; i < len; i++) {
    const b = load<f32>(pb + (<usize>i << 2));
    if (masked && !(abs(load<f32>(pf + (<usize>i << 2)) - b) < Infinity)) continue;
    const q = <f64>b * <f64>b;
    if ((i & 1) == 0) s0 += q; else s1 += q;
  }
  return s0 + s1;
}

/** Σ base² per block of n values (one f64 per block at out): shared by every fine-tune's stats_delta. */
export function stats_base_sq(base: usize, n: i32, out: usize): void {
  for (let b0 = 0; b0 < n; b0 += BLOCK) {
    store<f64>(out + (<usize>(b0 / BLOCK) << 3), sumSqBlock(base + (<usize>b0 << 2), 0, min(BLOCK, n - b0), false));
  }
}

/**
 * Δ = ft − base over n f32 values; writes masked Δ (0 where non-finite) to delta, one record of DELTA_FIELDS f64
 * per block to out, and adds each finite |Δ| to hist (u32 counts) and energy (u64: Σ ⌊m²/2²⁴⌋ with
 * m = (bits & 0x7fffff) | 0x800000: right for normal floats; the bins below 2⁻¹²⁶, bin 0 with the zeros among
 * them, get energy 0 in analysis/histogram.ts). hist and energy are 4 copies each (4·8192 entries, zero except
 * copy 0 on entry; the result is in copy 0, copies 1–3 are left zero). baseSq holds stats_base_sq's records for the same values. Record: nonFinite, ΣΔ, ΣΔ², Σ|Δ|, ΣΔ³, ΣΔ⁴, max|Δ|, Σbase², Σft², #Δ>0, #Δ<0, #Δ=0, #|Δ|≤0.002, #|Δ|≤0.005.
 */
export function stats_delta(base: usize, ft: usize, delta: usize, n: i32, baseSq: usize, out: usize, hist: usize, energy: usize): void {
  const inf = f32x4.splat(Infinity);
  const zf = f32x4.splat(0);
  const t1 = f32x4.splat(T0002);
  const t2 = f32x4.splat(T0005);
  for (let b0 = 0; b0 < n; b0 += BLOCK) {
    const len = min(BLOCK, n - b0);
    const len4 = len & ~3;
    let s1 = f64x2.splat(0), s2 = f64x2.splat(0), sa = f64x2.splat(0), s3 = f64x2.splat(0), s4 = f64x2.splat(0);
    let sf = f64x2.splat(0);
    let cNf = i32x4.splat(0), cPos = i32x4.splat(0), cNeg = i32x4.splat(0), cT1 = i32x4.splat(0), cT2 = i32x4.splat(0);
    let vmax = f32x4.splat(0);
    const pb = base + (<usize>b0 << 2), pf = ft + (<usize>b0 << 2), pd = delta + (<usize>b0 << 2);
    for (let i = 0; i < len4; i += 4) {
      const off = <usize>i << 2;
      const bv = v128.load(pb + off);
      const fv = v128.load(pf + off);
      const raw = f32x4.sub(fv, bv);
      const fin = f32x4.lt(f32x4.abs(raw), inf);
      const d = v128.and(raw, fin);
      const ad = f32x4.abs(d);
      v128.store(pd + off, d);
      cNf = i32x4.sub(cNf, v128.not(fin));
      cPos = i32x4.sub(cPos, f32x4.gt(d, zf));
      cNeg = i32x4.sub(cNeg, f32x4.lt(d, zf));
      // masked entries are 0, so they count as ≤ 0.002 here and are taken back out below
      cT1 = i32x4.sub(cT1, f32x4.le(ad, t1));
      cT2 = i32x4.sub(cT2, f32x4.le(ad, t2));
      vmax = f32x4.pmax(vmax, ad); // no NaN here (masked), so the cheap pseudo-max is exact
      const dl = f64x2.promote_low_f32x4(d), dh = f64x2.promote_low_f32x4(hi2lo(d));
      const ql = f64x2.mul(dl, dl), qh = f64x2.mul(dh, dh);
      s1 = f64x2.add(f64x2.add(s1, dl), dh);
      s2 = f64x2.add(f64x2.add(s2, ql), qh);
      sa = f64x2.add(f64x2.add(sa, f64x2.abs(dl)), f64x2.abs(dh));
      s3 = f64x2.add(f64x2.add(s3, f64x2.mul(ql, dl)), f64x2.mul(qh, dh));
      s4 = f64x2.add(f64x2.add(s4, f64x2.mul(ql, ql)), f64x2.mul(qh, qh));
      const fm = v128.and(fv, fin);
      const fl = f64x2.promote_low_f32x4(fm), fh = f64x2.promote_low_f32x4(hi2lo(fm));
      sf = f64x2.add(f64x2.add(sf, f64x2.mul(fl, fl)), f64x2.mul(fh, fh));
    }
    // lanes to scalars; the tail (only in a tensor's last block) continues each lane in element order
    let a1_0 = f64x2.extract_lane(s1, 0), a1_1 = f64x2.extract_lane(s1, 1);
    let a2_0 = f64x2.extract_lane(s2, 0), a2_1 = f64x2.extract_lane(s2, 1);
    let aa_0 = f64x2.extract_lane(sa, 0), aa_1 = f64x2.extract_lane(sa, 1);
    let a3_0 = f64x2.extract_lane(s3, 0), a3_1 = f64x2.extract_lane(s3, 1);
    let a4_0 = f64x2.extract_lane(s4, 0), a4_1 = f64x2.extract_lane(s4, 1);
    let af_0 = f64x2.extract_lane(sf, 0), af_1 = f64x2.extract_lane(sf, 1);
    let nNf = hsumI(cNf), nPos = hsumI(cPos), nNeg = hsumI(cNeg), nT1 = hsumI(cT1) - nNf, nT2 = hsumI(cT2) - nNf;
    let mx = max(max(f32x4.extract_lane(vmax, 0), f32x4.extract_lane(vmax, 1)), max(f32x4.extract_lane(vmax, 2), f32x4.extract_lane(vmax, 3)));
    for (let i = len4; i < len; i++) {
      const off = <usize>i << 2;
      const bs = load<f32>(pb + off), fs = load<f32>(pf + off);
      const raw = fs - bs;
      if (!(abs(raw) < Infinity)) { store<f32>(pd + off, 0); nNf += 1; continue; }
      store<f32>(pd + off, raw);
      const ad = abs(raw);
      if (raw > 0) nPos += 1; else if (raw < 0) nNeg += 1;
      if (ad <= T0002) nT1 += 1;
      if (ad <= T0005) nT2 += 1;
      mx = max(mx, ad);
      const d = <f64>raw, q = d * d, fd = <f64>fs;
      if ((i & 1) == 0) {
        a1_0 += d; a2_0 += q; aa_0 += abs(d); a3_0 += q * d; a4_0 += q * q; af_0 += fd * fd;
      } else {
        a1_1 += d; a2_1 += q; aa_1 += abs(d); a3_1 += q * d; a4_1 += q * q; af_1 += fd * fd;
      }
    }
    const rec = out + (<usize>(b0 / BLOCK) * <usize>DELTA_FIELDS << 3);
    store<f64>(rec, nNf);
    store<f64>(rec, a1_0 + a1_1, 8);
    store<f64>(rec, a2_0 + a2_1, 16);
    store<f64>(rec, aa_0 + aa_1, 24);
    store<f64>(rec, a3_0 + a3_1, 32);
    store<f64>(rec, a4_0 + a4_1, 40);
    store<f64>(rec, <f64>mx, 48);
    store<f64>(rec, nNf == 0 ? load<f64>(baseSq + (<usize>(b0 / BLOCK) << 3)) : sumSqBlock(pb, pf, len, true), 56);
    store<f64>(rec, af_0 + af_1, 64);
    store<f64>(rec, nPos, 72);
    store<f64>(rec, nNeg, 80);
    store<f64>(rec, <f64>len - nNf - nPos - nNeg, 88);
    store<f64>(rec, nT1, 96);
    store<f64>(rec, nT2, 104);
    // histogram of |Δ|: element i goes to copy i % 4, so runs of equal bins (BF16 deltas take few distinct values)
    // do not chain store→load latencies; non-finite entries were stored as 0 and are taken back out of bin 0 below
    let i = 0;
    for (; i + 4 <= len; i += 4) {
      histOne(pd + (<usize>i << 2), hist, energy);
      histOne(pd + (<usize>i << 2) + 4, hist + HIST_COPY, energy + ENERGY_COPY);
      histOne(pd + (<usize>i << 2) + 8, hist + 2 * HIST_COPY, energy + 2 * ENERGY_COPY);
      histOne(pd + (<usize>i << 2) + 12, hist + 3 * HIST_COPY, energy + 3 * ENERGY_COPY);
    }
    for (; i < len; i++) histOne(pd + (<usize>i << 2), hist, energy);
    store<u32>(hist, load<u32>(hist) - <u32>nNf);
    store<u64>(energy, load<u64>(energy) - (<u64>nNf << 22)); // and their ⌊2⁴⁶/2²⁴⌋ each
  }
  // fold copies 1–3 into copy 0 and clear them (modular sums: exact even if copy 0 wrapped below zero above)
  for (let c: usize = 1; c < 4; c++) {
    for (let j: usize = 0; j < <usize>BINS; j++) {
      const hp = hist + c * HIST_COPY + (j << 2), ep = energy + c * ENERGY_COPY + (j << 3);
      const hv = load<u32>(hp);
      if (hv == 0) continue;
      store<u32>(hist + (j << 2), load<u32>(hist + (j << 2)) + hv);
      store<u64>(energy + (j << 3), load<u64>(energy + (j << 3)) + load<u64>(ep));
      store<u32>(hp, 0);
      store<u64>(ep, 0);
    }
  }
}

/**
 * Pairwise sums over two masked Δ arrays (non-finite already 0), one record of PAIR_FIELDS f64 per block:
 * Σ Δa·Δb, #both ≠ 0, #both ≠ 0 with opposite signs, Σ min(|Δa|,|Δb|), Σ_conflicting min(|Δa|,|Δb|).
 */
export function stats_pair(da: usize, db: usize, n: i32, out: usize): void {
  const zf = f32x4.splat(0);
  const zi = i32x4.splat(0);
  for (let b0 = 0; b0 < n; b0 += BLOCK) {
    const len = min(BLOCK, n - b0);
    const len4 = len & ~3;
    let sDot = f64x2.splat(0), sMin = f64x2.splat(0), sMinC = f64x2.splat(0);
    let cBoth = i32x4.splat(0), cConf = i32x4.splat(0);
    const pa = da + (<usize>b0 << 2), pb = db + (<usize>b0 << 2);
    for (let i = 0; i < len4; i += 4) {
      const off = <usize>i << 2;
      const a = v128.load(pa + off), b = v128.load(pb + off);
      const both = v128.and(f32x4.ne(a, zf), f32x4.ne(b, zf));
      const conf = v128.and(both, i32x4.lt_s(v128.xor(a, b), zi));
      cBoth = i32x4.sub(cBoth, both);
      cConf = i32x4.sub(cConf, conf);
      const mn = f32x4.pmin(f32x4.abs(a), f32x4.abs(b)); // no NaN (masked): pseudo-min is exact
      const mc = v128.and(mn, conf);
      const al = f64x2.promote_low_f32x4(a), ah = f64x2.promote_low_f32x4(hi2lo(a));
      const bl = f64x2.promote_low_f32x4(b), bh = f64x2.promote_low_f32x4(hi2lo(b));
      sDot = f64x2.add(f64x2.add(sDot, f64x2.mul(al, bl)), f64x2.mul(ah, bh));
      sMin = f64x2.add(f64x2.add(sMin, f64x2.promote_low_f32x4(mn)), f64x2.promote_low_f32x4(hi2lo(mn)));
      sMinC = f64x2.add(f64x2.add(sMinC, f64x2.promote_low_f32x4(mc)), f64x2.promote_low_f32x4(hi2lo(mc)));
    }
    let d0 = f64x2.extract_lane(sDot, 0), d1 = f64x2.extract_lane(sDot, 1);
    let m0 = f64x2.extract_lane(sMin, 0), m1 = f64x2.extract_lane(sMin, 1);
    let c0 = f64x2.extract_lane(sMinC, 0), c1 = f64x2.extract_lane(sMinC, 1);
    let nBoth = hsumI(cBoth), nConf = hsumI(cConf);
    for (let i = len4; i < len; i++) {
      const off = <usize>i << 2;
      const a = load<f32>(pa + off), b = load<f32>(pb + off);
      const p = <f64>a * <f64>b;
      const mn = <f64>min(abs(a), abs(b));
      const isBoth = a != 0 && b != 0;
      const isConf = isBoth && ((reinterpret<u32>(a) ^ reinterpret<u32>(b)) >>> 31) != 0;
      if (isBoth) nBoth += 1;
      if (isConf) nConf += 1;
      const mc = isConf ? mn : 0.0;
      if ((i & 1) == 0) { d0 += p; m0 += mn; c0 += mc; } else { d1 += p; m1 += mn; c1 += mc; }
    }
    const rec = out + (<usize>(b0 / BLOCK) * <usize>PAIR_FIELDS << 3);
    store<f64>(rec, d0 + d1);
    store<f64>(rec, nBoth, 8);
    store<f64>(rec, nConf, 16);
    store<f64>(rec, m0 + m1, 24);
    store<f64>(rec, c0 + c1, 32);
  }
}

/** Convert n u64 values at src to f64 at dst and zero src (exact below 2⁵³). */
export function stats_u64_to_f64(src: usize, dst: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const p = src + (<usize>i << 3);
    store<f64>(dst + (<usize>i << 3), <f64>load<u64>(p));
    store<u64>(p, 0);
  }
}
