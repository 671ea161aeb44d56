import type { AnalysisResult, LayerStats, ModelStats, TensorStats } from '../schema/analysis.js';

/** Weight-space features of one fine-tune that the predictor uses (all scale-free except meanAbsDelta). */
export interface ModelFeatures {
  model: string;
  /** ρ over the whole model (DESIGN's relative delta energy). */
  relativeEnergy: number;
  /** r = √ρ over the tensors inside the numbered transformer blocks (the error model's input). */
  blockRelativeNorm: number;
  meanAbsDelta: number;
  /** Share of entries (smallest |Δ| first) carrying ≤ 1% of ‖Δ‖²: a magnitude trim at density 1 − this keeps 99% of it. */
  droppableShare: number;
  /** ρ of the input embedding divided by the blocks' ρ (null when the model has no embedding tensor). */
  embeddingShare: number | null;
  /** Excess kurtosis of the embedding's Δ (null without an embedding tensor). */
  embeddingKurtosis: number | null;
  /** Share of ‖Δ‖² in the output head (null without one). */
  lmHeadEnergyShare: number | null;
  /** ‖Δ‖²-weighted geometric mean fan-in (input width) of the block matrices: the error model's width n. */
  blockFanIn: number;
  /** Cosine between base and fine-tune weights over the numbered blocks (fine-tuning gives ≈ 1; unrelated ≈ 0). */
  blockCosine: number;
  /** Share of ‖Δ‖² in the embeddings and the output head (null when ‖Δ‖ = 0). */
  headEmbeddingShare: number | null;
  nonFinite: number;
  /** The tensor with the most non-finite values, if any. */
  worstNonFiniteTensor: string | null;
}

/** Tensor rows of one fine-tune. */
export function tensorsOf(result: AnalysisResult, model: string): TensorStats[] {
  return result.tensors.filter((t) => t.model === model);
}

/** Layer rows of one fine-tune, numbered blocks in order (the null row, outside the blocks, left out). */
export function blockLayersOf(result: AnalysisResult, model: string): LayerStats[] {
  return result.layers.filter((l) => l.model === model && l.layer !== null).sort((a, b) => (a.layer ?? 0) - (b.layer ?? 0));
}

function sqrtRatio(num: number, den: number): number {
  return den > 0 ? Math.sqrt(num / den) : 0;
}

/** Block relative norm r = √(Σ‖Δ‖²/Σ‖W‖²) over the given tensors: the numbered blocks, else every tensor. */
export function blockRelativeNorm(tensors: TensorStats[], fallback: ModelStats): number {
  const blocks = tensors.filter((t) => t.layer !== null);
  if (blocks.length === 0) return sqrtRatio(fallback.sumSqDelta, fallback.sumSqBase);
  let d = 0;
  let w = 0;
  for (const t of blocks) {
    d += t.sumSqDelta;
    w += t.sumSqBase;
  }
  return sqrtRatio(d, w);
}

/** Fan-in (input width) of a tensor: the last dimension of a matrix, else its length. */
export function fanIn(t: { shape: number[] }): number {
  return t.shape[t.shape.length - 1] ?? 1;
}

/** ‖Δ‖²-weighted geometric mean fan-in of the block matrices (the largest matrix fan-in when ‖Δ‖ = 0). */
export function blockFanIn(tensors: TensorStats[]): number {
  const mats = tensors.filter((t) => t.layer !== null && t.shape.length === 2);
  const pool = mats.length > 0 ? mats : tensors.filter((t) => t.shape.length === 2);
  let e = 0;
  let l = 0;
  for (const t of pool) {
    e += t.sumSqDelta;
    l += t.sumSqDelta * Math.log(fanIn(t));
  }
  if (e > 0) return Math.exp(l / e);
  return pool.reduce((a, t) => Math.max(a, fanIn(t)), 1);
}

/** Cosine between base and fine-tune weights from the sums: (‖W‖² + ‖W'‖² − ‖Δ‖²) / (2‖W‖‖W'‖). */
export function weightCosine(sumSqBase: number, sumSqFt: number, sumSqDelta: number): number {
  const den = 2 * Math.sqrt(sumSqBase * sumSqFt);
  return den > 0 ? (sumSqBase + sumSqFt - sumSqDelta) / den : 1;
}

/** Compute the features of one model row from the analysis result. */
export function modelFeatures(result: AnalysisResult, m: ModelStats): ModelFeatures {
  const tensors = tensorsOf(result, m.model);
  const r = blockRelativeNorm(tensors, m);
  const blockRho = r * r;
  const emb = tensors.filter((t) => t.module === 'embedding');
  const head = tensors.filter((t) => t.module === 'lm_head');
  let embSq = 0,
    embBase = 0,
    embKurt: number | null = null;
  if (emb.length > 0) {
    for (const t of emb) {
      embSq += t.sumSqDelta;
      embBase += t.sumSqBase;
    }
    // the largest embedding tensor's shape speaks for the embedding (there is normally exactly one)
    embKurt = emb.reduce((a, b) => (b.numel > a.numel ? b : a)).excessKurtosis;
  }
  const embRho = embBase > 0 ? embSq / embBase : 0;
  let headSq = 0;
  for (const t of head) headSq += t.sumSqDelta;
  const blocks = tensors.filter((t) => t.layer !== null);
  const scope = blocks.length > 0 ? blocks : tensors;
  const sum = (k: 'sumSqBase' | 'sumSqFt' | 'sumSqDelta'): number => scope.reduce((a, t) => a + t[k], 0);
  let embHeadSq = 0;
  for (const t of tensors) if (t.module === 'embedding' || t.module === 'lm_head') embHeadSq += t.sumSqDelta;
  let worst: TensorStats | null = null;
  for (const t of tensors) if (t.nonFinite > 0 && (worst === null || t.nonFinite > worst.nonFinite)) worst = t;
  return {
    model: m.model,
    relativeEnergy: m.rho,
    blockRelativeNorm: r,
    meanAbsDelta: m.meanAbsDelta,
    droppableShare: m.droppableShare,
    embeddingShare: emb.length > 0 && blockRho > 0 ? embRho / blockRho : null,
    embeddingKurtosis: embKurt,
    lmHeadEnergyShare: head.length > 0 && m.sumSqDelta > 0 ? headSq / m.sumSqDelta : null,
    blockFanIn: blockFanIn(tensors),
    blockCosine: weightCosine(sum('sumSqBase'), sum('sumSqFt'), sum('sumSqDelta')),
    headEmbeddingShare: m.sumSqDelta > 0 ? embHeadSq / m.sumSqDelta : null,
    nonFinite: m.nonFinite,
    worstNonFiniteTensor: worst?.tensor ?? null,
  };
}
