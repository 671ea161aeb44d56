import type { DeltaCharacter } from './constants.js';
import type { CptSignal, DeltaKind } from './cpt.js';
import type { Reason, ReasonCode } from './reasons.js';

/** Readiness of a fine-tune (or of the set) for a DARE merge. */
export type Verdict = 'ready' | 'caution' | 'not-ready';

/** The merge method darekit would use for the set ('none': do not merge). */
export type SetMethod = 'dare_ties' | 'dare_linear' | 'ties' | 'none';

/** A method darekit merges with (what `none` would merge with if merged anyway). */
export type MergeMethod = Exclude<SetMethod, 'none'>;

/** Per-layer prediction for one fine-tune (layer null: tensors outside the numbered blocks). */
export interface LayerPrediction {
  layer: number | null;
  rho: number;
  /** r = √ρ of the layer. */
  relativeNorm: number;
  /** Safe drop rate if the whole model were as this layer (predicted, conservative end; the null row: its riskiest tensor's). */
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
  /** Safe drop rate if the whole model were as this tensor (predicted from its own r and fan-in, conservative end). */
  safeDropRate: number;
  /** Predicted relative output error √(p/(1−p)·ρ) at the model's recommended drop rate (embeddings: of their touched rows). */
  errorAtRecommended: number;
  /** Point prediction of its own safe rate (grid) and the noise factor p/(1−p) it tolerates. */
  predictedDropRate: number;
  toleratedNoise: number;
  /** Fan-in (input width) the error model used. */
  fanIn: number;
  /** Among the model's riskiest tensors: those tolerating the least noise, less than the model as a whole. */
  risky: boolean;
}

/** Everything predicted for one fine-tune. */
export interface ModelPrediction {
  model: string;
  path: string;
  kind: DeltaKind;
  recommendedDropRate: number;
  recommendedDensity: number;
  verdict: Verdict;
  /** The sentences of reasonDetails (DESIGN's contract). */
  reasons: string[];
  /** Structured reasons: {code, text, numbers}. */
  reasonDetails: Reason[];
  /** Point prediction of the safe drop rate (grid); recommendedDropRate is the conservative end of the range. */
  predictedDropRate: number;
  /** Predicted range of the safe drop rate (grid), from the calibration's leave-one-model-out residuals. */
  dropRateLow: number;
  dropRateHigh: number;
  /** 'predicted' from the weights, or 'measured' by a probe (which then replaces the prediction). */
  basis: 'predicted' | 'measured';
  /** Tolerated DARE noise factor x* = p/(1−p) at the crossing p of the tolerance (point prediction). */
  toleratedNoise: number;
  /** ‖Δ‖²-weighted fan-in of the block matrices (the error model's width). */
  blockFanIn: number;
  /** Which calibrated constants the prediction used: a task delta (few embedding rows moved) or a corpus delta. */
  deltaCharacter: DeltaCharacter;
  /** Base–fine-tune cosine over the numbered blocks. */
  blockCosine: number;
  /** Share of ‖Δ‖² in the embeddings and lm_head (null when ‖Δ‖ = 0). */
  headEmbeddingShare: number | null;
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
  /** ‖Δa‖², ‖Δb‖² (for the interference check). */
  sqA: number;
  sqB: number;
}

/** One fine-tune's place in the merge darekit decided: the weight and density every consumer shows and uses. */
export interface SetModelDecision {
  model: string;
  weight: number;
  /** = the model's recommendedDensity (one decision, stated once). */
  density: number;
  /** Why this weight and density, matching what the method does (normalization per mergekit's defaults). */
  notes: Reason[];
}

/** The verdict on merging all the fine-tunes together, and the one decision of how darekit would merge them. */
export interface SetPrediction {
  verdict: Verdict;
  /** The sentences of reasonDetails. */
  reasons: string[];
  reasonDetails: Reason[];
  method: SetMethod;
  /** The method darekit merges with, also when method is 'none' (if merged anyway). */
  mergeMethod: MergeMethod;
  /** Whether mergeMethod normalizes by default (mergekit: ties yes; dare_ties, dare_linear no). */
  normalize: boolean;
  models: SetModelDecision[];
  /** The largest per-model density (kept for table prediction_set), null with method none. */
  density: number | null;
}

export type { Reason, ReasonCode };

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
  models: {
    path: string;
    kind: DeltaKind;
    recommendedDropRate: number;
    recommendedDensity: number;
    verdict: Verdict;
    reasons: string[];
    relativeEnergy: number;
    meanAbsDelta: number;
    model: string;
    predictedDropRate: number;
    dropRateLow: number;
    dropRateHigh: number;
    basis: 'predicted' | 'measured';
    reasonCodes: ReasonCode[];
    reasonDetails: Reason[];
  }[];
  pairs: { a: string; b: string; cosine: number; signConflict: number }[];
  set: {
    verdict: Verdict;
    reasons: string[];
    method: SetMethod;
    mergeMethod: MergeMethod;
    normalize: boolean;
    models: { model: string; weight: number; density: number }[];
    reasonCodes: ReasonCode[];
    reasonDetails: Reason[];
  };
  outDir: string;
}
