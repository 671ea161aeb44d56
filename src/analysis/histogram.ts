import { HIST_BINS } from '../kernel/abi.js';

/**
 * The log-binned histogram of |Δ|: bin j holds the float32 values whose bits >>> 18 equal j (exponent + top 5
 * mantissa bits), i.e. |Δ| in [lo_j, hi_j) with hi/lo ≤ 33/32 for normal floats. Energies come from the kernel as
 * Σ ⌊m²/2²⁴⌋ over the bin's entries (m = 24-bit significand) and are scaled to Σ Δ² here.
 */
export interface AbsHistogram {
  counts: Float64Array;
  /** Σ Δ² per bin (already scaled). */
  energy: Float64Array;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Lower edge of bin j (inclusive). */
export function binLo(j: number): number {
  u32[0] = j << 18;
  return f32[0]!;
}

/** Upper edge of bin j (exclusive; +Inf for the last finite bin). */
export function binHi(j: number): number {
  u32[0] = ((j + 1) << 18) >>> 0;
  return f32[0]!;
}

// 2^x for every bin, computed once (Math.pow per bin and tensor showed up in profiles)
const ENERGY_SCALE = Float64Array.from({ length: HIST_BINS }, (_, j) => (j >>> 5 === 0 ? 0 : 2 ** (24 + 2 * ((j >>> 5) - 150))));

/**
 * Factor turning a bin's kernel energy (Σ ⌊m²/2²⁴⌋, m = 24-bit significand with the implicit bit) into Σ Δ²:
 * 2²⁴ · 2^(2·(e − 150)), e = j >>> 5. Bins below 2⁻¹²⁶ (e = 0: zero and subnormal |Δ|) count as energy 0.
 */
export function energyScale(j: number): number {
  return ENERGY_SCALE[j]!;
}

/** An empty histogram. */
export function emptyHistogram(): AbsHistogram {
  return { counts: new Float64Array(HIST_BINS), energy: new Float64Array(HIST_BINS) };
}

/** Add src into dst bin by bin. */
export function addHistogram(dst: AbsHistogram, src: AbsHistogram): void {
  for (let j = 0; j < HIST_BINS; j++) {
    const c = src.counts[j]!;
    if (c === 0) continue;
    dst.counts[j]! += c;
    dst.energy[j]! += src.energy[j]!;
  }
}

/**
 * Nearest-rank q-quantile of |Δ| (rank ⌈q·N⌉ of N entries) estimated by its bin's midpoint, clamped to maxAbs.
 * Error ≤ q/64 + 2⁻¹³¹ (half a bin; the bins below 2⁻¹²⁶ are 2⁻¹³¹ wide and bin 0, holding 0, reports 0). NaN when N = 0.
 */
export function histogramQuantile(h: AbsHistogram, q: number, maxAbs: number): number {
  let total = 0;
  for (let j = 0; j < HIST_BINS; j++) total += h.counts[j]!;
  if (total === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil(q * total));
  let cum = 0;
  for (let j = 0; j < HIST_BINS; j++) {
    cum += h.counts[j]!;
    if (cum >= rank) return j === 0 ? 0 : Math.min((binLo(j) + binHi(j)) / 2, maxAbs);
  }
  return maxAbs;
}

/** The droppable share (see droppableShare) and the bound on its error. */
export interface DroppableShare {
  share: number;
  err: number;
}

/**
 * Share of entries, smallest |Δ| first, that together carry ≤ `budget` (default 1%) of Σ Δ². Whole bins are taken
 * while they fit; in the bin where the budget runs out, ⌊R / mean energy⌋ more entries. The estimate is a lower
 * bound and the true share exceeds it by at most min(c, c·((hi/lo)² − 1) + 1)/N (c = that bin's count; ≤ 0.0635·c + 1
 * for normal floats). 1 when every entry is zero; NaN when N = 0.
 */
export function droppableShare(h: AbsHistogram, budget = 0.01): DroppableShare {
  let total = 0,
    energy = 0;
  for (let j = 0; j < HIST_BINS; j++) {
    total += h.counts[j]!;
    energy += h.energy[j]!;
  }
  if (total === 0) return { share: Number.NaN, err: 0 };
  if (energy === 0) return { share: 1, err: 0 };
  const limit = budget * energy;
  let cum = 0,
    taken = 0;
  for (let j = 0; j < HIST_BINS; j++) {
    const c = h.counts[j]!;
    if (c === 0) continue;
    const e = h.energy[j]!;
    if (cum + e <= limit) {
      cum += e;
      taken += c;
      continue;
    }
    const extra = e > 0 ? Math.min(c, Math.floor(((limit - cum) * c) / e)) : c;
    const lo = binLo(j),
      hi = binHi(j);
    const slack = lo > 0 && Number.isFinite(hi) ? Math.min(c, Math.ceil(c * ((hi / lo) ** 2 - 1)) + 1) : c;
    return { share: (taken + extra) / total, err: Math.min(slack, c - extra) / total };
  }
  return { share: taken / total, err: 0 };
}
