// The predictor's public surface.
export { predict, predictionsToJson, type PredictOptions } from './predict.js';
export {
  writePredictions,
  PREDICTION_COLUMNS,
  PREDICTION_LAYER_COLUMNS,
  PREDICTION_TENSOR_COLUMNS,
  PREDICTION_SET_COLUMNS,
} from './store.js';
export { renderPredictions } from './render.js';
export {
  DROP_RATE_GRID,
  predictedRetained,
  predictTolerance,
  relativeOutputError,
  type ErrorModelConstants,
  type ToleranceRange,
} from './error-model.js';
export { decideSet, NORMALIZES } from './decision.js';
export type { Reason, ReasonCode } from './reasons.js';
export { classifyDelta, type DeltaKind, type CptAssessment, type CptSignal } from './cpt.js';
export type {
  Predictions,
  PredictionsJson,
  ModelPrediction,
  LayerPrediction,
  TensorPrediction,
  PairPrediction,
  SetPrediction,
  SetModelDecision,
  SetMethod,
  MergeMethod,
  Verdict,
} from './types.js';
