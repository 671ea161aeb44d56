import type { OutDtype } from '../io/dtypes.js';
import type { TensorSource } from '../io/tensor-source.js';
import type { Sparsifier } from './methods.js';

/** One model's contribution to a tensor: its delta (or weights, for linear) and how it is sparsified and weighed. */
export interface ModelTerm {
  input: TensorSource;
  /** The model's path as given (named in errors, e.g. NaN/Inf in its weights). */
  model: string;
  /** Multiplies the (sparsified) delta in the f64 combine: weight × rescale factor (l1: set after the prep pass). */
  coef: number;
  /** Weight in the normalize divisor. */
  divw: number;
  sparsify: Sparsifier;
  /** Random drop: the mask key and keep threshold round(p·2^32). */
  maskKey: number;
  dropThreshold: number;
  /** Magnitude cuts, as ranks in |δ|-descending order (ties to the lower index): keep ranks [dropRank, keepRank). */
  keepRank: number;
  dropRank: number;
  /** Rescale survivors so the L1 norm matches the unsparsified delta (mergekit's rescale: true). */
  l1: boolean;
  /** DELLA: the density and ε of the keep probabilities, and whether survivors are divided by their p. */
  density: number;
  epsilon: number;
  dellaInverse: boolean;
}

/** Everything a worker needs to produce one output tensor, chunk by chunk in any order. */
export interface TensorJob {
  index: number;
  name: string;
  numel: number;
  base?: TensorSource;
  terms: ModelTerm[];
  /** The base model's path as given, when the job reads a base. */
  baseModel?: string;
  elect: boolean;
  normalize: boolean;
  lambda: number;
  /** SLERP of terms[0] (t = 0) and terms[1] (t = 1); with a base, of the DARE-sparsified weights base + coef·δ̂. */
  slerp?: { t: number };
  /**
   * A coefficient pass over whole-tensor sums of the terms (deltas when there is a base): NuSLERP of two at t, or
   * Model Stock's t from the mean pairwise cosine; then out = base + Σ cᵢ·termᵢ with the coefficients in TermPrep.
   */
  /** sce: keep the top ⌊nonzero·topk⌋ elements by variance across the deltas (topk < 1), then the weighted sign-elected mean. */
  sce?: { topk: number };
  /** ram / ramplus_tl: deltas with |δ| > eps contribute; with plus, unique entries scaled per model by 1 + r·clamp(shared/unique, 0, alpha). */
  ram?: { eps: number; plus?: { r: number; alpha: number } };
  /** arcee_fusion: rows of `cols` (the last dimension); the threshold on importance comes from the pre-pass. */
  fusion?: { cols: number };
  /** Per-row NuSLERP (nuslerp_flatten: false) or Model Stock (filter_wise: true): coefficients per row of rowLen from that row's dots. */
  rowPass?: { kind: 'nuslerp'; t: number } | { kind: 'model_stock' };
  /** nearswap of the base (kept in `base`) and terms[0] at distance t, per element in the kernel. */
  nearswap?: { t: number };
  coefPass?:
    | { kind: 'nuslerp'; t: number }
    | { kind: 'model_stock' }
    | { kind: 'multislerp'; weights: number[]; normalizeWeights: boolean; eps: number }
    | { kind: 'karcher'; maxIter: number; tol: number };
  /** Row length when the method works per row (DELLA): chunks then hold whole rows. */
  rowLen?: number;
  out: { fd: number; byteOffset: number; dtype: OutDtype };
}

/** Elements per chunk of a job: the engine's chunk size, rounded down to whole rows for per-row methods. */
export function jobChunkElements(job: TensorJob, chunkElements: number): number {
  return job.rowLen ? job.rowLen * Math.max(1, Math.floor(chunkElements / job.rowLen)) : chunkElements;
}

/** One radix-select cut: in top ⇔ |x| bits > bits, or equal and among the first `quota` equal ones (index order). */
export interface Cut {
  bits: number;
  quota: number;
  /** Per chunk: ties at `bits` in all earlier chunks (only when the ties are split by the cut). */
  tiesBefore?: number[];
}

/** What the selection pre-pass found for one term. */
export interface TermPrep {
  keep: Cut;
  drop: Cut;
  /** L1 rescale factor (1 when not used). */
  l1Scale: number;
  /** SLERP, NuSLERP, Model Stock: this term's coefficient (s0 or s1, or t/N), from the first pass's norms and dot products. */
  slerpCoef?: number;
}

/** The cut that keeps everything, and the one that keeps nothing. */
export const CUT_ALL: Cut = { bits: 0, quota: Number.MAX_SAFE_INTEGER };
export const CUT_NONE: Cut = { bits: 0xffffffff, quota: 0 };

/** True when a job needs the per-tensor pre-pass (magnitude selection or L1 sums). */
export function needsPrep(job: TensorJob): boolean {
  return (
    job.slerp !== undefined ||
    job.coefPass !== undefined ||
    job.sce !== undefined ||
    job.fusion !== undefined ||
    job.ram?.plus !== undefined ||
    job.terms.some(
      (t) => t.l1 || ((t.sparsify === 'magnitude' || t.sparsify === 'breadcrumbs') && (t.keepRank < job.numel || t.dropRank > 0)),
    )
  );
}

/** The tie quota of a cut inside chunk c. */
export function chunkQuota(cut: Cut, c: number): number {
  if (!cut.tiesBefore) return Math.min(cut.quota, 0x7fffffff);
  return Math.max(0, Math.min(0x7fffffff, cut.quota - cut.tiesBefore[c]!));
}
