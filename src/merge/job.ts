import type { OutDtype } from '../io/dtypes.js';
import type { TensorSource } from '../io/tensor-source.js';
import type { Cut } from './radix-select.js';
import type { SparsifierState } from './sparsifiers/index.js';

/** One model's contribution to a tensor: its delta (or weights, for linear) and how it is sparsified and weighed. */
export interface ModelTerm {
  input: TensorSource;
  /** The model's path as given (named in errors, e.g. NaN/Inf in its weights). */
  model: string;
  /** Multiplies the (sparsified) delta in the f64 combine: weight × rescale factor (l1: set after the prep pass). */
  coef: number;
  /** Weight in the normalize divisor. */
  divw: number;
  /** Its sparsifier's own state (the unit is named by `kind`). */
  sparse: SparsifierState;
  /** Rescale survivors so the L1 norm matches the unsparsified delta (mergekit's rescale: true). */
  l1: boolean;
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
  /** Generalized task arithmetic (the sum combiner): TIES election, normalize, λ. */
  elect: boolean;
  normalize: boolean;
  lambda: number;
  /** Its combiner's own state (the unit is named by `kind`; the union is combiners/index.ts's CombinerState). */
  combine: { kind: string };
  /** Whether the tensor needs the per-tensor pre-pass (magnitude selection, L1 sums, its combiner's pass). */
  prepass: boolean;
  /** Row length when the method works per row (DELLA, per-row NuSLERP/Model Stock, arcee_fusion): chunks then hold whole rows. */
  rowLen?: number;
  out: { fd: number; byteOffset: number; dtype: OutDtype };
}

/** Elements per chunk of a job: the engine's chunk size, rounded down to whole rows for per-row methods. */
export function jobChunkElements(job: TensorJob, chunkElements: number): number {
  return job.rowLen ? job.rowLen * Math.max(1, Math.floor(chunkElements / job.rowLen)) : chunkElements;
}

/** What the selection pre-pass found for one term. */
export interface TermPrep {
  keep: Cut;
  drop: Cut;
  /** L1 rescale factor (1 when not used). */
  l1Scale: number;
  /** The combiner's coefficient of this term (SLERP s0/s1, NuSLERP, Model Stock t/N, sce and ram weights, fusion threshold). */
  slerpCoef?: number;
}

/** True when a job needs the per-tensor pre-pass (decided when it was planned). */
export function needsPrep(job: TensorJob): boolean {
  return job.prepass;
}
