// The stats kernel's ABI (src/kernel/assembly/stats.ts): block and record layout, histogram size and the sampling
// key, shared by the analyzer (host side) and the kernel's scalar reference.
import { fmix32 } from './mask-key.js';

/** Elements per summation block; chunk starts must be multiples of it. */
export const STATS_BLOCK = 4096;
/** float64 fields per block record of the delta pass (see DELTA_FIELD). */
export const DELTA_FIELDS = 14;
/** float64 fields per block record of the pair pass (see PAIR_FIELD). */
export const PAIR_FIELDS = 5;
/** Histogram bins: f32 bits of |Δ| >>> 18 (8 exponent bits + top 5 mantissa bits); 8160+ are never hit. */
export const HIST_BINS = 8192;
/** Elements per float32 summation group and per sample stratum (one run of 4 sampled elements per group). */
export const STATS_GROUP = 64;
/** Weight of a sampled element in the histogram and pair counts (a group of 64 sampled by 4 of its elements). */
export const SAMPLE_WEIGHT = 16;
/** A fast-path sum of squares below this (2⁻⁹⁰) sends the block to the exact path (float32 underflow could matter). */
export const STATS_TINY = 2 ** -90;

/** Field offsets of a delta block record. */
export const DELTA_FIELD = {
  nonFinite: 0,
  sumDelta: 1,
  sumSqDelta: 2,
  sumAbsDelta: 3,
  sumCubeDelta: 4,
  sumQuadDelta: 5,
  maxAbsDelta: 6,
  sumSqBase: 7,
  sumSqFt: 8,
  positive: 9,
  negative: 10,
  zero: 11,
  le0002: 12,
  le0005: 13,
} as const;

/** Field offsets of a pair block record. */
export const PAIR_FIELD = { dot: 0, bothNonzero: 1, conflicts: 2, minBoth: 3, minConflict: 4 } as const;

/** The sampling key of a tensor: fmix32(FNV-1a(name) ⊕ 0x53544154) (README "Analysis tables", histogram). */
export function sampleKey(nameHash: number): number {
  return fmix32((nameHash ^ 0x53544154) >>> 0);
}
