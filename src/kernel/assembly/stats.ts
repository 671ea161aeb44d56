// Stats pass of the analyzer, fused over one chunk: every model's chunk is taken block by block (the base, F16 and
// exact-path blocks decoded into a block-sized scratch that stays in cache; BF16 fine-tunes read raw by the fast
// path), then per fine-tune the partial sums of Δ = ft − base, a log-binned
// histogram of |Δ| with per-bin energy, and the pairwise interference sums, all from the same cache-resident block.
// Block = STATS_BLOCK elements from the chunk start (chunks start at multiples of the block in a tensor), so
// partials never depend on chunk size or thread count.
//
// Two paths per block, chosen by the block's own data (so the choice is deterministic too):
// - fast (the usual case): sums in float32 over groups of 64 elements (4 lanes × 16), each group folded into
//   float64 (lanes 0+2 → f64 lane 0, 1+3 → f64 lane 1; f64 lane 0 + lane 1 at the block end); elements past the
//   last whole group go straight into the f64 lanes by element parity. The |Δ| histogram and the pair counts
//   then come from a sample when `sampled` is set: in each group of 64, the 4 elements at 4·(h(group) mod 16),
//   h = fmix32(fmix32(g ^ key) ^ key) (g = the group's index in the tensor), each counted with weight 16;
//   elements past the last whole group are counted with weight 1.
// - exact (any Δ, base or fine-tune non-finite in the block, a float32 sum that overflowed, or a sum of squares
//   small enough for float32 underflow to matter): float64 sums in two lanes by element parity, every element in
//   the histogram and the pair counts.
// The scalar TS reference (src/kernel/reference/stats.ts) follows the same order, so both agree bit for bit.
import { decode_bf16 } from './decode_bf16';
import { decode_f16 } from './decode_f16';
import { fmix32 } from './hash';
// sizes and record field offsets: generated from src/kernel/abi.ts by scripts/build-kernel.mjs
import {
  DELTA_FIELDS, DELTA_LE0002, DELTA_LE0005, DELTA_MAX_ABS_DELTA, DELTA_NEGATIVE, DELTA_NON_FINITE, DELTA_POSITIVE,
  DELTA_SUM_ABS_DELTA, DELTA_SUM_CUBE_DELTA, DELTA_SUM_DELTA, DELTA_SUM_QUAD_DELTA, DELTA_SUM_SQ_BASE, DELTA_SUM_SQ_DELTA,
  DELTA_SUM_SQ_FT, DELTA_ZERO, HIST_BINS, PAIR_BOTH_NONZERO, PAIR_CONFLICTS, PAIR_DOT, PAIR_FIELDS, PAIR_MIN_BOTH,
  PAIR_MIN_CONFLICT, SAMPLE_WEIGHT, STATS_BLOCK, STATS_GROUP, STATS_T0002_BITS, STATS_T0005_BITS, STATS_TINY,
} from './abi_generated';

const BLOCK: i32 = STATS_BLOCK;
const BLOCK_BYTES: usize = <usize>BLOCK << 2;
/** Largest f32 ≤ 0.002 and ≤ 0.005: so an f32 compare equals the exact float64 compare with 0.002 / 0.005. */
const T0002: f32 = reinterpret<f32>(STATS_T0002_BITS);
const T0005: f32 = reinterpret<f32>(STATS_T0005_BITS);

/** Histogram bins (f32 bits of |Δ| >>> 18) and the byte size of one packed copy (u64 per bin). */
const BINS: i32 = HIST_BINS;
const PACKED_COPY: usize = <usize>BINS << 3;
/** Distance between the 4 packed copies: skewed by 5 cache lines so one bin's copies do not alias at 4 KiB. */
const COPY_STRIDE: usize = PACKED_COPY + 320;
/**
 * Packed bin word: count << 44 | Σ ⌊m²/2²⁴⌋ (each term < 2²⁴). Flushed every FLUSH_BLOCKS blocks (2¹⁹ entries),
 * so a word holds < 2²⁰ entries: the energy field stays < 2⁴⁴ and the count field < 2²⁰ — no carry between them.
 */
const COUNT_SHIFT: u64 = 44;
const ENERGY_MASK: u64 = (<u64>1 << COUNT_SHIFT) - 1;
const FLUSH_BLOCKS: i32 = 128;

@inline function hsumI(v: v128): f64 {
  return <f64>(i32x4.extract_lane(v, 0) + i32x4.extract_lane(v, 1) + i32x4.extract_lane(v, 2) + i32x4.extract_lane(v, 3));
}

/** Sum of the 8 i16 lanes (each ≥ 0 and small). */
// @ts-ignore: decorator
@inline function hsum16(v: v128): f64 {
  return hsumI(i32x4.extadd_pairwise_i16x8_s(v));
}

@inline function hi2lo(v: v128): v128 {
  return i8x16.shuffle(v, v, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7);
}

/** Bytes of per-fine-tune workspace: packed histogram copies (4 · BINS u64), count (u32) and energy (u64) sums. */
const FT_WORK: usize = 4 * COPY_STRIDE + (<usize>BINS << 2) + (<usize>BINS << 3);

