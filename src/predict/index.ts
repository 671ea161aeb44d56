// The predictor's public surface.
export { predict, predictionsToJson, type PredictOptions } from './predict.js';
export { writePredictions, PREDICTION_COLUMNS, PREDICTION_LAYER_COLUMNS, PREDICTION_TENSOR_COLUMNS, PREDICTION_SET_COLUMNS } from './store.js';
export { renderPredictions } from './render.js';
export { DROP_RATE_GRID, predictedRetained, relativeOutputError, safeDropRate } from './error-model.js';
export { classifyDelta, type DeltaKind, type CptAssessment, type CptSignal } from './cpt.js';
export type { Predictions, PredictionsJson, ModelPrediction, LayerPrediction, TensorPrediction, PairPrediction, SetPrediction, SetMethod, Verdict } from './types.js';
