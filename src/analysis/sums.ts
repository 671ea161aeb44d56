import { DELTA_FIELDS, DELTA_RECORD, PAIR_RECORD, type DeltaField, type PairField } from '../kernel/abi.js';
import { droppableShare, histogramQuantile, type AbsHistogram } from './histogram.js';
import type { DeltaStats, DeltaSums } from '../schema/analysis.js';

/** Float64 sums behind the pairwise statistics of one scope: the pair record's fields over numel elements. */
export type PairSums = { numel: number } & { [K in PairField]: number };

// The fold of each record field, from the ABI's field lists: a sum, or (maxAbsDelta) a max.
const DELTA_KEYS: readonly DeltaField[] = DELTA_RECORD.map((f) => f.name);
const DELTA_IS_MAX: readonly boolean[] = DELTA_RECORD.map((f) => f.fold === 'max');
const PAIR_KEYS: readonly PairField[] = PAIR_RECORD.map((f) => f.name);

/** Zeroed delta sums for a scope of `numel` elements (fields in record order). */
export function emptyDeltaSums(numel = 0): DeltaSums {
  const s = { numel } as { numel: number } & Record<DeltaField, number>;
  for (const key of DELTA_KEYS) s[key] = 0;
  return s;
}

/** Zeroed pair sums for a scope of `numel` elements. */
export function emptyPairSums(numel = 0): PairSums {
  const s = { numel } as PairSums;
  for (const key of PAIR_KEYS) s[key] = 0;
  return s;
}

/** Fold `blocks` kernel block records starting at rec[offset] into s, in block order. */
export function foldDeltaRecords(s: DeltaSums, rec: Float64Array, offset: number, blocks: number): void {
  foldRecords(s, DELTA_KEYS, DELTA_IS_MAX, rec, offset, blocks, DELTA_FIELDS);
}

/** Fold `blocks` pair block records (`fields` float64 each) starting at rec[offset] into s, in block order. */
export function foldPairRecords(s: PairSums, rec: Float64Array, offset: number, blocks: number, fields: number): void {
  foldRecords(s, PAIR_KEYS, [], rec, offset, blocks, fields);
}

/** Each field (index f of keys) over the blocks in order: s[key] += rec (or max); fields fold independently. */
function foldRecords<K extends string>(
  s: Record<K, number>,
  keys: readonly K[],
  isMax: readonly boolean[],
  rec: Float64Array,
  offset: number,
  blocks: number,
  stride: number,
): void {
  for (let f = 0; f < keys.length; f++) {
    const key = keys[f]!;
    let acc = s[key];
    if (isMax[f] === true) for (let b = 0, o = offset + f; b < blocks; b++, o += stride) acc = Math.max(acc, rec[o]!);
    else for (let b = 0, o = offset + f; b < blocks; b++, o += stride) acc += rec[o]!;
    s[key] = acc;
  }
}

/** dst += src for a rollup (numel, sums and counts add; the max is the max). */
export function addDeltaSums(dst: DeltaSums, src: DeltaSums): void {
  dst.numel += src.numel;
  for (let f = 0; f < DELTA_KEYS.length; f++) {
    const key = DELTA_KEYS[f]!;
    dst[key] = DELTA_IS_MAX[f] ? Math.max(dst[key], src[key]) : dst[key] + src[key];
  }
}

/** dst += src for a rollup. */
export function addPairSums(dst: PairSums, src: PairSums): void {
  dst.numel += src.numel;
  for (const key of PAIR_KEYS) dst[key] += src[key];
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