/** Bytes of workspace stats_chunk needs for k fine-tunes (zeroed once by the caller; left zeroed). */
export function stats_work_bytes(k: i32): usize {
  return headerBytes(k) + <usize>(BLOCK / GROUP) + (<usize>(2 * k + 1)) * BLOCK_BYTES + <usize>k * FT_WORK;
}

/** The workspace header: the SIMD constants (64 bytes, see CONSTS), then one u32 block pointer per model, rounded up to 64 bytes. */
@inline function headerBytes(k: i32): usize {
  return 64 + (((<usize>(k + 1) << 2) + 63) & ~<usize>63);
}

/**
 * Byte offsets of the SIMD constants the Δ pass loads from the workspace (|x| mask, 0.002, 0.005 thresholds): loaded,
 * not literal, because V8 rematerializes literal v128 constants inside loops (3 instructions each, every iteration).
 */
const C_ABS: usize = 0, C_T1: usize = 16, C_T2: usize = 32; // |x| mask; bits(0.002) + 1, bits(0.005) + 1

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

/** Add one |Δ| (bits at p) to a packed histogram copy. */
// @ts-ignore: decorator
@inline function histOne(p: usize, packed: usize): void {
  histBits(load<u32>(p) & 0x7fffffff, packed);
}

/** Add one |Δ| (its f32 bits, sign clear) to a packed histogram copy. */
// @ts-ignore: decorator
@inline function histBits(bits: u32, packed: usize): void {
  const hp = packed + (<usize>(bits >>> 18) << 3);
  const m = <u64>((bits & 0x7fffff) | 0x800000);
  store<u64>(hp, load<u64>(hp) + ((<u64>1 << COUNT_SHIFT) | ((m * m) >>> 24)));
}

/**
 * One block of one fine-tune: masked Δ (0 where non-finite) to pd, the block record to rec, each |Δ| into the
 * packed histogram (element i into copy i % 4, so runs of equal bins do not chain store→load latencies).
 * Returns the number of non-finite entries (they went to bin 0 as Δ = 0; the caller takes them back out).
 */
