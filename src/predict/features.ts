import type { AnalysisResult, LayerStats, ModelStats, TensorStats } from '../analysis/types.js';

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
  for (const t of blocks) { d += t.sumSqDelta; w += t.sumSqBase; }
  return sqrtRatio(d, w);
}

/** Compute the features of one model row from the analysis result. */
export function modelFeatures(result: AnalysisResult, m: ModelStats): ModelFeatures {
  const tensors = tensorsOf(result, m.model);
  const r = blockRelativeNorm(tensors, m);
  const blockRho = r * r;
  const emb = tensors.filter((t) => t.module === 'embedding');
  const head = tensors.filter((t) => t.module === 'lm_head');
  let embSq = 0, embBase = 0, embKurt: number | null = null;
  if (emb.length > 0) {
    for (const t of emb) { embSq += t.sumSqDelta; embBase += t.sumSqBase; }
    // the largest embedding tensor's shape speaks for the embedding (there is normally exactly one)
    embKurt = emb.reduce((a, b) => (b.numel > a.numel ? b : a)).excessKurtosis;
  }
  const embRho = embBase > 0 ? embSq / embBase : 0;
  let headSq = 0;
  for (const t of head) headSq += t.sumSqDelta;
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
    nonFinite: m.nonFinite,
    worstNonFiniteTensor: worst?.tensor ?? null,
  };
}
