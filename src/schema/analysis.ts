// The analysis results as data: what the analyzer returns, the store writes as tables and the predictor reads.
// A part of its own (schema/), so that analysis, store and predict share it without importing each other.
import type { ModuleKind } from '../io/tensor-names.js';

/**
 * The analyzer's in-memory result: the contract between analysis (producer) and predict / report / dash /
 * tune (consumers). The Arrow/DuckDB tables carry the same fields in snake_case. Sums are float64 over all
 * finite elements; derived fields are computed from sums (never averages of averages).
 */

/** Raw float64 sums for one (fine-tune, scope); scopes are a tensor, a layer or the whole model. */
export interface DeltaSums {
  numel: number;
  /** Elements where base, fine-tune or Δ is NaN/±Inf; excluded from every other sum. */
  nonFinite: number;
  sumDelta: number;
  sumSqDelta: number;
  sumAbsDelta: number;
  sumCubeDelta: number;
  sumQuadDelta: number;
  maxAbsDelta: number;
  sumSqBase: number;
  sumSqFt: number;
  positive: number;
  negative: number;
  zero: number;
  /** Count of |Δ| ≤ 0.002 and ≤ 0.005 (the DARE paper's reference ranges). */
  le0002: number;
  le0005: number;
}

/** Statistics derived from DeltaSums plus histogram-based quantiles (see README "Analysis tables"). */
export interface DeltaStats extends DeltaSums {
  meanDelta: number;
  stdDelta: number;
  meanAbsDelta: number;
  deltaL2: number;
  baseL2: number;
  ftL2: number;
  /** ρ = ‖Δ‖² / ‖W_base‖² (relative delta energy). */
  rho: number;
  /** Quantiles of |Δ| from the log-binned histogram (relative error bound stated in the README). */
  q50Abs: number;
  q90Abs: number;
  q99Abs: number;
  q999Abs: number;
  fracLe0002: number;
  fracLe0005: number;
  /** Share of entries (smallest |Δ| first) that together carry ≤ 1% of ‖Δ‖². */
  droppableShare: number;
  /** Bound on droppableShare's error from the histogram: the true share lies in [droppableShare, droppableShare + this]. */
  droppableShareErr: number;
  /** (positive − negative) / (positive + negative). */
  signBalance: number;
  excessKurtosis: number;
}

/** One fine-tune × tensor row. */
export interface TensorStats extends DeltaStats {
  model: string;
  tensor: string;
  layer: number | null;
  module: ModuleKind;
  dtype: string;
  shape: number[];
}

/** One fine-tune × layer row (layer = null rolls up every tensor outside the numbered blocks). */
export interface LayerStats extends DeltaStats {
  model: string;
  layer: number | null;
  tensors: number;
}

/** One fine-tune row. */
export interface ModelStats extends DeltaStats {
  model: string;
  path: string;
  tensors: number;
  /** LoRA rank when the fine-tune is a PEFT adapter, else null. */
  loraRank: number | null;
}

/** Pairwise interference between two fine-tunes in one scope. */
export interface PairStats {
  a: string;
  b: string;
  scope: 'model' | 'layer' | 'tensor';
  layer: number | null;
  tensor: string | null;
  /** Σ Δa·Δb, ‖Δa‖², ‖Δb‖² (float64). */
  dot: number;
  sqA: number;
  sqB: number;
  cosine: number;
  /** Entries where both deltas are non-zero, and those of them with opposite signs. */
  bothNonzero: number;
  conflicts: number;
  /** conflicts / bothNonzero. */
  signConflict: number;
  /** Σ_conflicting min(|Δa|,|Δb|) / Σ_both-nonzero min(|Δa|,|Δb|): how much magnitude the conflicts carry. */
  weightedConflict: number;
  /** Elements in the scope, and the two sums behind weightedConflict (so rollups are sums, not averages). */
  numel: number;
  minBoth: number;
  minConflict: number;
  /**
   * Expected share of the scope's entries where both fine-tunes keep a non-zero delta after DARE with independent
   * masks at density d (each keeps an entry with probability d): d² · bothNonzero / numel, one value per
   * AnalysisResult.densities entry.
   */
  overlapExpected: number[];
}

/** One non-empty bin of the |Δ| histogram of a scope (see README "Analysis tables" for the error bounds). */
export interface HistogramBin {
  model: string;
  scope: 'model' | 'layer' | 'tensor';
  layer: number | null;
  tensor: string | null;
  /** Bin index = float32 bits of |Δ| >>> 18; the bin holds |Δ| in [lo, hi). */
  bin: number;
  lo: number;
  hi: number;
  count: number;
  /** Σ Δ² of the bin's entries (float64; relative truncation error < 2⁻²²). */
  energy: number;
}

/** Everything `analyze` computes. */
export interface AnalysisResult {
  base: string;
  models: ModelStats[];
  tensors: TensorStats[];
  layers: LayerStats[];
  pairs: PairStats[];
  /** Non-empty histogram bins per model, layer and tensor. */
  histograms: HistogramBin[];
  /** The DARE densities at which PairStats.overlapExpected is given. */
  densities: number[];
}
