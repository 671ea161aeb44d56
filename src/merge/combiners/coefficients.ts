// The passes the spherical and coefficient combiners share (nuslerp, model_stock, multislerp, karcher): the
// whole-tensor Gram matrix of the terms, the merge of a chunk as base + Σ cᵢ·termᵢ with the pre-pass's
// coefficients, and the per-row form with coefficients from each row's own dot products.
import type { ChunkResult, EngineContext } from '../chunk.js';
import type { TensorJob, TermPrep } from '../job.js';

/** Whole-tensor sums of the terms: Σxᵢ² per term and Σxᵢ·xⱼ per pair (i < j; one term pairs with itself). */
export interface TermGram {
  pairs: [number, number][];
  sq: number[];
  dot: number[];
  /** The k × k matrix of those sums. */
  gram: Float64Array[];
}

/**
 * Whole-tensor Σxᵢ·xⱼ for every pair (and Σxᵢ²) in float64, each pair's two parity lanes carried across chunks
 * exactly as one long run of the kernel would, so the sums do not depend on the chunk size.
 */
export function termGram(e: EngineContext, job: TensorJob): TermGram {
  const terms = job.terms;
  const k = terms.length;
  const pairs: [number, number][] = [];
  for (let i = 0; i < k; i++) for (let j = i + 1; j < k; j++) pairs.push([i, j]);
  if (k === 1) pairs.push([0, 0]);
  const acc = pairs.map(() => new Float64Array(6));
  const all = terms.map((_, i) => i);
  for (let c = 0; c < e.chunks(job); c++) {
    e.loadDeltas(job, c, all, false);
    const { start, n } = e.range(job, c);
    pairs.forEach(([i, j], p) => {
      e.f64(e.at.sums, 6).set(acc[p]!);
      e.k.slerp_dots_f32(e.deltaPtr(i), e.deltaPtr(j), n, start, e.at.sums);
      acc[p]!.set(e.f64(e.at.sums, 6));
    });
  }
  const sq = terms.map(() => NaN);
  const dot = pairs.map((_, p) => acc[p]![4]! + acc[p]![5]!);
  pairs.forEach(([i, j], p) => {
    sq[i] = acc[p]![0]! + acc[p]![1]!;
    sq[j] = acc[p]![2]! + acc[p]![3]!;
  });
  const gram = terms.map((_, i) =>
    Float64Array.from(terms, (_t, j) =>
      i === j ? sq[i]! : dot[pairs.findIndex(([a, b]) => a === Math.min(i, j) && b === Math.max(i, j))]!,
    ),
  );
  return { pairs, sq, dot, gram };
}

/** Set each term's pre-pass coefficient. */
export function setCoefficients(preps: TermPrep[], c: readonly number[]): void {
  c.forEach((v, i) => {
    preps[i]!.slerpCoef = v;
  });
}

/** Chunk c merged as base + Σ cᵢ·termᵢ (no base: Σ cᵢ·termᵢ), cᵢ from the pre-pass. */
export function coefficientChunk(e: EngineContext, job: TensorJob, prep: TermPrep[] | undefined, c: number): ChunkResult {
  const { n } = e.range(job, c);
  const k = job.terms.length;
  const res = e.loadAll(job, c);
  e.f64(e.at.coef, k).set(job.terms.map((_, i) => prep?.[i]?.slerpCoef ?? NaN));
  e.f64(e.at.divw, k).set(job.terms.map(() => 0));
  e.k.weighted_sum_f32(e.at.base, job.base ? 1 : 0, e.at.deltas, 4 * e.chunkElements, k, n, e.at.coef, e.at.divw, 0, 1, e.at.out);
  return res;
}

/** Σa², Σb² and Σa·b of one row of two terms. */
export type RowDots = (i: number, j: number) => { sumSqA: number; sumSqB: number; dot: number };

/** Chunk c merged row by row (rows of job.rowLen): each row as base + Σ cᵢ·termᵢ with cᵢ = coefficients(dots, row). */
export function rowChunk(e: EngineContext, job: TensorJob, c: number, coefficients: (dots: RowDots, row: number) => number[]): ChunkResult {
  const { start, n } = e.range(job, c);
  const k = job.terms.length;
  const cols = job.rowLen!;
  const res = e.loadAll(job, c);
  e.f64(e.at.divw, k).set(job.terms.map(() => 0));
  for (let r = 0; r < n / cols; r++) {
    const at = 4 * r * cols;
    const dots: RowDots = (i, j) => {
      e.k.row_dots_f32(e.deltaPtr(i) + at, e.deltaPtr(j) + at, cols, cols, e.at.sums);
      const s = e.f64(e.at.sums, 3);
      return { sumSqA: s[0]!, sumSqB: s[1]!, dot: s[2]! };
    };
    e.f64(e.at.coef, k).set(coefficients(dots, r + start / cols));
    e.k.weighted_sum_f32(
      e.at.base + at,
      job.base ? 1 : 0,
      e.at.deltas + at,
      4 * e.chunkElements,
      k,
      cols,
      e.at.coef,
      e.at.divw,
      0,
      1,
      e.at.out + at,
    );
  }
  return res;
}