function deltaBlock(pb: usize, pf: usize, pd: usize, len: i32, baseSq: f64, rec: usize, packed: usize): i32 {
  const inf = f32x4.splat(Infinity);
  const zf = f32x4.splat(0);
  const t1 = f32x4.splat(T0002);
  const t2 = f32x4.splat(T0005);
  const len4 = len & ~3;
  let s1 = f64x2.splat(0), s2 = f64x2.splat(0), sa = f64x2.splat(0), s3 = f64x2.splat(0), s4 = f64x2.splat(0);
  let sf = f64x2.splat(0);
  let cFin = i32x4.splat(0), cPos = i32x4.splat(0), cNeg = i32x4.splat(0), cT1 = i32x4.splat(0), cT2 = i32x4.splat(0);
  let vmax = f32x4.splat(0);
  for (let i = 0; i < len4; i += 4) {
    const off = <usize>i << 2;
    const bv = v128.load(pb + off);
    const fv = v128.load(pf + off);
    const raw = f32x4.sub(fv, bv);
    const fin = f32x4.lt(f32x4.abs(raw), inf);
    const d = v128.and(raw, fin);
    const ad = f32x4.abs(d);
    v128.store(pd + off, d);
    cFin = i32x4.sub(cFin, fin);
    cPos = i32x4.sub(cPos, f32x4.gt(d, zf));
    cNeg = i32x4.sub(cNeg, f32x4.lt(d, zf));
    // masked entries are 0, so they count as ≤ 0.002 here and are taken back out below
    cT1 = i32x4.sub(cT1, f32x4.le(ad, t1));
    cT2 = i32x4.sub(cT2, f32x4.le(ad, t2));
    vmax = f32x4.pmax(vmax, ad); // no NaN here (masked), so the cheap pseudo-max is exact
    // histogram: lane j into copy j, so runs of equal bins do not chain store→load latencies
    histBits(i32x4.extract_lane(ad, 0), packed);
    histBits(i32x4.extract_lane(ad, 1), packed + COPY_STRIDE);
    histBits(i32x4.extract_lane(ad, 2), packed + 2 * COPY_STRIDE);
    histBits(i32x4.extract_lane(ad, 3), packed + 3 * COPY_STRIDE);
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
  let nNf = <f64>len4 - hsumI(cFin), nPos = hsumI(cPos), nNeg = hsumI(cNeg), nT1 = hsumI(cT1) - nNf, nT2 = hsumI(cT2) - nNf;
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
  store<f64>(rec, nNf, DELTA_NON_FINITE);
  store<f64>(rec, a1_0 + a1_1, DELTA_SUM_DELTA);
  store<f64>(rec, a2_0 + a2_1, DELTA_SUM_SQ_DELTA);
  store<f64>(rec, aa_0 + aa_1, DELTA_SUM_ABS_DELTA);
  store<f64>(rec, a3_0 + a3_1, DELTA_SUM_CUBE_DELTA);
  store<f64>(rec, a4_0 + a4_1, DELTA_SUM_QUAD_DELTA);
  store<f64>(rec, <f64>mx, DELTA_MAX_ABS_DELTA);
  store<f64>(rec, nNf == 0 ? baseSq : sumSqBlock(pb, pf, len, true), DELTA_SUM_SQ_BASE);
  store<f64>(rec, af_0 + af_1, DELTA_SUM_SQ_FT);
  store<f64>(rec, nPos, DELTA_POSITIVE);
  store<f64>(rec, nNeg, DELTA_NEGATIVE);
  store<f64>(rec, <f64>len - nNf - nPos - nNeg, DELTA_ZERO);
  store<f64>(rec, nT1, DELTA_LE0002);
  store<f64>(rec, nT2, DELTA_LE0005);
  for (let i = len4; i < len; i++) histOne(pd + (<usize>i << 2), packed);
  return <i32>nNf;
}

/** Pair sums of one block of two masked Δ: Σ Δa·Δb, #both ≠ 0, #opposite signs, Σ min(|Δa|,|Δb|), Σ over conflicts. */
function pairBlock(pa: usize, pb: usize, len: i32, rec: usize): void {
  const zf = f32x4.splat(0);
  const zi = i32x4.splat(0);
  const len4 = len & ~3;
  let sDot = f64x2.splat(0), sMin = f64x2.splat(0), sMinC = f64x2.splat(0);
  let cBoth = i32x4.splat(0), cConf = i32x4.splat(0);
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
  store<f64>(rec, d0 + d1, PAIR_DOT);
  store<f64>(rec, nBoth, PAIR_BOTH_NONZERO);
  store<f64>(rec, nConf, PAIR_CONFLICTS);
  store<f64>(rec, m0 + m1, PAIR_MIN_BOTH);
  store<f64>(rec, c0 + c1, PAIR_MIN_CONFLICT);
}

/** Elements per float32 summation group (16 per lane) and per histogram/pair sample stratum. */
const GROUP: i32 = STATS_GROUP;
/** Below this a float32 sum of squares may carry float32 underflow error that matters (2⁻⁹⁰): use the exact path. */
const TINY: f64 = STATS_TINY;

/** f64 lane 0 += f32 lanes 0, 2 and lane 1 += lanes 1, 3 (in that order): one group's float32 sums into float64. */
// @ts-ignore: decorator
@inline function fold(acc: v128, s: v128): v128 {
  return f64x2.add(f64x2.add(acc, f64x2.promote_low_f32x4(s)), f64x2.promote_low_f32x4(hi2lo(s)));
}

/** Σ b² of one block on the fast path: float32 groups of 64 folded into float64, the tail in float64 by parity. */
function sumSqFast(pb: usize, len: i32): f64 {
  const len64 = len & ~(GROUP - 1);
  const len256 = len & ~(4 * GROUP - 1);
  let acc = f64x2.splat(0);
  // four groups at a time: four independent float32 chains instead of one add latency per step (same sums)
  for (let g = 0; g < len256; g += 4 * GROUP) {
    let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
    for (let i = g; i < g + GROUP; i += 4) {
      const p = pb + (<usize>i << 2);
      const b0 = v128.load(p), b1 = v128.load(p, 256), b2 = v128.load(p, 512), b3 = v128.load(p, 768);
      s0 = f32x4.add(s0, f32x4.mul(b0, b0));
      s1 = f32x4.add(s1, f32x4.mul(b1, b1));
      s2 = f32x4.add(s2, f32x4.mul(b2, b2));
      s3 = f32x4.add(s3, f32x4.mul(b3, b3));
    }
    acc = fold(fold(fold(fold(acc, s0), s1), s2), s3);
  }
  for (let g = len256; g < len64; g += GROUP) {
    let s = f32x4.splat(0);
    for (let i = g; i < g + GROUP; i += 4) {
      const bv = v128.load(pb + (<usize>i << 2));
      s = f32x4.add(s, f32x4.mul(bv, bv));
    }
    acc = fold(acc, s);
  }
  let a0 = f64x2.extract_lane(acc, 0), a1 = f64x2.extract_lane(acc, 1);
  for (let i = len64; i < len; i++) {
    const b = <f64>load<f32>(pb + (<usize>i << 2));
    if ((i & 1) == 0) a0 += b * b; else a1 += b * b;
  }
  return a0 + a1;
}

/** One fine-tune value: raw BF16 (u16 LE) at p when bf16, else f32. */
// @ts-ignore: decorator
@inline function ftAt(p: usize, bf16: bool, i: i32): f32 {
  return bf16 ? reinterpret<f32>(<u32>load<u16>(p + (<usize>i << 1)) << 16) : load<f32>(p + (<usize>i << 2));
}

/**
 * Fast path of one fine-tune's block: Δ to pd and the block record to rec (same layout as deltaBlock). Returns
 * false when the block must take the exact path instead: a non-finite Δ, a float32 sum that overflowed, or sums of
 * squares below TINY (where float32 underflow could matter) unless every Δ is 0.
 */
function deltaFast(pb: usize, pf: usize, bf16: bool, pd: usize, len: i32, baseSq: f64, rec: usize, consts: usize): bool {
  const len64 = len & ~(GROUP - 1);
  // Two passes over the block (in L1), so each loop's accumulators and constants fit the 16 SIMD registers: with
  // all 11 accumulators in one loop the compiled code spilled and rematerialized constants every iteration.
  // Pass 1: Δ to pd and the float32 group sums.
  const absMask = v128.load(consts, C_ABS);
  let a1 = f64x2.splat(0), a2 = f64x2.splat(0), aa = f64x2.splat(0), a3 = f64x2.splat(0), a4 = f64x2.splat(0), af = f64x2.splat(0);
  // (BF16 fine-tunes are read raw: each u16 into the high half of a u32 lane is its exact f32, so they need no
  // decoding pass; the two loops below differ only in how they load the fine-tune, and repeat the body on purpose:
  // one loop with a loop-invariant format branch and 4-wide BF16 loads measured 4% slower in the kernel, 3.09–3.10 against
  // 2.93–2.97 ns per position, old and new alternately on an idle machine, 2026-12-01)
  if (bf16) {
    const zv = i32x4.splat(0);
    for (let g = 0; g < len64; g += GROUP) {
      let s1 = f32x4.splat(0), s2 = f32x4.splat(0), sa = f32x4.splat(0), s3 = f32x4.splat(0), s4 = f32x4.splat(0), sf = f32x4.splat(0);
      for (let i = g; i < g + GROUP; i += 8) {
        const raw = v128.load(pf + (<usize>i << 1));
        const f0 = i8x16.shuffle(zv, raw, 0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23);
        const f1 = i8x16.shuffle(zv, raw, 8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31);
      {
        const off = <usize>(i + 0) << 2;
        const bv = v128.load(pb + off);
        const d = f32x4.sub(f0, bv);
        v128.store(pd + off, d);
        s1 = f32x4.add(s1, d);
        sa = f32x4.add(sa, v128.and(d, absMask));
        const q = f32x4.mul(d, d);
        s2 = f32x4.add(s2, q);
        s3 = f32x4.add(s3, f32x4.mul(q, d));
        s4 = f32x4.add(s4, f32x4.mul(q, q));
        sf = f32x4.add(sf, f32x4.mul(f0, f0));
      }
      {
        const off = <usize>(i + 4) << 2;
        const bv = v128.load(pb + off);
        const d = f32x4.sub(f1, bv);
        v128.store(pd + off, d);
        s1 = f32x4.add(s1, d);
        sa = f32x4.add(sa, v128.and(d, absMask));
        const q = f32x4.mul(d, d);
        s2 = f32x4.add(s2, q);
        s3 = f32x4.add(s3, f32x4.mul(q, d));
        s4 = f32x4.add(s4, f32x4.mul(q, q));
        sf = f32x4.add(sf, f32x4.mul(f1, f1));
      }
      }
      a1 = fold(a1, s1); a2 = fold(a2, s2); aa = fold(aa, sa); a3 = fold(a3, s3); a4 = fold(a4, s4); af = fold(af, sf);
    }
  } else {
    for (let g = 0; g < len64; g += GROUP) {
      let s1 = f32x4.splat(0), s2 = f32x4.splat(0), sa = f32x4.splat(0), s3 = f32x4.splat(0), s4 = f32x4.splat(0), sf = f32x4.splat(0);
      for (let i = g; i < g + GROUP; i += 4) {
        const fv = v128.load(pf + (<usize>i << 2));
      {
        const off = <usize>(i + 0) << 2;
        const bv = v128.load(pb + off);
        const d = f32x4.sub(fv, bv);
        v128.store(pd + off, d);
        s1 = f32x4.add(s1, d);
        sa = f32x4.add(sa, v128.and(d, absMask));
        const q = f32x4.mul(d, d);
        s2 = f32x4.add(s2, q);
        s3 = f32x4.add(s3, f32x4.mul(q, d));
        s4 = f32x4.add(s4, f32x4.mul(q, q));
        sf = f32x4.add(sf, f32x4.mul(fv, fv));
      }
      }
      a1 = fold(a1, s1); a2 = fold(a2, s2); aa = fold(aa, sa); a3 = fold(a3, s3); a4 = fold(a4, s4); af = fold(af, sf);
    }
  }
  // Pass 2: the counts and max |Δ| from the stored Δ.
  // Eight elements per step, each condition as the sign of an i32 narrowed (with saturation, which keeps the sign
  // and zero-ness) to i16, then compared and counted in i16 lanes (≤ 512 per lane and block): Δ > 0 ⇔ its bits as
  // i32 > 0 (−0 and negatives are negative); Δ ≠ 0 ⇔ |Δ| bits > 0; |Δ| ≤ t ⇔ |Δ| bits − (bits(t) + 1) < 0 (bit order
  // is value order for finite non-negative floats; a NaN or Inf sends the block to the exact path anyway).
  const zi = i16x8.splat(0);
  const t1 = v128.load(consts, C_T1);
  const t2 = v128.load(consts, C_T2);
  let cPos = i16x8.splat(0), cNz = i16x8.splat(0), cT1 = i16x8.splat(0), cT2 = i16x8.splat(0), mxb = i32x4.splat(0);
  for (let i = 0; i < len64; i += 8) {
    const p = pd + (<usize>i << 2);
    const d0 = v128.load(p), d1 = v128.load(p, 16);
    const ad0 = v128.and(d0, absMask), ad1 = v128.and(d1, absMask);
    mxb = i32x4.max_u(i32x4.max_u(mxb, ad0), ad1); // bits of |Δ|: ≥ 0x7f800000 exactly when Δ is NaN or ±Inf
    cPos = i16x8.sub(cPos, i16x8.gt_s(i16x8.narrow_i32x4_s(d0, d1), zi));
    cNz = i16x8.sub(cNz, i16x8.gt_s(i16x8.narrow_i32x4_s(ad0, ad1), zi));
    cT1 = i16x8.sub(cT1, i16x8.lt_s(i16x8.narrow_i32x4_s(i32x4.sub(ad0, t1), i32x4.sub(ad1, t1)), zi));
    cT2 = i16x8.sub(cT2, i16x8.lt_s(i16x8.narrow_i32x4_s(i32x4.sub(ad0, t2), i32x4.sub(ad1, t2)), zi));
  }
  let a1_0 = f64x2.extract_lane(a1, 0), a1_1 = f64x2.extract_lane(a1, 1);
  let a2_0 = f64x2.extract_lane(a2, 0), a2_1 = f64x2.extract_lane(a2, 1);
  let aa_0 = f64x2.extract_lane(aa, 0), aa_1 = f64x2.extract_lane(aa, 1);
  let a3_0 = f64x2.extract_lane(a3, 0), a3_1 = f64x2.extract_lane(a3, 1);
  let a4_0 = f64x2.extract_lane(a4, 0), a4_1 = f64x2.extract_lane(a4, 1);
  let af_0 = f64x2.extract_lane(af, 0), af_1 = f64x2.extract_lane(af, 1);
  let nPos = hsum16(cPos), nNeg = hsum16(cNz) - nPos, nT1 = hsum16(cT1), nT2 = hsum16(cT2);
  let mx = max(max(i32x4.extract_lane(mxb, 0) as u32, i32x4.extract_lane(mxb, 1) as u32), max(i32x4.extract_lane(mxb, 2) as u32, i32x4.extract_lane(mxb, 3) as u32));
  for (let i = len64; i < len; i++) {
    const off = <usize>i << 2;
    const bs = load<f32>(pb + off), fs = ftAt(pf, bf16, i);
    const raw = fs - bs;
    store<f32>(pd + off, raw);
    const bits = reinterpret<u32>(raw) & 0x7fffffff;
    if (bits >= 0x7f800000) return false;
    if (bits > mx) mx = bits;
    const ad = abs(raw);
    if (raw > 0) nPos += 1; else if (raw < 0) nNeg += 1;
    if (ad <= T0002) nT1 += 1;
    if (ad <= T0005) nT2 += 1;
    const d = <f64>raw, q = d * d, fd = <f64>fs;
    if ((i & 1) == 0) {
      a1_0 += d; a2_0 += q; aa_0 += abs(d); a3_0 += q * d; a4_0 += q * q; af_0 += fd * fd;
    } else {
      a1_1 += d; a2_1 += q; aa_1 += abs(d); a3_1 += q * d; a4_1 += q * q; af_1 += fd * fd;
    }
  }
  if (mx >= 0x7f800000) return false;
  const s1 = a1_0 + a1_1, s2 = a2_0 + a2_1, sa = aa_0 + aa_1, s3 = a3_0 + a3_1, s4 = a4_0 + a4_1, sf = af_0 + af_1;
  if (!(isFinite(s1) && isFinite(s2) && isFinite(sa) && isFinite(s3) && isFinite(s4) && isFinite(sf))) return false;
  if ((sa != 0 && s4 < TINY) || sf < TINY) return false;
  store<f64>(rec, 0, DELTA_NON_FINITE);
  store<f64>(rec, s1, DELTA_SUM_DELTA);
  store<f64>(rec, s2, DELTA_SUM_SQ_DELTA);
  store<f64>(rec, sa, DELTA_SUM_ABS_DELTA);
  store<f64>(rec, s3, DELTA_SUM_CUBE_DELTA);
  store<f64>(rec, s4, DELTA_SUM_QUAD_DELTA);
  store<f64>(rec, <f64>reinterpret<f32>(mx), DELTA_MAX_ABS_DELTA);
  store<f64>(rec, baseSq, DELTA_SUM_SQ_BASE);
  store<f64>(rec, sf, DELTA_SUM_SQ_FT);
  store<f64>(rec, nPos, DELTA_POSITIVE);
  store<f64>(rec, nNeg, DELTA_NEGATIVE);
  store<f64>(rec, <f64>len - nPos - nNeg, DELTA_ZERO);
  store<f64>(rec, nT1, DELTA_LE0002);
  store<f64>(rec, nT2, DELTA_LE0005);
  return true;
}

/** Add one |Δ| (its f32 bits, sign clear) with weight 16 to a packed histogram copy. */
// @ts-ignore: decorator
@inline function histBits16(bits: u32, packed: usize): void {
  const hp = packed + (<usize>(bits >>> 18) << 3);
  const m = <u64>((bits & 0x7fffff) | 0x800000);
  store<u64>(hp, load<u64>(hp) + ((<u64>16 << COUNT_SHIFT) | (((m * m) >>> 24) << 4)));
}

/** Every |Δ| of a block (finite, at pd) into the packed histogram: element i into copy i % 4. */
function histAll(pd: usize, len: i32, packed: usize): void {
  const len4 = len & ~3;
  for (let i = 0; i < len4; i += 4) {
    const p = pd + (<usize>i << 2);
    histOne(p, packed);
    histOne(p + 4, packed + COPY_STRIDE);
    histOne(p + 8, packed + 2 * COPY_STRIDE);
    histOne(p + 12, packed + 3 * COPY_STRIDE);
  }
  for (let i = len4; i < len; i++) histOne(pd + (<usize>i << 2), packed);
}

/** The sampled |Δ| of a block: per whole group its 4 elements at offs[g] with weight 16; the tail with weight 1. */
function histSampled(pd: usize, len: i32, packed: usize, offs: usize): void {
  const len64 = len & ~(GROUP - 1);
  for (let g = 0; g < len64; g += GROUP) {
    const p = pd + (<usize>(g + <i32>load<u8>(offs + <usize>(g >> 6))) << 2);
    histBits16(load<u32>(p) & 0x7fffffff, packed);
    histBits16(load<u32>(p, 4) & 0x7fffffff, packed + COPY_STRIDE);
    histBits16(load<u32>(p, 8) & 0x7fffffff, packed + 2 * COPY_STRIDE);
    histBits16(load<u32>(p, 12) & 0x7fffffff, packed + 3 * COPY_STRIDE);
  }
  for (let i = len64; i < len; i++) histOne(pd + (<usize>i << 2), packed);
}

/**
 * Pair sums of one fast-path block (finite Δ): Σ Δa·Δb over every element (float32 groups folded into float64,
 * the tail in float64 by parity); the counts and min sums from the sample (weight 16) plus the tail (weight 1).
 */
function pairSampled(pa: usize, pb: usize, len: i32, rec: usize, offs: usize): void {
  const zf = f32x4.splat(0);
  const zi = i32x4.splat(0);
  const len64 = len & ~(GROUP - 1);
  let sDot = f64x2.splat(0), sMin = f64x2.splat(0), sMinC = f64x2.splat(0);
  let cBoth = i32x4.splat(0), cConf = i32x4.splat(0);
  // the dot: four groups at a time (four independent float32 chains; folded in group order, so the same sums)
  const len256 = len & ~(4 * GROUP - 1);
  for (let g = 0; g < len256; g += 4 * GROUP) {
    let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
    for (let i = g; i < g + GROUP; i += 4) {
      const off = <usize>i << 2;
      s0 = f32x4.add(s0, f32x4.mul(v128.load(pa + off), v128.load(pb + off)));
      s1 = f32x4.add(s1, f32x4.mul(v128.load(pa + off, 256), v128.load(pb + off, 256)));
      s2 = f32x4.add(s2, f32x4.mul(v128.load(pa + off, 512), v128.load(pb + off, 512)));
      s3 = f32x4.add(s3, f32x4.mul(v128.load(pa + off, 768), v128.load(pb + off, 768)));
    }
    sDot = fold(fold(fold(fold(sDot, s0), s1), s2), s3);
  }
  for (let g = len256; g < len64; g += GROUP) {
    let s = f32x4.splat(0);
    for (let i = g; i < g + GROUP; i += 4) {
      const off = <usize>i << 2;
      s = f32x4.add(s, f32x4.mul(v128.load(pa + off), v128.load(pb + off)));
    }
    sDot = fold(sDot, s);
  }
  // the sampled counts and min sums, group by group
  for (let g = 0; g < len64; g += GROUP) {
    const off = <usize>(g + <i32>load<u8>(offs + <usize>(g >> 6))) << 2;
    const a = v128.load(pa + off), b = v128.load(pb + off);
    const both = v128.and(f32x4.ne(a, zf), f32x4.ne(b, zf));
    const conf = v128.and(both, i32x4.lt_s(v128.xor(a, b), zi));
    cBoth = i32x4.sub(cBoth, both);
    cConf = i32x4.sub(cConf, conf);
    const mn = f32x4.pmin(f32x4.abs(a), f32x4.abs(b)); // finite: pseudo-min is exact
    sMin = fold(sMin, mn);
    sMinC = fold(sMinC, v128.and(mn, conf));
  }
  let d0 = f64x2.extract_lane(sDot, 0), d1 = f64x2.extract_lane(sDot, 1);
  let nBoth = SAMPLE_WEIGHT * hsumI(cBoth), nConf = SAMPLE_WEIGHT * hsumI(cConf);
  let m0: f64 = 0, m1: f64 = 0, c0: f64 = 0, c1: f64 = 0;
  for (let i = len64; i < len; i++) {
    const off = <usize>i << 2;
    const a = load<f32>(pa + off), b = load<f32>(pb + off);
    const p = <f64>a * <f64>b;
    const mn = <f64>min(abs(a), abs(b));
    const isBoth = a != 0 && b != 0;
    const isConf = isBoth && ((reinterpret<u32>(a) ^ reinterpret<u32>(b)) >>> 31) != 0;
    if (isBoth) nBoth += 1;
    if (isConf) nConf += 1;
    const mc = isConf ? mn : 0.0;
    const m = isBoth ? mn : 0.0;
    if ((i & 1) == 0) { d0 += p; m0 += m; c0 += mc; } else { d1 += p; m1 += m; c1 += mc; }
  }
  store<f64>(rec, d0 + d1, PAIR_DOT);
  store<f64>(rec, nBoth, PAIR_BOTH_NONZERO);
  store<f64>(rec, nConf, PAIR_CONFLICTS);
  store<f64>(rec, SAMPLE_WEIGHT * (f64x2.extract_lane(sMin, 0) + f64x2.extract_lane(sMin, 1)) + (m0 + m1), PAIR_MIN_BOTH);
  store<f64>(rec, SAMPLE_WEIGHT * (f64x2.extract_lane(sMinC, 0) + f64x2.extract_lane(sMinC, 1)) + (c0 + c1), PAIR_MIN_CONFLICT);
}

/** Whether the 64 bytes at p are all zero (one test for 8 histogram words: most bins stay empty). */
// @ts-ignore: decorator
@inline function zero64(p: usize): bool {
  return !v128.any_true(v128.or(v128.or(v128.load(p), v128.load(p, 16)), v128.or(v128.load(p, 32), v128.load(p, 48))));
}

/** Unpack a fine-tune's 4 packed copies into its count/energy sums and zero them (skipping empty runs of 8 bins). */
function flush(packed: usize, counts: usize, energy: usize): void {
  for (let c: usize = 0; c < 4; c++) {
    const copy = packed + c * COPY_STRIDE;
    for (let j0: usize = 0; j0 < <usize>BINS; j0 += 8) {
      if (zero64(copy + (j0 << 3))) continue;
      for (let j = j0; j < j0 + 8; j++) {
        const w = load<u64>(copy + (j << 3));
        if (w == 0) continue;
        store<u32>(counts + (j << 2), load<u32>(counts + (j << 2)) + <u32>(w >>> COUNT_SHIFT));
        store<u64>(energy + (j << 3), load<u64>(energy + (j << 3)) + (w & ENERGY_MASK));
        store<u64>(copy + (j << 3), 0);
      }
    }
  }
}

/**
 * The stats pass over one chunk of n elements of k fine-tunes against the base.
 * inputs: k+1 u32 pointers (base first) to each model's chunk; dtypes: k+1 i32 codes (0 f32, 1 BF16 u16 LE,
 * 2 F16 u16 LE). work: stats_work_bytes(k) zeroed bytes (left zeroed). Writes, fine-tune i and block b at
 * deltaOut + (i·blocks + b)·DELTA_FIELDS f64: nonFinite, ΣΔ, ΣΔ², Σ|Δ|, ΣΔ³, ΣΔ⁴, max|Δ|, Σbase², Σft², #Δ>0, #Δ<0,
 * #Δ=0, #|Δ|≤0.002, #|Δ|≤0.005; pair p (a < b in order) and block b at pairOut + (p·blocks + b)·PAIR_FIELDS f64:
 * Σ Δa·Δb, #both ≠ 0, #opposite signs among them, Σ min(|Δa|,|Δb|), Σ_conflicts min(|Δa|,|Δb|) (the last four
 * weighted sample estimates on sampled fast blocks). Histogram of the finite |Δ| (weighted counts), sparse:
 * fine-tune i's non-empty bins are entries [histStart[i], histStart[i+1]) of histBin (u32 bin = f32 bits >>> 18),
 * histCount (u32) and histEnergy (f64 Σ w·⌊m²/2²⁴⌋, m = (bits & 0x7fffff) | 0x800000, exact).
 * key: the tensor's sampling key; group0: the index in the tensor of the chunk's first group of 64 (start / 64);
 * sampled: 1 to sample the histogram and pair counts on fast blocks, 0 to count every element.
 */
export function stats_chunk(k: i32, n: i32, inputs: usize, dtypes: usize, work: usize, deltaOut: usize, pairOut: usize, histStart: usize, histBin: usize, histCount: usize, histEnergy: usize, key: u32, group0: u32, sampled: i32): void {
  const blocks = (n + BLOCK - 1) / BLOCK;
  const consts = work;
  v128.store(consts, i32x4.splat(0x7fffffff), C_ABS);
  v128.store(consts, i32x4.splat(reinterpret<i32>(T0002) + 1), C_T1);
  v128.store(consts, i32x4.splat(reinterpret<i32>(T0005) + 1), C_T2);
  const ptrs = work + 64; // k+1 block pointers
  const offs = work + headerBytes(k); // per group of the block: offset of its sampled run (u8)
  const decoded = offs + <usize>(BLOCK / GROUP);
  const deltas = decoded + <usize>(k + 1) * BLOCK_BYTES;
  const ftWork = deltas + <usize>k * BLOCK_BYTES;
  for (let b = 0; b < blocks; b++) {
    const b0 = b * BLOCK;
    const len = min(BLOCK, n - b0);
    for (let m = 0; m <= k; m++) {
      const src = <usize>load<u32>(inputs + (<usize>m << 2));
      const code = load<i32>(dtypes + (<usize>m << 2));
      const dst = decoded + <usize>m * BLOCK_BYTES;
      let p = src + (<usize>b0 << 2);
      if (code == 1 && m > 0) p = src + (<usize>b0 << 1); // read raw by deltaFast; decoded below if the block goes exact
      else if (code == 1) { decode_bf16(src + (<usize>b0 << 1), dst, len); p = dst; }
      else if (code == 2) { decode_f16(src + (<usize>b0 << 1), dst, len); p = dst; }
      store<u32>(ptrs + (<usize>m << 2), <u32>p);
    }
    const pb = <usize>load<u32>(ptrs);
    const baseSqFast = sumSqFast(pb, len);
    let fast = isFinite(baseSqFast) && baseSqFast >= TINY;
    for (let i = 0; i < k && fast; i++) {
      const rec = deltaOut + ((<usize>(i * blocks + b) * <usize>DELTA_FIELDS) << 3);
      const bf16 = load<i32>(dtypes + (<usize>(i + 1) << 2)) == 1;
      fast = deltaFast(pb, <usize>load<u32>(ptrs + (<usize>(i + 1) << 2)), bf16, deltas + <usize>i * BLOCK_BYTES, len, baseSqFast, rec, consts);
    }
    if (fast) {
      const sample = sampled != 0 && len >= GROUP;
      if (sample) {
        const g0 = group0 + <u32>(b0 / GROUP);
        for (let g = 0; g < len / GROUP; g++) store<u8>(offs + <usize>g, <u8>((fmix32(fmix32((g0 + <u32>g) ^ key) ^ key) & 15) << 2));
      }
      for (let i = 0; i < k; i++) {
        const w = ftWork + <usize>i * FT_WORK;
        const pd = deltas + <usize>i * BLOCK_BYTES;
        if (sample) histSampled(pd, len, w, offs); else histAll(pd, len, w);
      }
      let p = 0;
      for (let a = 0; a < k; a++) {
        for (let c = a + 1; c < k; c++, p++) {
          const rec = pairOut + ((<usize>(p * blocks + b) * <usize>PAIR_FIELDS) << 3);
          if (sample) pairSampled(deltas + <usize>a * BLOCK_BYTES, deltas + <usize>c * BLOCK_BYTES, len, rec, offs);
          else pairBlock(deltas + <usize>a * BLOCK_BYTES, deltas + <usize>c * BLOCK_BYTES, len, rec);
        }
      }
    } else {
      for (let m = 1; m <= k; m++) {
        if (load<i32>(dtypes + (<usize>m << 2)) != 1) continue;
        const dst = decoded + <usize>m * BLOCK_BYTES;
        decode_bf16(<usize>load<u32>(inputs + (<usize>m << 2)) + (<usize>b0 << 1), dst, len);
        store<u32>(ptrs + (<usize>m << 2), <u32>dst);
      }
      const baseSq = sumSqBlock(pb, 0, len, false);
      for (let i = 0; i < k; i++) {
        const w = ftWork + <usize>i * FT_WORK;
        const rec = deltaOut + ((<usize>(i * blocks + b) * <usize>DELTA_FIELDS) << 3);
        const nNf = deltaBlock(pb, <usize>load<u32>(ptrs + (<usize>(i + 1) << 2)), deltas + <usize>i * BLOCK_BYTES, len, baseSq, rec, w);
        if (nNf != 0) {
          // non-finite entries went to bin 0 as Δ = 0 with energy ⌊2⁴⁶/2²⁴⌋ each: take them out of the sums
          // (modular u32/u64 arithmetic, exact once the chunk is done)
          const counts = w + 4 * COPY_STRIDE, energy = counts + (<usize>BINS << 2);
          store<u32>(counts, load<u32>(counts) - <u32>nNf);
          store<u64>(energy, load<u64>(energy) - (<u64>nNf << 22));
        }
      }
      let p = 0;
      for (let a = 0; a < k; a++) {
        for (let c = a + 1; c < k; c++, p++) {
          pairBlock(deltas + <usize>a * BLOCK_BYTES, deltas + <usize>c * BLOCK_BYTES, len, pairOut + ((<usize>(p * blocks + b) * <usize>PAIR_FIELDS) << 3));
        }
      }
    }
    if ((b + 1) % FLUSH_BLOCKS == 0 || b == blocks - 1) {
      for (let i = 0; i < k; i++) {
        const w = ftWork + <usize>i * FT_WORK;
        flush(w, w + 4 * COPY_STRIDE, w + 4 * COPY_STRIDE + (<usize>BINS << 2));
      }
    }
  }
  // sparse histogram out; sums zeroed for the next chunk
  let e: usize = 0;
  for (let i = 0; i < k; i++) {
    store<u32>(histStart + (<usize>i << 2), <u32>e);
    const counts = ftWork + <usize>i * FT_WORK + 4 * COPY_STRIDE, energy = counts + (<usize>BINS << 2);
    for (let j0: usize = 0; j0 < <usize>BINS; j0 += 16) {
      if (zero64(counts + (j0 << 2))) continue; // a bin with energy has a count: empty counts mean empty bins
      for (let j = j0; j < j0 + 16; j++) {
        const c = load<u32>(counts + (j << 2));
        if (c == 0) continue;
        store<u32>(histBin + (e << 2), <u32>j);
        store<u32>(histCount + (e << 2), c);
        store<f64>(histEnergy + (e << 3), <f64>load<u64>(energy + (j << 3)));
        store<u32>(counts + (j << 2), 0);
        store<u64>(energy + (j << 3), 0);
        e++;
      }
    }
  }
  store<u32>(histStart + (<usize>k << 2), <u32>e);
}
