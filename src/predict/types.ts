import type { CptSignal, DeltaKind } from './cpt.js';

/** Readiness of a fine-tune (or of the set) for a DARE merge. */
export type Verdict = 'ready' | 'caution' | 'not-ready';

/** The merge method darekit would use for the set ('none': do not merge). */
export type SetMethod = 'dare_ties' | 'dare_linear' | 'ties' | 'none';

/** Per-layer prediction for one fine-tune (layer null: tensors outside the numbered blocks). */
export interface LayerPrediction {
  layer: number | null;
  rho: number;
  /** r = √ρ of the layer. */
  relativeNorm: number;
  /** Safe drop rate if the whole model were as this layer. */
  safeDropRate: number;
  /** Predicted relative output error √(p/(1−p)·ρ) at the model's recommended drop rate. */
  errorAtRecommended: number;
  /** r divided by the median r of the other numbered layers. */
  ratioToMedian: number;
  hot: boolean;
}

/** Per-tensor prediction for one fine-tune. */
export interface TensorPrediction {
  tensor: string;
  layer: number | null;
  module: string;
  rho: number;
  relativeNorm: number;
  /** Safe drop rate if the whole model were as this tensor. */
  safeDropRate: number;
  /** Predicted relative output error √(p/(1−p)·ρ) at the model's recommended drop rate. */
  errorAtRecommended: number;
}

/** Everything predicted for one fine-tune. */
export interface ModelPrediction {
  model: string;
  path: string;
  kind: DeltaKind;
  recommendedDropRate: number;
  recommendedDensity: number;
  verdict: Verdict;
  reasons: string[];
  /** ρ over the whole model. */
  relativeEnergy: number;
  meanAbsDelta: number;
  /** Share of smallest-|Δ| entries carrying ≤ 1% of ‖Δ‖² (from the analysis). */
  droppableShare: number;
  /** r = √ρ over the numbered blocks: the error model's input. */
  blockRelativeNorm: number;
  /** Predicted share of the gain kept at the recommended drop rate. */
  predictedRetained: number;
  /** Predicted relative output error of the blocks at the recommended drop rate. */
  predictedError: number;
  cptScore: number;
  cptSignals: CptSignal[];
  embeddingShare: number | null;
  embeddingKurtosis: number | null;
  lmHeadEnergyShare: number | null;
  layers: LayerPrediction[];
  tensors: TensorPrediction[];
}

/** Pairwise summary of two fine-tunes' deltas. */
export interface PairPrediction {
  a: string;
  b: string;
  cosine: number;
  signConflict: number;
  weightedConflict: number;
}

/** The verdict on merging all the fine-tunes together. */
export interface SetPrediction {
  verdict: Verdict;
  reasons: string[];
  method: SetMethod;
  /** Density darekit would merge at (the smallest recommended density in the set), null with method none. */
  density: number | null;
}

/** The predictor's output for one analysis. */
export interface Predictions {
  base: string;
  tolerance: number;
  kappa: number;
  models: ModelPrediction[];
  pairs: PairPrediction[];
  set: SetPrediction;
}

/** DESIGN's machine-readable contract object (`darekit analyze --json` / `darekit predict --json`). */
export interface PredictionsJson {
  models: { path: string; kind: DeltaKind; recommendedDropRate: number; recommendedDensity: number; verdict: Verdict; reasons: string[]; relativeEnergy: number; meanAbsDelta: number }[];
  pairs: { a: string; b: string; cosine: number; signConflict: number }[];
  set: { verdict: Verdict; reasons: string[]; method: SetMethod };
  outDir: string;
}
