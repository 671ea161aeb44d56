import { DELTA_FIELD, DELTA_FIELDS, PAIR_FIELD } from '../kernel/stats-abi.js';
import { droppableShare, histogramQuantile, type AbsHistogram } from './histogram.js';
import type { DeltaStats, DeltaSums } from '../schema/analysis.js';

/** Float64 sums behind the pairwise statistics of one scope. */
export interface PairSums {
  numel: number;
  dot: number;
  bothNonzero: number;
  conflicts: number;
  minBoth: number;
  minConflict: number;
}

/** Zeroed delta sums for a scope of `numel` elements. */
export function emptyDeltaSums(numel = 0): DeltaSums {
  return {
    numel,
    nonFinite: 0,
    sumDelta: 0,
    sumSqDelta: 0,
    sumAbsDelta: 0,
    sumCubeDelta: 0,
    sumQuadDelta: 0,
    maxAbsDelta: 0,
    sumSqBase: 0,
    sumSqFt: 0,
    positive: 0,
    negative: 0,
    zero: 0,
    le0002: 0,
    le0005: 0,
  };
}

/** Zeroed pair sums for a scope of `numel` elements. */
export function emptyPairSums(numel = 0): PairSums {
  return { numel, dot: 0, bothNonzero: 0, conflicts: 0, minBoth: 0, minConflict: 0 };
}

const SUM_KEYS = [
  'nonFinite',
  'sumDelta',
  'sumSqDelta',
  'sumAbsDelta',
  'sumCubeDelta',
  'sumQuadDelta',
  'sumSqBase',
  'sumSqFt',
  'positive',
  'negative',
  'zero',
  'le0002',
  'le0005',
] as const;

/** Fold `blocks` kernel block records starting at rec[offset] into s, in block order. */
export function foldDeltaRecords(s: DeltaSums, rec: Float64Array, offset: number, blocks: number): void {
  // field by field (not a key loop): this runs for every block of every chunk on the main thread
  const F = DELTA_FIELD;
  for (let b = 0; b < blocks; b++) {
    const o = offset + b * DELTA_FIELDS;
    s.nonFinite += rec[o + F.nonFinite]!;
    s.sumDelta += rec[o + F.sumDelta]!;
    s.sumSqDelta += rec[o + F.sumSqDelta]!;
    s.sumAbsDelta += rec[o + F.sumAbsDelta]!;
    s.sumCubeDelta += rec[o + F.sumCubeDelta]!;
    s.sumQuadDelta += rec[o + F.sumQuadDelta]!;
    s.maxAbsDelta = Math.max(s.maxAbsDelta, rec[o + F.maxAbsDelta]!);
    s.sumSqBase += rec[o + F.sumSqBase]!;
    s.sumSqFt += rec[o + F.sumSqFt]!;
    s.positive += rec[o + F.positive]!;
    s.negative += rec[o + F.negative]!;
    s.zero += rec[o + F.zero]!;
    s.le0002 += rec[o + F.le0002]!;
    s.le0005 += rec[o + F.le0005]!;
  }
}

/** Fold `blocks` pair block records (PAIR_FIELDS each) starting at rec[offset] into s, in block order. */
export function foldPairRecords(s: PairSums, rec: Float64Array, offset: number, blocks: number, fields: number): void {
  for (let b = 0; b < blocks; b++) {
    const o = offset + b * fields;
    s.dot += rec[o + PAIR_FIELD.dot]!;
    s.bothNonzero += rec[o + PAIR_FIELD.bothNonzero]!;
    s.conflicts += rec[o + PAIR_FIELD.conflicts]!;
    s.minBoth += rec[o + PAIR_FIELD.minBoth]!;
    s.minConflict += rec[o + PAIR_FIELD.minConflict]!;
  }
}

/** dst += src for a rollup (numel, sums and counts add; the max is the max). */
export function addDeltaSums(dst: DeltaSums, src: DeltaSums): void {
  dst.numel += src.numel;
  for (const key of SUM_KEYS) dst[key] += src[key];
  dst.maxAbsDelta = Math.max(dst.maxAbsDelta, src.maxAbsDelta);
}

/** dst += src for a rollup. */
export function addPairSums(dst: PairSums, src: PairSums): void {
  dst.numel += src.numel;
  dst.dot += src.dot;
  dst.bothNonzero += src.bothNonzero;
  dst.conflicts += src.conflicts;
  dst.minBoth += src.minBoth;
  dst.minConflict += src.minConflict;
}

function ratio(num: number, den: number): number {
  if (den === 0) return num === 0 ? 0 : Infinity;
  return num / den;
}

/** Every derived statistic of a scope from its sums and histogram (definitions in README "Analysis tables"). */
export function deriveStats(s: DeltaSums, h: AbsHistogram): DeltaStats {
  const n = s.numel - s.nonFinite;
  const mean = s.sumDelta / n;
  const ex2 = s.sumSqDelta / n;
  const m2 = ex2 - mean * mean;
  const m4 = s.sumQuadDelta / n - 4 * mean * (s.sumCubeDelta / n) + 6 * mean * mean * ex2 - 3 * mean ** 4;
  const drop = droppableShare(h);
  const signed = s.positive + s.negative;
  return {
    ...s,
    meanDelta: mean,
    stdDelta: Math.sqrt(Math.max(0, m2)),
    meanAbsDelta: s.sumAbsDelta / n,
    deltaL2: Math.sqrt(s.sumSqDelta),
    baseL2: Math.sqrt(s.sumSqBase),
    ftL2: Math.sqrt(s.sumSqFt),
    rho: ratio(s.sumSqDelta, s.sumSqBase),
    q50Abs: histogramQuantile(h, 0.5, s.maxAbsDelta),
    q90Abs: histogramQuantile(h, 0.9, s.maxAbsDelta),
    q99Abs: histogramQuantile(h, 0.99, s.maxAbsDelta),
    q999Abs: histogramQuantile(h, 0.999, s.maxAbsDelta),
    fracLe0002: s.le0002 / n,
    fracLe0005: s.le0005 / n,
    droppableShare: drop.share,
    droppableShareErr: drop.err,
    signBalance: signed === 0 ? 0 : (s.positive - s.negative) / signed,
    excessKurtosis: m2 > 0 ? m4 / (m2 * m2) - 3 : Number.NaN,
  };
}

/** Cosine, sign-conflict and weighted-conflict rates of a pair scope (0 where undefined), plus expected overlaps. */
export function derivePair(p: PairSums, sqA: number, sqB: number, densities: number[]) {
  return {
    dot: p.dot,
    sqA,
    sqB,
    cosine: sqA > 0 && sqB > 0 ? p.dot / Math.sqrt(sqA * sqB) : 0,
    bothNonzero: p.bothNonzero,
    conflicts: p.conflicts,
    signConflict: p.bothNonzero > 0 ? p.conflicts / p.bothNonzero : 0,
    weightedConflict: p.minBoth > 0 ? p.minConflict / p.minBoth : 0,
    numel: p.numel,
    minBoth: p.minBoth,
    minConflict: p.minConflict,
    overlapExpected: densities.map((d) => (p.numel > 0 ? (d * d * p.bothNonzero) / p.numel : 0)),
  };
}
